#pragma once
// Matrix products through BLAS (cblas_sgemm / cblas_dgemm): transposed operands are passed with
// transpose flags, never copied.
#include "descent/tensor.hpp"

namespace descent {

/// numpy.matmul / torch.matmul for operands of any rank: 1-D·1-D gives a scalar, a 1-D operand is
/// a row (left) or column (right) vector, and the dimensions before the last two are batch
/// dimensions that broadcast like NumPy's ((2,1,3,4)·(5,4,6) gives (2,5,3,6)).
Tensor matmul(const Tensor& a, const Tensor& b);

/// x·weightᵀ + bias (bias optional), like torch.nn.functional.linear; weight is (out, in). For a 2-D
/// x it is one fused op (one GEMM with a transpose flag, the bias as its initial value; small sizes
/// skip BLAS's call overhead); other ranks compose matmul, transpose and add.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace descent
