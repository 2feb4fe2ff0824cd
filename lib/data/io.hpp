#pragma once
// Whole-file reads and writes shared by the readers and writers (data files, checkpoints, history
// files, plots). Not installed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "descent/dtype.hpp"
#include "descent/shape.hpp"

namespace descent::detail {

/// A shape read from a file's header: throws unless a tensor of it can exist (its strides and byte
/// size fit in 64 bits, even with a 0 dim that makes it empty). Errors name `op` and `name`.
void check_representable(const Shape& shape, Dtype dtype, const char* op, const std::string& name);

/// The bytes of a file as they are. Errors name `op` and the file: missing, a directory,
/// unreadable.
std::string read_bytes(const std::filesystem::path& path, const char* op);

/// Whether `bytes` start like a gzip stream (0x1f 0x8b).
bool is_gzip(std::string_view bytes);

/// The decompressed contents of a gzip stream in memory (concatenated members are joined, like
/// gzip -d does). Errors name `op` and `name`: corrupt or truncated stream, trailing bytes.
std::string gunzip(std::string_view compressed, const char* op, const std::string& name);

/// The bytes of a file, gunzipped if it is gzip-compressed (plain files are read as they are).
std::string read_file(const std::filesystem::path& path, const char* op);

/// A file written atomically: the bytes go to a new temporary file `<path>.tmp-<pid>-<random>` in the
/// same folder, and commit() flushes it to disk and renames it over `path` (then flushes the folder),
/// so readers see the old file or the new one, never half of one. Destroyed without commit(), it
/// removes the temporary and leaves `path` as it was. A process killed meanwhile leaves the
/// temporary behind, recognisable by its name.
///
/// The temporary is created with mode 0666 less the umask (applied by the kernel: calling umask()
/// to read it would change it for every thread for a moment), as any new file. Every error is a
/// descent::Error naming `op`, the file and the system's reason (strerror).
class AtomicFile {
 public:
  AtomicFile(const std::filesystem::path& path, const char* op);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Writes all of `size` bytes at the current position.
  void write(const void* data, std::size_t size);
  /// Moves the current position, as lseek(offset, whence) does.
  void seek(std::int64_t offset, int whence);
  /// The current position.
  std::uint64_t tell() const;
  /// Flushes, closes and renames the temporary over the target.
  void commit();

  const std::string& temporary() const { return temporary_; }

 private:
  [[noreturn]] void fail(const std::string& what, int code) const;

  std::filesystem::path path_;
  std::string temporary_;
  const char* op_;
  int fd_ = -1;
};

/// Replaces `path` with `bytes` atomically (an AtomicFile written at once).
void write_file(const std::filesystem::path& path, std::string_view bytes, const char* op);

}  // namespace descent::detail
