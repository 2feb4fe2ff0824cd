#include "data/io.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <iterator>
#include <memory>

#include "descent/error.hpp"
#include "detail/buffer.hpp"

namespace descent::detail {

void check_representable(const Shape& shape, Dtype dtype, const char* op, const std::string& name) {
  DESCENT_CHECK(addressable(shape, element_size(dtype)), op, name, ": shape ", to_string(shape),
                " cannot be represented: its non-zero dims multiply past 2^63");
}

std::string read_bytes(const std::filesystem::path& path, const char* op) {
  const std::string name = path.string();
  std::error_code ec;
  DESCENT_CHECK(!std::filesystem::is_directory(path, ec), op, "cannot read ", name, ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  DESCENT_CHECK(in.is_open(), op, "cannot open ", name,
                std::filesystem::exists(path, ec) ? " (permission denied?)" : " (no such file)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  DESCENT_CHECK(!in.bad(), op, "error while reading ", name);
  return bytes;
}

bool is_gzip(std::string_view bytes) { return bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b'; }

std::string gunzip(std::string_view compressed, const char* op, const std::string& name) {
  z_stream z{};
  DESCENT_CHECK(inflateInit2(&z, 15 + 16) == Z_OK, op, name, ": cannot start decompressing (out of memory?)");
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  // The output grows with what the stream really holds (its size field could lie).
  std::string out(std::clamp<std::size_t>(compressed.size() * 4, 1 << 12, 1 << 26), '\0');
  std::size_t in_done = 0, out_done = 0;
  for (;;) {
    if (out_done == out.size()) out.resize(out.size() * 2);
    // (avail_in and avail_out are 32-bit: streams over 4 GiB go through in pieces)
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + in_done));
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(compressed.size() - in_done, UINT_MAX));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
    z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - out_done, UINT_MAX));
    const uInt in_before = z.avail_in, out_before = z.avail_out;
    const int code = inflate(&z, Z_NO_FLUSH);
    in_done += in_before - z.avail_in;
    out_done += out_before - z.avail_out;
    if (code == Z_STREAM_END) {
      const std::string_view rest = compressed.substr(in_done);
      if (rest.empty()) break;
      DESCENT_CHECK(is_gzip(rest), op, name, ": ", rest.size(), " bytes of trailing data after the gzip stream");
      DESCENT_CHECK(inflateReset(&z) == Z_OK, op, name, ": cannot decompress the next gzip member");
      continue;
    }
    DESCENT_CHECK(code == Z_OK || code == Z_BUF_ERROR, op, name, ": corrupt gzip stream (",
                  z.msg ? z.msg : code == Z_MEM_ERROR ? "out of memory" : "bad data", ")");
    // No end yet with room left for output: the input ran out.
    DESCENT_CHECK(z.avail_out == 0 || in_done < compressed.size(), op, name, ": truncated gzip stream");
  }
  out.resize(out_done);
  return out;
}

std::string read_file(const std::filesystem::path& path, const char* op) {
  std::string bytes = read_bytes(path, op);
  if (is_gzip(bytes)) return gunzip(bytes, op, path.string());
  return bytes;
}

void write_file(const std::filesystem::path& path, std::string_view bytes, const char* op) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  DESCENT_CHECK(out.is_open(), op, "cannot open ", path.string(), " for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  DESCENT_CHECK(!out.fail(), op, "error while writing ", path.string());
}

}  // namespace descent::detail
