#pragma once
// Include first in a file that inlines xsimd's exp/log/pow/tanh/sqrt kernels. GCC 12 warns
// "'__Y' is used uninitialized" inside its own AVX-512 intrinsics (_mm512_undefined_*) once they
// are inlined: GCC bug 105593, a false positive fixed in GCC 13. The pragmas hold for the rest of
// the including file (no push/pop), where the instantiations happen.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
