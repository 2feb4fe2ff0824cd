// libFuzzer target: .npy bytes through data::parse_npy (read_npy runs the same code on a file's
// bytes). What parses must survive a round trip through serialize_npy unchanged.
// Bad input must end in descent::Error; anything else escaping, a crash, a round trip that changes
// the array or a sanitizer report fails.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "descent/data/npy.hpp"
#include "descent/error.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  Tensor array;
  try {
    array = data::parse_npy(std::string_view(reinterpret_cast<const char*>(bytes), size), "fuzz.npy");
  } catch (const Error&) {
    return 0;
  }
  const std::string written = data::serialize_npy(array);
  if (data::serialize_npy(data::parse_npy(written)) != written) {
    std::fprintf(stderr, "fuzz_npy: serialize_npy -> parse_npy changed the array\n");
    std::abort();
  }
  return 0;
}
