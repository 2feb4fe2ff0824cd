#pragma once
// The exact solution of Burgers' equation u_t + u·u_x = ν·u_xx on x ∈ [-1, 1] with u(0, x) = -sin(πx)
// (u(t, ±1) = 0 follows by symmetry), by the Cole–Hopf transformation (Basdevant et al., 1986):
//   u(t, x) = -∫ sin(π(x-η)) f(x-η) exp(-η²/4νt) dη / ∫ f(x-η) exp(-η²/4νt) dη,
//   f(y) = exp(-cos(πy) / (2πν)).
// With η = sqrt(4νt)·z both integrals are Gauss–Hermite integrals in z. f spans e^{±1/(2πν)} (e^{±50}
// for ν = 0.01/π), so the largest exponent over the nodes is factored out of both sums (it cancels).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "gauss_hermite.hpp"

namespace pinn {

inline constexpr double burgers_nu = 0.01 / std::numbers::pi;

inline double burgers_exact(double t, double x, const QuadratureRule& rule, double nu = burgers_nu) {
  const double pi = std::numbers::pi;
  if (t == 0) return -std::sin(pi * x);
  const double scale = std::sqrt(4 * nu * t);
  std::vector<double> exponent(rule.nodes.size());
  double largest = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
    exponent[i] = -std::cos(pi * (x - scale * rule.nodes[i])) / (2 * pi * nu);
    largest = std::max(largest, exponent[i]);
  }
  double numerator = 0, denominator = 0;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
    const double wf = rule.weights[i] * std::exp(exponent[i] - largest);
    numerator += std::sin(pi * (x - scale * rule.nodes[i])) * wf;
    denominator += wf;
  }
  return -numerator / denominator;
}

}  // namespace pinn
