#pragma once
// What the LAPACK-backed linalg ops share: argument checks, batch broadcasting, and copies of a
// batch of row-major matrices to and from LAPACK's column-major layout.
#include <climits>
#include <cstddef>
#include <string>

#include "descent/error.hpp"
#include "descent/ops/shape.hpp"
#include "descent/tensor.hpp"
#include "detail/dispatch.hpp"

namespace descent::linalg::detail {

/// Checks that A is a float32/float64 batch of matrices (*, m, n), square when asked, that LAPACK's
/// int indexes.
inline void check_matrices(const char* op, const Tensor& A, bool square) {
  descent::detail::check_floating(op, A);
  DESCENT_CHECK(A.numel() < INT_MAX, op, "A ", to_string(A.shape()), " is too large for LAPACK");
  DESCENT_CHECK(A.dim() >= 2, op, "A must have at least 2 dimensions, got shape ", to_string(A.shape()));
  DESCENT_CHECK(!square || A.size(-1) == A.size(-2), op, "A must be batches of square matrices, but they are ",
                A.size(-2), " by ", A.size(-1), " matrices (shape ", to_string(A.shape()), ")");
}

/// The batch dimensions of a batch of matrices (all but the last two).
inline Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

/// t broadcast to batch + its own last two dimensions, detached and contiguous (values for LAPACK).
inline Tensor broadcast_values(const Tensor& t, const Shape& batch) {
  Shape shape = batch;
  shape.push_back(t.size(-2));
  shape.push_back(t.size(-1));
  return broadcast_to(t.detach(), shape).contiguous();
}

/// "(batch element i) " for a batched input, "" for a single matrix: where a failure happened.
inline std::string batch_element(const Shape& batch, std::size_t i) {
  return batch.empty() ? std::string() : "(batch element " + std::to_string(i) + ") ";
}

/// Row-major rows×cols at `in` to column-major at `out` (leading dimension ld >= rows).
template <class T>
void to_column_major(const T* in, std::size_t rows, std::size_t cols, T* out, std::size_t ld) {
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) out[j * ld + i] = in[i * cols + j];
}

/// Column-major rows×cols at `in` (leading dimension ld) to row-major at `out`.
template <class T>
void to_row_major(const T* in, std::size_t rows, std::size_t cols, std::size_t ld, T* out) {
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] = in[j * ld + i];
}

/// Whether B is a vector right-hand side of A, as torch.linalg.solve decides: 1-D, or A's shape
/// without its last dimension.
inline bool vector_rhs(const Tensor& A, const Tensor& B) {
  if (B.dim() == 1) return true;
  if (B.dim() + 1 != A.dim()) return false;
  return Shape(A.shape().begin(), A.shape().end() - 1) == B.shape();
}

}  // namespace descent::linalg::detail
