#pragma once
// Closed-form test inputs that a Python reference script builds the same way (tests/ops/norm_reference.py).
#include <cmath>

#include "descent/tensor.hpp"

namespace descent::testing {

/// a·sin(b·k + c) at flat index k, in float64.
inline Tensor sine_filled(const Shape& shape, double a, double b, double c) {
  xt::xarray<double> v = xt::xarray<double>::from_shape(shape);
  for (std::size_t k = 0; k < v.size(); ++k) v.data()[k] = a * std::sin(b * static_cast<double>(k) + c);
  return tensor(v, float64);
}

/// cos(0.37·k) at flat index k: the upstream gradient of the reference gradients.
inline Tensor cosine_upstream(const Shape& shape) {
  xt::xarray<double> v = xt::xarray<double>::from_shape(shape);
  for (std::size_t k = 0; k < v.size(); ++k) v.data()[k] = std::cos(0.37 * static_cast<double>(k));
  return tensor(v, float64);
}

}  // namespace descent::testing
