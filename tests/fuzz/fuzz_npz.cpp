// libFuzzer target: NPZ archive bytes through io::load_from_memory (io::load runs the same code on
// a file's bytes): into a model and into the state of each optimizer (checkpoint_targets.hpp), each
// optimizer then taking one step with what it loaded. fuzz_npz_arrays covers well-formed archives
// of fuzzed arrays. Bad input must end in descent::Error; anything else escaping, a crash or a
// sanitizer report fails.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checkpoint_targets.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  fuzz::load_everywhere(std::string_view(reinterpret_cast<const char*>(bytes), size));
  return 0;
}
