#include "data/io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>

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

namespace {

/// `<path>.tmp-<pid>-<8 random hex digits>`: unique per process and attempt, and recognisable.
std::string temporary_name(const std::filesystem::path& path) {
  char suffix[32];  // (a random_device per call: sharing one between threads is not safe)
  std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%08x", static_cast<long>(::getpid()),
                static_cast<unsigned>(std::random_device{}()));
  return path.string() + suffix;
}

}  // namespace

AtomicFile::AtomicFile(const std::filesystem::path& path, const char* op) : path_(path), op_(op) {
  for (int attempt = 0; fd_ < 0; ++attempt) {
    temporary_ = temporary_name(path);
    // Mode 0666: the kernel takes the umask off, as for any new file.
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt == 100))
      throw Error(concat(op_, ": cannot open ", temporary_, " for writing (", std::strerror(errno), ")"));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::fail(const std::string& what, int code) const {
  throw Error(concat(op_, ": cannot ", what, " (", std::strerror(code), ")"));
}

void AtomicFile::write(const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t wrote = ::write(fd_, bytes, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) fail("write " + temporary_, wrote < 0 ? errno : EIO);
    bytes += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
}

void AtomicFile::seek(std::int64_t offset, int whence) {
  if (::lseek(fd_, static_cast<off_t>(offset), whence) < 0) fail("seek in " + temporary_, errno);
}

std::uint64_t AtomicFile::tell() const {
  const off_t at = ::lseek(fd_, 0, SEEK_CUR);
  if (at < 0) fail("find the position in " + temporary_, errno);
  return static_cast<std::uint64_t>(at);
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("flush " + temporary_ + " to disk", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("close " + temporary_, errno);
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0)
    fail("rename " + temporary_ + " to " + path_.string(), errno);
  temporary_.clear();
  // Make the rename itself durable. Some file systems cannot flush a folder (EINVAL): nothing to do there.
  const std::filesystem::path folder = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) fail("open the folder of " + path_.string() + " to flush it", errno);
  const int synced = ::fsync(dir) == 0 || errno == EINVAL ? 0 : errno;
  ::close(dir);
  if (synced != 0) fail("flush the folder of " + path_.string() + " to disk", synced);
}

void write_file(const std::filesystem::path& path, std::string_view bytes, const char* op) {
  AtomicFile file(path, op);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

}  // namespace descent::detail
