#pragma once
// Kernels shared by elementwise ops and activations: values computed by an xtensor expression
// over contiguous inputs (xsimd-vectorised), no recording.
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "detail/dispatch.hpp"

namespace descent::detail {

/// out = kernel(a, b) over the broadcast shape, for floating a and b of the same dtype.
template <class Kernel> inline Tensor binary_values(const char* op, const Tensor& a, const Tensor& b, Kernel kernel) {
  check_same_dtype(op, a, b);
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  const Tensor ca = contiguous_values(a), cb = contiguous_values(b);
  Tensor out = empty(shape, a.dtype());
  dispatch_floating(op, a.dtype(), [&](auto e) {
    using T = decltype(e);
    auto o = xview<T>(out);
    xt::noalias(o) = kernel(xview<T>(ca), xview<T>(cb));
  });
  return out;
}

/// out = kernel(x) elementwise, for floating x.
template <class Kernel> inline Tensor unary_values(const char* op, const Tensor& x, Kernel kernel) {
  const Tensor cx = contiguous_values(x);
  Tensor out = empty(x.shape(), x.dtype());
  dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    auto o = xview<T>(out);
    xt::noalias(o) = kernel(xview<T>(cx));
  });
  return out;
}

}  // namespace descent::detail
