#include "data/io.hpp"

#include <fstream>
#include <memory>

#include <zlib.h>

#include "descent/error.hpp"

namespace descent::detail {

std::string read_file(const std::filesystem::path& path, const char* op) {
  const std::string name = path.string();
  std::error_code ec;
  DESCENT_CHECK(std::filesystem::exists(path, ec), op, "cannot open ", name, " (no such file)");
  DESCENT_CHECK(!std::filesystem::is_directory(path, ec), op, "cannot read ", name, ": it is a directory");
  // gzread passes plain files through unchanged, so one path reads both.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(name.c_str(), "rb"), gzclose);
  DESCENT_CHECK(file != nullptr, op, "cannot open ", name);
  gzbuffer(file.get(), 1 << 17);
  std::string bytes;
  const auto plain_size = std::filesystem::file_size(path, ec);
  if (!ec) bytes.reserve(static_cast<std::size_t>(plain_size));  // exact for plain files
  constexpr unsigned chunk = 1u << 20;
  for (;;) {
    const std::size_t old = bytes.size();
    bytes.resize(old + chunk);
    const int got = gzread(file.get(), bytes.data() + old, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      throw Error(concat(op, ": ", name, ": cannot decompress (", message, ")"));
    }
    bytes.resize(old + static_cast<std::size_t>(got));
    if (got == 0) break;
  }
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  DESCENT_CHECK(code == Z_OK, op, name, ": ",
                code == Z_BUF_ERROR ? std::string("truncated gzip stream") : std::string("read error (") + message + ")");
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
