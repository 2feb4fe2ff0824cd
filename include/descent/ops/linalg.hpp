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

}  // namespace descent
