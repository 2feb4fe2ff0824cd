// Factory functions: new tensors from shapes, values and ranges.
#include <cmath>

#include "descent/tensor.hpp"
#include "detail/buffer.hpp"
#include "detail/dispatch.hpp"

namespace descent {

Tensor empty(const Shape& shape, Dtype dtype) {
  DESCENT_CHECK(detail::addressable(shape, element_size(dtype)), "empty", "shape ", to_string(shape), " of ",
                to_string(dtype), " is too large: its size or strides overflow 64 bits");
  std::shared_ptr<void> buffer = detail::allocate_buffer(numel(shape) * element_size(dtype));
  void* data = buffer.get();
  return Tensor(std::make_shared<TensorImpl>(std::move(buffer), data, shape, contiguous_strides(shape), dtype));
}

Tensor full(const Shape& shape, double value, Dtype dtype) {
  Tensor out = empty(shape, dtype);
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    std::fill_n(out.data<T>(), out.numel(), static_cast<T>(value));
  });
  return out;
}

Tensor zeros(const Shape& shape, Dtype dtype) { return full(shape, 0, dtype); }
Tensor ones(const Shape& shape, Dtype dtype) { return full(shape, 1, dtype); }
Tensor zeros_like(const Tensor& like) { return full(like.shape(), 0, like.dtype()); }
Tensor ones_like(const Tensor& like) { return full(like.shape(), 1, like.dtype()); }
Tensor full_like(const Tensor& like, double value) { return full(like.shape(), value, like.dtype()); }

Tensor arange(double end, Dtype dtype) { return arange(0, end, 1, dtype); }

Tensor arange(double start, double end, double step, Dtype dtype) {
  DESCENT_CHECK(step != 0 && std::isfinite(step), "arange", "step must be finite and non-zero, got ", step);
  const double count = std::ceil((end - start) / step);
  const std::size_t n = count > 0 ? static_cast<std::size_t>(count) : 0;
  Tensor out = empty({n}, dtype);
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    T* d = out.data<T>();
    for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return out;
}

Tensor eye(std::size_t n, Dtype dtype) { return eye(n, n, dtype); }

Tensor eye(std::size_t n, std::size_t m, Dtype dtype) {
  Tensor out = zeros({n, m}, dtype);
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    T* d = out.data<T>();
    for (std::size_t i = 0; i < std::min(n, m); ++i) d[i * m + i] = T(1);
  });
  return out;
}

Tensor tensor(const xt::xarray<double>& values, Dtype dtype) {
  return Tensor(xt::xarray<double>(values)).to(dtype);
}

}  // namespace descent
