#pragma once
// The copy kernel shared by the shape operations (narrow's backward, concat, stack).
#include "descent/tensor.hpp"

namespace descent::detail {

/// dst = src elementwise, for two tensors of one shape and dtype with any strides (dst is
/// typically a view into a new tensor). Axes laid out one after the other in both merge, so
/// the inner loop runs over long rows.
void copy_into(const Tensor& dst, const Tensor& src);

}  // namespace descent::detail
