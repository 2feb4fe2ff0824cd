#include "kernels/copy.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "detail/dispatch.hpp"

namespace descent::kernels {

namespace {

template <class T>
void copy_strided(T* dst, const T* src, const Shape& shape, const Strides& to, const Strides& from, std::size_t axis) {
  const std::size_t n = shape[axis];
  if (axis + 1 == shape.size()) {
    if (to[axis] == 1 && from[axis] == 1) {
      std::copy_n(src, n, dst);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        dst[static_cast<std::ptrdiff_t>(i) * to[axis]] = src[static_cast<std::ptrdiff_t>(i) * from[axis]];
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    copy_strided(dst + static_cast<std::ptrdiff_t>(i) * to[axis], src + static_cast<std::ptrdiff_t>(i) * from[axis],
                 shape, to, from, axis + 1);
}

/// Copies `shape` elements from src (strides `from`) to dst (strides `to`), merging axes that
/// are laid out one after the other in both.
void copy_layout(Dtype dtype, void* dst, const Strides& to_strides, const void* src, const Strides& from_strides,
                 const Shape& full_shape) {
  if (numel(full_shape) == 0) return;
  Shape shape;
  Strides to, from;
  for (std::size_t i = 0; i < full_shape.size(); ++i) {
    const std::size_t n = full_shape[i];
    if (n == 1) continue;
    const auto n_ = static_cast<std::ptrdiff_t>(n);
    if (!shape.empty() && to.back() == to_strides[i] * n_ && from.back() == from_strides[i] * n_) {
      shape.back() *= n;
      to.back() = to_strides[i];
      from.back() = from_strides[i];
    } else {
      shape.push_back(n);
      to.push_back(to_strides[i]);
      from.push_back(from_strides[i]);
    }
  }
  if (shape.empty()) shape = {1}, to = {1}, from = {1};
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    copy_strided(static_cast<T*>(dst), static_cast<const T*>(src), shape, to, from, 0);
  });
}

/// The bytes [first, last) that t's elements span (empty for no elements).
std::pair<const char*, const char*> span(const Tensor& t) {
  const auto* base = static_cast<const char*>(t.impl().data);
  if (t.numel() == 0) return {base, base};
  std::ptrdiff_t low = 0, high = 0;  // in elements, relative to the first one
  for (std::size_t i = 0; i < t.dim(); ++i) {
    const std::ptrdiff_t reach = t.strides()[i] * static_cast<std::ptrdiff_t>(t.shape()[i] - 1);
    (reach < 0 ? low : high) += reach;
  }
  const auto size = static_cast<std::ptrdiff_t>(element_size(t.dtype()));
  return {base + low * size, base + (high + 1) * size};
}

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  copy_layout(dst.dtype(), dst.impl().data, dst.strides(), src.impl().data, src.strides(), dst.shape());
}

void copy_to_contiguous(const Tensor& src, void* out) {
  if (src.numel() == 0) return;  // memcpy from a null buffer is undefined, even for 0 bytes
  if (src.is_contiguous()) {
    std::memcpy(out, src.impl().data, src.numel() * element_size(src.dtype()));
    return;
  }
  copy_layout(src.dtype(), out, contiguous_strides(src.shape()), src.impl().data, src.strides(), src.shape());
}

bool may_overlap(const Tensor& a, const Tensor& b) {
  const auto [a_first, a_last] = span(a);
  const auto [b_first, b_last] = span(b);
  // std::less gives a total order even on pointers into different buffers.
  const std::less<const char*> before;
  return a_first != a_last && b_first != b_last && before(a_first, b_last) && before(b_first, a_last);
}

}  // namespace descent::kernels
