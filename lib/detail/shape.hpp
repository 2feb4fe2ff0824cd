#pragma once
// Shape helpers private to the library.
#include <vector>

#include "descent/shape.hpp"

namespace descent::detail {

/// A shape as reshape's argument: reshape(g, signed_shape(x.shape())) gives g x's shape.
inline std::vector<std::ptrdiff_t> signed_shape(const Shape& shape) { return {shape.begin(), shape.end()}; }

}  // namespace descent::detail
