// Reductions over all elements or chosen axes. Values use immediate xtensor reductions (lazy
// ones are ~15x slower and give wrong numbers inside keep_dims expressions, see XTENSOR.md).
#include "descent/ops/reduce.hpp"

#include <algorithm>
#include <xtensor/xreducer.hpp>

#include "descent/autograd/function.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// The axes of a reduction, non-negative, sorted and distinct.
std::vector<std::size_t> reduction_axes(const char* op, const Tensor& x, const Axes& axes) {
  std::vector<std::size_t> out;
  for (auto a : axes) out.push_back(normalize_axis(op, a, x.dim(), x.shape()));
  std::sort(out.begin(), out.end());
  DESCENT_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, "repeated axis in a reduction over shape ",
                to_string(x.shape()));
  return out;
}

/// x's shape with the reduced axes set to 1 (the keepdim shape).
Shape kept_shape(const Shape& shape, const std::vector<std::size_t>& axes) {
  Shape kept = shape;
  for (auto a : axes) kept[a] = 1;
  return kept;
}

/// x's shape without the reduced axes.
Shape dropped_shape(const Shape& shape, const std::vector<std::size_t>& axes) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) out.push_back(shape[i]);
  return out;
}

std::vector<std::ptrdiff_t> signed_shape(const Shape& shape) { return {shape.begin(), shape.end()}; }

/// A gradient of the reduced shape, spread back over x's shape.
Tensor expand_grad(const Tensor& g, const Shape& kept, const Shape& full_shape) {
  return broadcast_to(reshape(g, signed_shape(kept)), full_shape);
}

}  // namespace

Tensor sum(const Tensor& x) {
  Axes all(x.dim());
  for (std::size_t i = 0; i < x.dim(); ++i) all[i] = static_cast<std::ptrdiff_t>(i);
  return sum(x, all);
}

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  const auto ax = reduction_axes("sum", x, axes);
  const Tensor cx = detail::contiguous_values(x);
  const Shape kept = kept_shape(x.shape(), ax);
  Tensor out = detail::dispatch_floating("sum", x.dtype(), [&](auto e) {
    using T = decltype(e);
    if (ax.size() == x.dim()) {  // everything: one accumulator (xtensor's 0-d immediate sum crashes)
      const T* d = cx.data<T>();
      T total = 0;
      for (std::size_t i = 0, n = cx.numel(); i < n; ++i) total += d[i];
      return full({}, static_cast<double>(total), x.dtype());
    }
    // Walk the input in order; each element lands in the output slot its kept indices name.
    Tensor out = zeros(kept, x.dtype());
    Strides out_strides = contiguous_strides(kept);
    for (auto a : ax) out_strides[a] = 0;
    const T* in = cx.data<T>();
    T* o = out.data<T>();
    const Shape& shape = x.shape();
    xt::svector<std::size_t, 4> index(shape.size(), 0);
    std::ptrdiff_t offset = 0;
    for (std::size_t i = 0, n = cx.numel(); i < n; ++i) {
      o[offset] += in[i];
      for (std::size_t d = shape.size(); d-- > 0;) {
        offset += out_strides[d];
        if (++index[d] < shape[d]) break;
        offset -= out_strides[d] * static_cast<std::ptrdiff_t>(shape[d]);
        index[d] = 0;
      }
    }
    return out;
  });
  out = reshape(out, signed_shape(keepdim ? kept : dropped_shape(x.shape(), ax))).detach();
  // d(sum x)/dx = 1 for every summed element
  return record("sum", out, {x}, [kept, shape = x.shape()](const Tensor& g) {
    return Grads{expand_grad(g, kept, shape)};
  });
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  DESCENT_CHECK(broadcast_shapes("sum_to", x.shape(), shape) == x.shape(), "sum_to", "cannot reduce ",
                to_string(x.shape()), " to ", to_string(shape));
  const std::size_t lead = x.dim() - shape.size();
  Axes axes;
  for (std::size_t i = 0; i < x.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(static_cast<std::ptrdiff_t>(i));
  return reshape(sum(x, axes, true), signed_shape(shape));
}

}  // namespace descent
