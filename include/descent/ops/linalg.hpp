#pragma once
// Matrix products through BLAS (cblas_sgemm / cblas_dgemm): transposed operands are passed with
// transpose flags, never copied.
#include "descent/tensor.hpp"

namespace descent {

/// numpy.matmul for 1-D, 2-D and batched 3-D operands: 1-D·1-D gives a scalar, a 1-D operand
/// is a row (left) or column (right) vector, 3-D·3-D multiplies batch by batch (a batch of 1
/// broadcasts), 3-D·2-D and 2-D·3-D broadcast the 2-D operand over the batch.
Tensor matmul(const Tensor& a, const Tensor& b);

/// x·weightᵀ + bias (bias optional), like torch.nn.functional.linear; weight is (out, in). For a 2-D
/// x it is one fused op (one GEMM with a transpose flag, the bias as its initial value; small sizes
/// skip BLAS's call overhead); other ranks compose matmul, transpose and add.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

namespace detail {

/// How BLAS reads a matrix view in place: row-major (`leading_dim` = the row stride), or
/// column-major as transpose() leaves a row-major matrix (passed with CblasTrans, `leading_dim` =
/// the column stride). Not `usable` for layouts BLAS cannot describe (broadcast or strided both
/// ways): matmul copies those first.
struct BlasMatrix {
  bool usable = false;
  bool transposed = false;
  std::ptrdiff_t leading_dim = 0;
};
BlasMatrix blas_matrix(std::size_t rows, std::size_t cols, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride);
/// The same for a 2-D tensor.
BlasMatrix blas_matrix(const Tensor& matrix);

}  // namespace detail

}  // namespace descent
