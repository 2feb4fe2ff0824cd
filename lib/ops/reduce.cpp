// Sums and means over all elements or chosen axes, and sum_to (the gradient of broadcasting).
// Values come from the raw-loop kernels of detail/reduce.hpp, not xtensor's reducers (lazy ones
// give wrong numbers inside keep_dims expressions, see XTENSOR.md; immediate ones crash on our
// shapes and are up to 9x slower, see detail/reduce.hpp). max, min, logsumexp and argmax are in
// reduce_extrema.cpp.
//
// Axes: negative ones count from the end; an empty list reduces nothing (NumPy's axis=(), unlike
// PyTorch's dim=[] which reduces everything); the overloads without axes reduce all of them.
// Empty tensors: the sum of no elements is 0 and their mean is NaN, as in NumPy.
#include <algorithm>
#include <type_traits>

#include "descent/autograd/function.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "detail/reduce.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace detail {

ReduceLayout reduce_layout(const char* op, const Tensor& x, const Axes& axes, bool keepdim) {
  const Shape& shape = x.shape();
  ReduceLayout l;
  for (auto a : axes) l.axes.push_back(normalize_axis(op, a, x.dim(), shape));
  std::sort(l.axes.begin(), l.axes.end());
  const auto repeated = std::adjacent_find(l.axes.begin(), l.axes.end());
  DESCENT_CHECK(repeated == l.axes.end(), op, "repeated axis ", repeated == l.axes.end() ? 0 : *repeated,
                " in a reduction over shape ", to_string(shape));
  l.kept = shape;
  for (auto a : l.axes) {
    l.extent *= shape[a];
    l.kept[a] = 1;
  }
  l.out_numel = numel(l.kept);
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (keepdim || !std::binary_search(l.axes.begin(), l.axes.end(), i)) l.result.push_back(l.kept[i]);
  if (x.numel() == 0) return l;

  // Merge: drop axes of length 1, join neighbours of the same kind.
  std::vector<bool> reduced;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    const bool r = std::binary_search(l.axes.begin(), l.axes.end(), i);
    if (!reduced.empty() && reduced.back() == r) {
      l.runs.back() *= shape[i];
    } else {
      l.runs.push_back(shape[i]);
      reduced.push_back(r);
    }
  }
  if (l.runs.empty()) {  // a single element
    l.runs.push_back(1);
    reduced.push_back(false);
  }
  l.out_strides.resize(l.runs.size());
  std::ptrdiff_t stride = 1;
  for (std::size_t d = l.runs.size(); d-- > 0;) {
    l.out_strides[d] = reduced[d] ? 0 : stride;
    if (!reduced[d]) stride *= static_cast<std::ptrdiff_t>(l.runs[d]);
  }
  l.last_reduced = reduced.back();
  return l;
}

ReduceLayout reduce_layout_all(const Tensor& x) {
  Axes all(x.dim());
  for (std::size_t i = 0; i < x.dim(); ++i) all[i] = static_cast<std::ptrdiff_t>(i);
  return reduce_layout("reduce", x, all, false);
}

Tensor expand_grad(const Tensor& g, const ReduceLayout& layout, const Shape& x_shape) {
  return broadcast_to(reshape(g, {layout.kept.begin(), layout.kept.end()}), x_shape);
}

}  // namespace detail

namespace {

Tensor sum_over(const Tensor& x, const detail::ReduceLayout& l) {
  // float32/float64 sum in their own type; int64 and bool sum to int64 (counting), not differentiable
  Tensor out = detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
    return detail::reduce_values<detail::SumOp<Acc>, Acc, T>(l, x);
  });
  // d(sum x)/dx = 1 for every summed element
  return record("sum", out, {x}, [l, shape = x.shape()](const Tensor& g) {
    return Grads{detail::expand_grad(g, l, shape)};
  });
}

Tensor mean_over(const Tensor& x, const detail::ReduceLayout& l) {
  detail::check_floating("mean", x);
  Tensor out = detail::dispatch_floating("mean", x.dtype(), [&](auto e) {
    using T = decltype(e);
    Tensor s = detail::reduce_values<detail::SumOp<T>, T, T>(l, x);
    T* v = s.data<T>();
    for (std::size_t i = 0; i < l.out_numel; ++i) v[i] /= static_cast<T>(l.extent);  // 0/0 = NaN when empty
    return s;
  });
  // d(mean x)/dx = 1/n for every averaged element
  return record("mean", out, {x}, [l, shape = x.shape()](const Tensor& g) {
    return Grads{detail::expand_grad(g / static_cast<double>(l.extent), l, shape)};
  });
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_over(x, detail::reduce_layout_all(x)); }

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  return sum_over(x, detail::reduce_layout("sum", x, axes, keepdim));
}

Tensor mean(const Tensor& x) { return mean_over(x, detail::reduce_layout_all(x)); }

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  return mean_over(x, detail::reduce_layout("mean", x, axes, keepdim));
}

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
