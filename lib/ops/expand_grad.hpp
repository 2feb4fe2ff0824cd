#pragma once
// The gradient of a reduction spread back over its input: the one backward step every reduction
// shares (recorded ops, so differentiable again).
#include "descent/ops/shape.hpp"
#include "kernels/reduce.hpp"

namespace descent {

/// g (the reduction's result shape) as a view of x's shape, without copying.
inline Tensor expand_grad(const Tensor& g, const kernels::ReduceLayout& layout, const Shape& x_shape) {
  return broadcast_to(reshape(g, {layout.kept.begin(), layout.kept.end()}), x_shape);
}

}  // namespace descent
