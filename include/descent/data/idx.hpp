#pragma once
// IDX files: the format of MNIST and Fashion-MNIST (train-images-idx3-ubyte[.gz], ...).
//
//   Tensor images = data::read_idx("train-images-idx3-ubyte.gz");         // float32 (60000,28,28), 0..255
//   Tensor labels = data::read_idx("train-labels-idx1-ubyte.gz", int64);   // int64 (60000,)
//
// Layout: the magic 0x00 0x00 <type> <number of dims>, each dim as a big-endian uint32, then
// the values, big-endian, row-major. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
// 0x0D float32, 0x0E float64. Files may be gzip-compressed (read transparently).
#include <filesystem>
#include <string>
#include <string_view>

#include "descent/tensor.hpp"

namespace descent::data {

/// The values of an IDX file (plain or gzip), in the file's shape, converted to `dtype` (pixel
/// values stay 0..255: divide by 255 to scale them). Errors name the file and what is wrong:
/// bad magic, unknown type, truncated data or trailing bytes.
Tensor read_idx(const std::filesystem::path& path, Dtype dtype = float32);

/// The same from the bytes of an IDX file in memory (plain or gzip); `name` is used in error messages.
Tensor parse_idx(std::string_view bytes, Dtype dtype = float32, const std::string& name = "<memory>");

/// Writes a tensor of 1 to 4 dims holding whole numbers in [0, 255] as a plain uint8 IDX file.
void write_idx(const std::filesystem::path& path, const Tensor& values);

}  // namespace descent::data
