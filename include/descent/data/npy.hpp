#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0), for exchanging arrays with Python:
//
//   data::write_npy("weights.npy", w);          // numpy.load("weights.npy") reads it
//   Tensor x = data::read_npy("features.npy");  // written by numpy.save
//
// Element types read: float32 (f4) and float64 (f8) as they are; int64 (i8), int32 (i4),
// int16 (i2), int8 (i1), uint8 (u1), uint16 (u2) and uint32 (u4) as int64; bool (b1) as
// boolean; little- or big-endian. Fortran-order arrays are returned in row-major order.
#include <filesystem>
#include <string>
#include <string_view>

#include "descent/tensor.hpp"

namespace descent::data {

/// The array stored in a .npy file. Errors name the file and what is wrong (bad magic,
/// malformed header, unsupported dtype, truncated data, trailing bytes).
Tensor read_npy(const std::filesystem::path& path);

/// The same from the bytes of a .npy file in memory (e.g. a member of a .npz archive);
/// `name` is used in error messages.
Tensor parse_npy(std::string_view bytes, const std::string& name = "<memory>");

/// Writes a float32, float64, int64 or bool tensor as a .npy file (version 1.0 header, the
/// same bytes numpy.save writes). Atomically: a temporary file `<path>.tmp-<pid>-<random>` beside
/// it, flushed to disk and renamed over `path`; a failed write leaves `path` as it was and says why.
void write_npy(const std::filesystem::path& path, const Tensor& values);

/// The bytes write_npy writes.
std::string serialize_npy(const Tensor& values);

}  // namespace descent::data
