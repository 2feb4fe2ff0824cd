// libFuzzer target: IDX bytes through data::parse_idx (read_idx runs the same code on a file's
// bytes), as float32 and as int64 (which range-checks float values). Gzip input (0x1f 0x8b) goes
// through the in-memory gunzip; fuzz_idx_gzip covers compressed content better.
// Bad input must end in descent::Error; anything else escaping, a crash or a sanitizer report fails.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "descent/data/idx.hpp"
#include "descent/error.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  for (Dtype dtype : {float32, int64}) {
    try {
      data::parse_idx(input, dtype, "fuzz");
    } catch (const Error&) {
    }
  }
  return 0;
}
