#pragma once
// Reductions over all elements or over given axes (negative axes count from the end).
#include "descent/tensor.hpp"

namespace descent {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Axes& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Axes& axes, bool keepdim = false);
/// Largest / smallest values; ties share the gradient equally.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Axes& axes, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Axes& axes, bool keepdim = false);
/// Over every axis, keeping them as length 1 when keepdim: sum(x, all_axes, true) has x.dim() axes.
Tensor sum(const Tensor& x, AllAxes, bool keepdim);
Tensor mean(const Tensor& x, AllAxes, bool keepdim);
Tensor max(const Tensor& x, AllAxes, bool keepdim);
Tensor min(const Tensor& x, AllAxes, bool keepdim);
/// log(sum(exp(x))), computed without overflow.
Tensor logsumexp(const Tensor& x);
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim = false);
/// Index of the largest value along an axis (int64, not differentiable).
Tensor argmax(const Tensor& x, std::ptrdiff_t axis, bool keepdim = false);

/// Running sums along an axis: out[i] = x[0] + ... + x[i] (torch.cumsum). float32 and float64
/// keep their dtype (float32 accumulated in float64); int64 and bool give int64, not differentiable.
Tensor cumsum(const Tensor& x, std::ptrdiff_t axis);

/// Sums `x` down to `shape`, which must broadcast to x's shape: the gradient of broadcasting.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace descent
