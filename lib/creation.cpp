// Factory functions: new tensors from shapes, values and ranges.
#include <algorithm>
#include <cmath>
#include <new>

#include "descent/tensor.hpp"
#include "detail/buffer.hpp"
#include "detail/dispatch.hpp"

namespace descent {

Tensor empty(const Shape& shape, Dtype dtype) {
  DESCENT_CHECK(detail::addressable(shape, element_size(dtype)), "empty", "shape ", to_string(shape), " of ",
                to_string(dtype), " is too large: its size or strides overflow 64 bits");
  Storage storage = detail::allocate_buffer(numel(shape) * element_size(dtype));
  void* data = storage.owner.get();
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), data, shape, contiguous_strides(shape), dtype));
}

Tensor full(const Shape& shape, double value, Dtype dtype) {
  // Casting NaN, ±inf or a value beyond int64 to int64 is undefined behaviour (PyTorch refuses it too).
  DESCENT_CHECK(dtype != int64 || (value >= -0x1p63 && value < 0x1p63), "full", "value ", value,
                " cannot be an int64 (finite values in [-2^63, 2^63) only)");
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
  DESCENT_CHECK(std::isfinite(start) && std::isfinite(end), "arange", "start and end must be finite, got ", start,
                " and ", end);
  DESCENT_CHECK(step != 0 && std::isfinite(step), "arange", "step must be finite and non-zero, got ", step);
  // Finite bounds can still give an infinite count (end - start overflows, or a tiny step):
  // check the count before it is cast to size_t, where anything at or beyond 2^64 is undefined.
  const double count = std::max(0.0, std::ceil((end - start) / step));
  DESCENT_CHECK(count < 0x1p63 && detail::addressable({static_cast<std::size_t>(count)}, element_size(dtype)),
                "arange", "from ", start, " to ", end, " by ", step, " is ", count, " values of ", to_string(dtype),
                ": too many to address");
  const auto n = static_cast<std::size_t>(count);
  // The first and last values are the extremes; int64 must hold them (casting beyond is undefined).
  const double last = start + static_cast<double>(n ? n - 1 : 0) * step;
  DESCENT_CHECK(dtype != int64 || n == 0 || (std::min(start, last) >= -0x1p63 && std::max(start, last) < 0x1p63),
                "arange", "values from ", start, " to ", last, " do not fit in int64 ([-2^63, 2^63))");
  Tensor out;
  try {
    out = empty({n}, dtype);
  } catch (const std::bad_alloc&) {
    throw Error(detail::concat("arange: from ", start, " to ", end, " by ", step, " is ", n, " values of ",
                               to_string(dtype), " (", static_cast<double>(n * element_size(dtype)),
                               " bytes): out of memory"));
  }
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

Tensor detail::tensor_from_values(xt::xarray<double> values, Dtype dtype) {
  return Tensor(std::move(values)).to(dtype);
}

namespace {

/// The shape of a nested list: each level's items must share one shape.
Shape nested_shape(const NestedList& list) {
  if (!list.is_list()) return {};
  const auto& items = list.items();
  Shape shape{items.size()};
  if (items.empty()) return shape;
  const Shape inner = nested_shape(items[0]);
  for (std::size_t i = 1; i < items.size(); ++i) {
    const Shape other = nested_shape(items[i]);
    DESCENT_CHECK(other == inner, "tensor", "ragged list: item ", i, " has shape ", to_string(other), " but item 0 has ",
                  to_string(inner));
  }
  shape.insert(shape.end(), inner.begin(), inner.end());
  return shape;
}

template <class T> void write_nested(const NestedList& list, T*& out) {
  if (list.is_list()) {
    for (const NestedList& item : list.items()) write_nested(item, out);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    *out++ = list.integer();
  } else if constexpr (std::is_same_v<T, bool>) {
    *out++ = list.number() != 0;
  } else {
    *out++ = static_cast<T>(list.number());
  }
}

bool all_integers(const NestedList& list) {
  if (!list.is_list()) return list.is_integer();
  return std::all_of(list.items().begin(), list.items().end(), all_integers);
}

}  // namespace

Tensor tensor(const NestedList& values, Dtype dtype) {
  // Floating values for an int64 tensor truncate as torch's do, through to()'s checks (NaN, range).
  if (dtype == Dtype::int64 && !all_integers(values)) return tensor(values, Dtype::float64).to(dtype);
  Tensor out = empty(nested_shape(values), dtype);
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    T* cursor = out.data<T>();
    write_nested(values, cursor);
  });
  return out;
}

}  // namespace descent
