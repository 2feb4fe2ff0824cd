#pragma once
// Whole-file reads and writes shared by the readers. Not installed.
#include <filesystem>
#include <string>
#include <string_view>

namespace descent::detail {

/// The bytes of a file, gunzipped if it is gzip-compressed (plain files are read as they are).
/// Errors name `op` and the file: missing file, read error, corrupt or truncated gzip stream.
std::string read_file(const std::filesystem::path& path, const char* op);

/// Writes `bytes` to a (plain) file, replacing it.
void write_file(const std::filesystem::path& path, std::string_view bytes, const char* op);

}  // namespace descent::detail
