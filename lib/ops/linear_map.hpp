#pragma once
// A linear map y = A·x computed by a kernel, with its adjoint Aᵀ·g computed by another (pooling,
// pad, interpolate): A·x is recorded with the backward Aᵀ·g, which is itself recorded with the
// backward A·gg, so the pair differentiates to any order (PyTorch's max_pool2d_with_indices_backward
// and avg_pool2d_backward pattern) and a plain backward() runs the fused kernel alone.
#include <memory>
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/tensor.hpp"
#include "detail/dispatch.hpp"

namespace descent::detail {

class LinearMap {
 public:
  LinearMap(const char* name, const char* adjoint_name) : name(name), adjoint_name(adjoint_name) {}
  virtual ~LinearMap() = default;
  /// A·x and Aᵀ·g, values only, for a contiguous x (of the input shape) or g (of the output shape).
  virtual Tensor apply(const Tensor& x) const = 0;
  virtual Tensor adjoint(const Tensor& g) const = 0;
  const char* name;          ///< the op, e.g. "avg_pool2d"
  const char* adjoint_name;  ///< its backward, e.g. "avg_pool2d_backward"
};

Tensor apply_linear(const std::shared_ptr<const LinearMap>& map, const Tensor& x, bool adjoint = false);

/// Records y = A·x (or Aᵀ·x when `adjoint`), whose values the caller computed.
inline Tensor record_linear(const std::shared_ptr<const LinearMap>& map, const Tensor& x, Tensor y, bool adjoint) {
  // d(A·x)/dx · g = Aᵀ·g, and d(Aᵀ·g)/dg · gg = A·gg
  return autograd::record(adjoint ? map->adjoint_name : map->name, std::move(y), {x}, [map, adjoint](const Tensor& g) {
    return std::vector<Tensor>{apply_linear(map, g, !adjoint)};
  });
}

/// A new tensor of `shape` and `dtype` written by kernel(out) with out a T* for the dtype's element
/// type T (float or double): the body of a map's apply and adjoint.
template <class Kernel> Tensor written_by(const char* op, const Shape& shape, Dtype dtype, Kernel kernel) {
  Tensor out = empty(shape, dtype);
  dispatch_floating(op, dtype, [&](auto e) { kernel(out.data<decltype(e)>()); });
  return out;
}

/// Whether record_linear would do anything for input x (else the caller can skip building its map).
inline bool records(const Tensor& x) {
  return autograd::should_record({x}) || autograd::is_anomaly_enabled() || autograd::active_tracer();
}

/// A·x (or Aᵀ·x), recorded.
inline Tensor apply_linear(const std::shared_ptr<const LinearMap>& map, const Tensor& x, bool adjoint) {
  const Tensor cx = contiguous_values(x);
  Tensor y = adjoint ? map->adjoint(cx) : map->apply(cx);
  return record_linear(map, x, std::move(y), adjoint);
}

}  // namespace descent::detail
