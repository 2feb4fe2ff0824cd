#pragma once
// The strided copy kernel: contiguous(), clone(), to_xarray(), copy_() and the shape operations
// (concat, stack, narrow's backward) all copy through it.
#include "descent/tensor.hpp"

namespace descent::kernels {

/// dst = src elementwise, for two tensors of one shape and dtype with any strides (dst is
/// typically a view into a new tensor). Axes laid out one after the other in both merge, so
/// the inner loop runs over long rows. dst and src must not overlap (see may_overlap).
void copy(const Tensor& dst, const Tensor& src);

/// The elements of src, in row-major order, into the contiguous buffer `out`.
void copy_to_contiguous(const Tensor& src, void* out);

/// Whether a and b may address a common byte: their spans in memory intersect (conservative for
/// interleaved views, such as two columns of one matrix, which copy through a temporary anyway).
bool may_overlap(const Tensor& a, const Tensor& b);

}  // namespace descent::kernels
