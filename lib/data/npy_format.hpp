#pragma once
// The .npy format in two steps, header then data, so that a reader can stream an array from a
// source it cannot hold in memory at once (a member of a checkpoint archive) and check every
// header of an archive before reading any data. Not installed.
#include <cstdint>
#include <functional>
#include <string>

#include "descent/tensor.hpp"

namespace descent::data {

/// What a .npy header says, checked against the file's size.
struct NpyHeader {
  char byte_order = '<';  // '<' little, '>' big, '|' not applicable, '=' native
  char kind = 'f';        // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
  std::size_t item_size = 4;
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  Dtype dtype = float32;       // what the array is read as
  std::size_t data_bytes = 0;  // what follows the header: the whole rest of the file
};

/// Fills exactly `size` bytes at `out` with the next bytes of a source, or throws a descent::Error
/// saying why it cannot.
using ReadBytes = std::function<void(void* out, std::size_t size)>;

/// Reads the header of a .npy file of `size` bytes from `read`, checking it describes exactly the
/// rest of the file. Errors name `op` and `name`.
NpyHeader read_npy_header(const ReadBytes& read, std::uint64_t size, const char* op, const std::string& name);

/// Reads the data that follows `header` from `read` into a new tensor.
Tensor read_npy_data(const NpyHeader& header, const ReadBytes& read);

/// The header bytes numpy.save writes for `values`; npy_data(values)'s bytes follow it.
std::string npy_header(const Tensor& values);

/// `values` as the .npy data is laid out (contiguous row-major, little-endian): `values` itself when
/// it already is, otherwise a copy.
Tensor npy_data(const Tensor& values);

}  // namespace descent::data
