// libFuzzer target: the gzip path of the IDX reader with fuzzed *decompressed* content. (Mutating
// compressed bytes mostly breaks the CRC; fuzz_idx does that.) The input is IDX bytes; they are
// gzipped in memory and given to data::parse_idx, which must
//   - agree with parsing the plain bytes (same tensor, or both fail with descent::Error),
//   - fail with descent::Error when the stream loses its last byte,
//   - not crash when one byte of the stream, chosen by the input, is flipped.
// Anything else escaping, a crash, a disagreement or a sanitizer report fails.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "descent/data/idx.hpp"
#include "descent/data/npy.hpp"
#include "descent/error.hpp"

using namespace descent;

namespace {

std::string gzip(std::string_view plain) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, static_cast<uLong>(plain.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// The tensor as .npy bytes (shape, dtype and values), or nothing if the reader refused the input.
std::optional<std::string> parsed(std::string_view bytes) {
  try {
    return data::serialize_npy(data::parse_idx(bytes, float32, "fuzz"));
  } catch (const Error&) {
    return std::nullopt;
  }
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_idx_gzip: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view plain(reinterpret_cast<const char*>(bytes), size);
  if (plain.starts_with("\x1f\x8b")) return 0;  // would be read as gzip itself; fuzz_idx covers it
  const std::string gz = gzip(plain);
  if (parsed(plain) != parsed(gz)) fail("the gzip stream and the plain bytes read differently");
  if (parsed(std::string_view(gz).substr(0, gz.size() - 1))) fail("a stream without its last byte was accepted");
  std::string flipped = gz;
  flipped[(size * 131 + 7) % flipped.size()] ^= static_cast<char>(size > 0 ? bytes[0] | 1 : 1);
  parsed(flipped);
  return 0;
}
