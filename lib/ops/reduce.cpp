// Sums and means over all elements or chosen axes, and sum_to (the gradient of broadcasting).
// Values come from the raw-loop kernels of kernels/reduce.hpp, not xtensor's reducers (lazy ones
// give wrong numbers inside keep_dims expressions, see ../shared/XTENSOR.md; immediate ones crash
// on our shapes and are up to 9x slower, see kernels/reduce.hpp). max, min, logsumexp and argmax
// are in reduce_extrema.cpp.
//
// Axes: negative ones count from the end; an empty list reduces nothing (NumPy's axis=(), unlike
// PyTorch's dim=[] which reduces everything); the overloads without axes reduce all of them.
// Empty tensors: the sum of no elements is 0 and their mean is NaN, as in NumPy.
#include <algorithm>
#include <type_traits>

#include "descent/autograd/function.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "kernels/reduce.hpp"
#include "ops/expand_grad.hpp"
#include "ops/reduce_attributes.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

Tensor sum_over(const Tensor& x, const kernels::ReduceLayout& l) {
  // float32/float64 sum in their own type (float32 accumulated in float64); int64 and bool sum to
  // int64 (counting), not differentiable
  Tensor out = detail::dispatch(x.dtype(), [&](auto e) { return kernels::sum_values<decltype(e)>(l, x, 1.0); });
  autograd::trace_attributes(out, [&] { return detail::reduce_attributes(l); });
  // d(sum x)/dx = 1 for every summed element
  return record("sum", out, {x}, [l, shape = x.shape()](const Tensor& g) {
    return Grads{expand_grad(g, l, shape)};
  });
}

Tensor mean_over(const Tensor& x, const kernels::ReduceLayout& l) {
  detail::check_floating("mean", x);
  // the sum over the count in the accumulator's precision; 0/0 = NaN for an empty tensor
  const double scale = 1.0 / static_cast<double>(l.extent);
  Tensor out = detail::dispatch_floating("mean", x.dtype(),
                                         [&](auto e) { return kernels::sum_values<decltype(e)>(l, x, scale); });
  autograd::trace_attributes(out, [&] { return detail::reduce_attributes(l); });
  // d(mean x)/dx = 1/n for every averaged element
  return record("mean", out, {x}, [l, shape = x.shape()](const Tensor& g) {
    return Grads{expand_grad(g / static_cast<double>(l.extent), l, shape)};
  });
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_over(x, kernels::reduce_layout_all(x)); }

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  return sum_over(x, kernels::reduce_layout("sum", x, axes, keepdim));
}

Tensor mean(const Tensor& x) { return mean_over(x, kernels::reduce_layout_all(x)); }

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  return mean_over(x, kernels::reduce_layout("mean", x, axes, keepdim));
}

namespace {
/// A full reduction `all` of x, shaped (1, ..., 1) with x's rank when keepdim.
Tensor keep_all(const Tensor& all, const Tensor& x, bool keepdim) {
  return keepdim ? reshape(all, std::vector<std::ptrdiff_t>(x.dim(), 1)) : all;
}
}  // namespace

Tensor sum(const Tensor& x, AllAxes, bool keepdim) { return keep_all(sum(x), x, keepdim); }
Tensor mean(const Tensor& x, AllAxes, bool keepdim) { return keep_all(mean(x), x, keepdim); }
Tensor max(const Tensor& x, AllAxes, bool keepdim) { return keep_all(max(x), x, keepdim); }
Tensor min(const Tensor& x, AllAxes, bool keepdim) { return keep_all(min(x), x, keepdim); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  // shape must broadcast to x's shape: as many or fewer axes, each equal to x's or 1
  bool fits = shape.size() <= x.dim();
  const std::size_t lead = fits ? x.dim() - shape.size() : 0;
  for (std::size_t i = 0; fits && i < shape.size(); ++i)
    fits = shape[i] == x.shape()[lead + i] || shape[i] == 1;
  DESCENT_CHECK(fits, "sum_to", "cannot reduce ", to_string(x.shape()), " to ", to_string(shape));
  Axes axes;
  for (std::size_t i = 0; i < x.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(static_cast<std::ptrdiff_t>(i));
  return reshape(sum(x, axes, true), {shape.begin(), shape.end()});
}

}  // namespace descent
