#include "descent/shape.hpp"

#include "descent/error.hpp"

namespace descent {

namespace {
template <class List> std::string tuple_string(const List& list) {
  std::string s = "(";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(list[i]);
  }
  return s + (list.size() == 1 ? ",)" : ")");
}
}  // namespace

std::string to_string(const Shape& shape) { return tuple_string(shape); }
std::string to_string(const Axes& axes) { return tuple_string(axes); }

std::size_t numel(const Shape& shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  std::ptrdiff_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= static_cast<std::ptrdiff_t>(shape[i]);
  }
  return strides;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  if (a == b) return a;
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    DESCENT_CHECK(da == db || da == 1 || db == 1, op, "cannot broadcast ", to_string(a), " with ", to_string(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t dim, const Shape& shape) {
  const auto d = static_cast<std::ptrdiff_t>(dim);
  DESCENT_CHECK(axis >= -d && axis < d, op, "axis ", axis, " out of range for shape ", to_string(shape));
  return static_cast<std::size_t>(axis < 0 ? axis + d : axis);
}

}  // namespace descent
