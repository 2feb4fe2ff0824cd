#pragma once
// Gauss–Hermite quadrature: ∫ g(z) exp(-z²) dz ≈ Σ w_i g(z_i), exact for polynomials g of degree < 2n.
// Nodes are the roots of the physicists' Hermite polynomial H_n: bracketed by a scan of [0, sqrt(2n+1)]
// (every root lies inside; neighbours are at least ~π/sqrt(2n+1) apart) and bisected to the last bit.
// ψ_n, H_n normalised, comes from its three-term recurrence (no overflow for n ≤ 400);
// w_i = 2 / ψ_n'(z_i)² with ψ_n' = sqrt(2n) ψ_{n-1}. (Newton from Numerical Recipes' first guesses
// wandered to the wrong root for n = 200.)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "descent/error.hpp"

namespace pinn {

struct QuadratureRule {
  std::vector<double> nodes, weights;  // nodes increasing
};

namespace detail {
// (ψ_n(z), ψ_{n-1}(z)).
inline std::pair<double, double> hermite_orthonormal(std::size_t n, double z) {
  double p1 = std::pow(std::numbers::pi, -0.25), p2 = 0;  // ψ_0, ψ_{-1}
  for (std::size_t j = 0; j < n; ++j) {
    const double p3 = p2, dj = static_cast<double>(j);
    p2 = p1;
    p1 = z * std::sqrt(2 / (dj + 1)) * p2 - std::sqrt(dj / (dj + 1)) * p3;
  }
  return {p1, p2};
}
}  // namespace detail

inline QuadratureRule gauss_hermite(std::size_t n) {
  DESCENT_CHECK(n >= 1 && n <= 400, "gauss_hermite", "invalid number of nodes ", n, " (must be in [1, 400])");
  const double dn = static_cast<double>(n), top = std::sqrt(2 * dn + 1), h = 0.1 / top;
  std::vector<double> positive;  // the roots > 0, increasing
  double a = h / 2, fa = detail::hermite_orthonormal(n, a).first;
  for (double b = a + h; b <= top + h; a = b, b += h) {
    const double fb = detail::hermite_orthonormal(n, b).first;
    if ((fa < 0) != (fb < 0)) {
      double lo = a, hi = b, flo = fa;
      while (true) {
        const double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        const double fm = detail::hermite_orthonormal(n, mid).first;
        if ((fm < 0) == (flo < 0)) lo = mid, flo = fm;
        else hi = mid;
      }
      positive.push_back(lo + (hi - lo) / 2);
    }
    fa = fb;
  }
  DESCENT_CHECK(positive.size() == n / 2, "gauss_hermite", "found ", positive.size(), " positive roots of H_", n,
                " (expected ", n / 2, ")");
  QuadratureRule rule{std::vector<double>(n, 0.0), std::vector<double>(n)};
  for (std::size_t i = 0; i < positive.size(); ++i) {
    rule.nodes[n - 1 - i] = positive[positive.size() - 1 - i];
    rule.nodes[i] = -positive[positive.size() - 1 - i];
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double derivative = std::sqrt(2 * dn) * detail::hermite_orthonormal(n, rule.nodes[i]).second;
    rule.weights[i] = 2 / (derivative * derivative);
  }
  return rule;
}

}  // namespace pinn
