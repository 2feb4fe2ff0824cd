#pragma once
// Shapes and strides (in elements), stored inline for up to 4 dimensions, and lists of axes.
#include <cstddef>
#include <string>
#include <vector>
#include <xtensor/xstorage.hpp>

namespace descent {

using Shape = xt::svector<std::size_t, 4>;
using Strides = xt::svector<std::ptrdiff_t, 4>;
/// Axes of a reduction or permutation; negative ones count from the end.
using Axes = std::vector<std::ptrdiff_t>;
/// Every axis, for a full reduction that keeps its dims: sum(x, all_axes, true), x.mean(all_axes,
/// true) (NumPy's axis=None with keepdims). An empty Axes{} reduces no axis, as NumPy's axis=().
struct AllAxes {
  struct Tag {};
  constexpr explicit AllAxes(Tag) {}  // no AllAxes from a braced list: sum(x, {-1}, true) is the Axes overload
};
inline constexpr AllAxes all_axes{AllAxes::Tag{}};

/// "(2,3)", "(4,)" or "()", the way NumPy prints shapes (and tuples of axes).
std::string to_string(const Shape& shape);
std::string to_string(const Axes& axes);
/// Number of elements of a shape (1 for a scalar).
std::size_t numel(const Shape& shape);
/// Row-major (C-order) strides of a shape.
Strides contiguous_strides(const Shape& shape);
/// NumPy broadcasting of two shapes; throws "<op>: cannot broadcast (a) with (b)".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
/// An axis in [-dim, dim) made non-negative; throws "<op>: axis a out of range for (shape)".
std::size_t normalize_axis(const char* op, std::ptrdiff_t axis, std::size_t dim, const Shape& shape);

}  // namespace descent
