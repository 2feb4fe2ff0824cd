// Reductions that pick values rather than add them: max, min, logsumexp (a smooth max) and
// argmax. Same axis conventions and kernels as reduce.cpp. The backward rules need x compared
// with the result (the tie mask) or exp(x - result) (the softmax): each is one fused pass over x
// that also applies the incoming gradient.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "kernels/reduce.hpp"
#include "kernels/softmax.hpp"
#include "ops/expand_grad.hpp"
#include "ops/reduce_attributes.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// The gradient of a reduction, kernel(x, g, dx) over contiguous values (0 for an empty x).
template <class Kernel>
Tensor reduction_grad(const char* op, const Tensor& x, const Tensor& g, Kernel kernel) {
  if (x.numel() == 0) return zeros(x.shape(), x.dtype());
  const Tensor cx = detail::contiguous_values(x), cg = detail::contiguous_values(g);
  Tensor grad = empty(x.shape(), x.dtype());
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernel(cx.data<T>(), cg.data<T>(), grad.data<T>());
  });
  return grad;
}

template <template <class> class Op>
Tensor extremum(const char* op, const Tensor& x, const kernels::ReduceLayout& l) {
  DESCENT_CHECK(l.extent > 0, op, "cannot reduce zero elements (shape ", to_string(x.shape()),
                "): the ", op, " of an empty set is undefined");
  Tensor out = detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    return kernels::reduce_values<Op<T>, T, T>(l, x);
  });
  autograd::trace_attributes(out, [&] { return detail::reduce_attributes(l); });
  // d(max x)/dx = 1 at the maximum and 0 elsewhere (min alike); ties share it equally, like torch.amax.
  // Linear in g: under create_graph, g spread back times those fixed weights (recorded ops).
  return record(op, out, {x}, [op, l, sx = SavedTensor(x.detach()), top = SavedTensor::output(out)](const Tensor& g) {
    const Tensor x = sx.unpack(), t = top.unpack().detach();
    const auto kernel = [&](const Tensor& grad) {
      return reduction_grad(op, x, grad, [&](const auto* xv, const auto* gv, auto* dx) {
        using T = std::remove_pointer_t<decltype(dx)>;
        kernels::extremum_backward(l, xv, t.data<T>(), gv, dx);
      });
    };
    if (!autograd::is_grad_enabled()) return Grads{kernel(g)};
    return Grads{expand_grad(g, l, x.shape()) * kernel(ones_like(g))};
  });
}

Tensor logsumexp_over(const Tensor& x, const kernels::ReduceLayout& l) {
  detail::check_floating("logsumexp", x);
  Tensor out = empty(l.result, x.dtype());
  detail::dispatch_floating("logsumexp", x.dtype(), [&](auto e) {
    using T = decltype(e);
    T* o = out.data<T>();
    if (x.numel() == 0) {
      for (std::size_t i = 0; i < l.out_numel; ++i) o[i] = -std::numeric_limits<T>::infinity();  // log(0)
      return;
    }
    const Tensor cx = detail::contiguous_values(x);
    kernels::logsumexp_into(l, cx.data<T>(), o);
  });
  autograd::trace_attributes(out, [&] { return detail::reduce_attributes(l); });
  // d(logsumexp x)/dx = exp(x - logsumexp x) = softmax(x): one fused pass, or recorded ops under
  // create_graph
  return record("logsumexp", out, {x}, [l, sx = SavedTensor(x), sr = SavedTensor::output(out)](const Tensor& g) {
    const Tensor x = sx.unpack(), result = sr.unpack();
    if (autograd::is_grad_enabled()) {
      if (x.numel() == 0) return Grads{zeros_like(x)};
      return Grads{expand_grad(g, l, x.shape()) * exp(x - expand_grad(result, l, x.shape()))};
    }
    return Grads{reduction_grad("logsumexp", x, g, [&](const auto* xv, const auto* gv, auto* dx) {
      using T = std::remove_pointer_t<decltype(dx)>;
      kernels::logsumexp_backward(l, xv, result.data<T>(), gv, dx);
    })};
  });
}

}  // namespace

Tensor max(const Tensor& x) { return extremum<kernels::MaxOp>("max", x, kernels::reduce_layout_all(x)); }
Tensor max(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum<kernels::MaxOp>("max", x, kernels::reduce_layout("max", x, axes, keepdim));
}
Tensor min(const Tensor& x) { return extremum<kernels::MinOp>("min", x, kernels::reduce_layout_all(x)); }
Tensor min(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum<kernels::MinOp>("min", x, kernels::reduce_layout("min", x, axes, keepdim));
}

Tensor logsumexp(const Tensor& x) { return logsumexp_over(x, kernels::reduce_layout_all(x)); }
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  return logsumexp_over(x, kernels::reduce_layout("logsumexp", x, axes, keepdim));
}

Tensor argmax(const Tensor& x, std::ptrdiff_t axis, bool keepdim) {
  const std::size_t a = normalize_axis("argmax", axis, x.dim(), x.shape());
  const kernels::ReduceLayout l = kernels::reduce_layout("argmax", x, {axis}, keepdim);
  DESCENT_CHECK(l.extent > 0, "argmax", "cannot take the argmax of an empty axis (axis ", axis, " of shape ",
                to_string(x.shape()), ")");
  Tensor out = empty(l.result, int64);
  if (x.numel() == 0) return out;
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < a; ++i) outer *= x.shape()[i];
  for (std::size_t i = a + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const std::size_t len = x.shape()[a];
  const Tensor cx = detail::contiguous_values(x);
  std::int64_t* idx = out.data<std::int64_t>();
  // The max first (vectorised, NaN if any is NaN: NaN counts as the largest, like NumPy), then the
  // first index holding it (ties give the first index).
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* xv = cx.data<T>();
    const std::unique_ptr<T[]> top(new T[l.out_numel]);  // (not std::vector: T may be bool)
    kernels::reduce_into<kernels::MaxOp<T>, T>(l, xv, top.get());
    for (std::size_t p = 0; p < outer; ++p) {
      const T* xp = xv + p * len * inner;
      const T* tp = top.get() + p * inner;
      std::int64_t* ip = idx + p * inner;
      if (inner == 1) {
        std::size_t r = 0;
        if constexpr (std::is_floating_point_v<T>) {  // whole batches first
          using B = xsimd::batch<T>;
          while (r + B::size <= len && !xsimd::any(kernels::hits(B::load_unaligned(xp + r), B(tp[0]))))
            r += B::size;
        }
        while (!kernels::hits(xp[r], tp[0])) ++r;
        ip[0] = static_cast<std::int64_t>(r);
        continue;
      }
      for (std::size_t j = 0; j < inner; ++j) ip[j] = -1;
      for (std::size_t r = 0; r < len; ++r)
        for (std::size_t j = 0; j < inner; ++j)
          ip[j] = ((ip[j] < 0) & kernels::hits(xp[r * inner + j], tp[j])) ? static_cast<std::int64_t>(r) : ip[j];
    }
  });
  return out;
}

}  // namespace descent
