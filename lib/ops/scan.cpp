// Scans: cumsum, the running sum along an axis. Its gradient is the running sum of the gradient
// taken from the end, whose own gradient is cumsum again: each recorded with the other as its
// backward, differentiable to any order. The loop is kernels::cumulative_sum.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "descent/autograd/function.hpp"
#include "descent/ops/reduce.hpp"
#include "detail/dispatch.hpp"
#include "kernels/index.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// The running sums of x along `axis`, from the start or (reverse) from the end. float32 and
/// float64 keep their dtype and sum in float64 (PyTorch's CPU accumulator); int64 and bool give int64.
Tensor running_sums(const Tensor& x, std::size_t axis, bool reverse) {
  std::size_t outer = 1, length = 1, inner = 1;
  if (x.dim() > 0) {
    for (std::size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    length = x.shape()[axis];
    for (std::size_t d = axis + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  }
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(x.shape(), is_floating(x.dtype()) ? x.dtype() : int64);
  if (x.numel() == 0) return out;
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    if constexpr (std::is_floating_point_v<T>)
      kernels::cumulative_sum<double>(cx.data<T>(), out.data<T>(), outer, length, inner, reverse);
    else
      kernels::cumulative_sum<std::int64_t>(cx.data<T>(), out.data<std::int64_t>(), outer, length, inner, reverse);
  });
  return out;
}

/// cumsum's gradient: the running sum of g from the end. Linear in g; its gradient is cumsum.
Tensor reverse_cumsum(const Tensor& g, std::size_t axis) {
  return record("cumsum_backward", running_sums(g, axis, true), {g}, [axis](const Tensor& gg) {
    return Grads{cumsum(gg, static_cast<std::ptrdiff_t>(axis))};
  });
}

}  // namespace

Tensor cumsum(const Tensor& x, std::ptrdiff_t axis) {
  const std::size_t a = normalize_axis("cumsum", axis, std::max<std::size_t>(x.dim(), 1), x.shape());
  // d(cumsum x)_i/dx_j = 1 for j <= i: the gradient summed from the end
  return record("cumsum", running_sums(x, a, false), {x}, [a](const Tensor& g) { return Grads{reverse_cumsum(g, a)}; });
}

}  // namespace descent
