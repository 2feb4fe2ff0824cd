// The translation unit that compiles the samples' precompiled header (descent/descent.hpp).
