#pragma once
// Run-time dtype to compile-time element type: f is called with a value of the element type.
#include <cstdint>

#include "descent/dtype.hpp"
#include "descent/error.hpp"
#include "descent/tensor.hpp"

#include <xtensor/xadapt.hpp>

namespace descent::detail {

template <class F> decltype(auto) dispatch(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::float32: return f(float{});
    case Dtype::float64: return f(double{});
    case Dtype::int64: return f(std::int64_t{});
    case Dtype::boolean: break;
  }
  return f(bool{});
}

/// For operations defined on float32 and float64 only.
template <class F> decltype(auto) dispatch_floating(const char* op, Dtype dtype, F&& f) {
  if (dtype == Dtype::float64) return f(double{});
  DESCENT_CHECK(dtype == Dtype::float32, op, "expected a float32 or float64 tensor, got ", to_string(dtype));
  return f(float{});
}

inline void check_floating(const char* op, const Tensor& x) {
  DESCENT_CHECK(is_floating(x.dtype()), op, "expected a float32 or float64 tensor, got ", to_string(x.dtype()),
                " of shape ", to_string(x.shape()));
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  DESCENT_CHECK(a.dtype() == b.dtype(), op, "dtype mismatch: ", to_string(a.dtype()), " ", to_string(a.shape()),
                " and ", to_string(b.dtype()), " ", to_string(b.shape()), " (convert one with .to(dtype))");
}

/// An xtensor view of a contiguous tensor's values, without copying.
template <class T> auto xview(const Tensor& t) {
  return xt::adapt(t.data<T>(), t.numel(), xt::no_ownership(), t.shape());
}

}  // namespace descent::detail

namespace descent::detail {

/// The values of `t` in row-major order, without recording anything on the tape: `t` itself when
/// it is already contiguous. For kernels that read raw pointers.
inline Tensor contiguous_values(const Tensor& t) { return t.is_contiguous() ? t : t.detach().contiguous(); }

/// A 0-d tensor holding `value` in `like`'s dtype: the tensor form of a scalar operand.
Tensor scalar_like(const Tensor& like, double value);

}  // namespace descent::detail

namespace descent::detail {

/// A new tensor sharing `base`'s buffer, with its own first element, shape and strides. Not recorded.
inline Tensor make_view(const Tensor& base, void* data, Shape shape, Strides strides) {
  return Tensor(
      std::make_shared<TensorImpl>(base.impl().storage(), data, std::move(shape), std::move(strides), base.dtype()));
}

}  // namespace descent::detail
