#pragma once
// Whole-file reads and writes shared by the readers. Not installed.
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

/// Writes `bytes` to a (plain) file, replacing it.
void write_file(const std::filesystem::path& path, std::string_view bytes, const char* op);

}  // namespace descent::detail
