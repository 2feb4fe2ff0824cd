#pragma once
// The two problems the sample solves; each trains its network and returns the relative L2 error
// against the exact solution.
#include <cstdint>
#include <string>

#include "pinn.hpp"

namespace pinn {

struct RunSettings {
  TrainSettings train;
  std::uint64_t seed = 1234;
  std::string plot;  ///< an SVG file to draw into ("" for none)
};

/// u_t + u·u_x - (0.01/π)·u_xx = 0 on [-1, 1] × [0, 1], u(0, x) = -sin(πx), u(t, ±1) = 0:
/// 8 × 20 tanh, N_u = 100, N_f = 10 000; the error is taken on the 256 × 100 grid.
double solve_burgers(const RunSettings& settings);

/// -u'' = π² sin(πx) on [-1, 1], u(±1) = 0 (exact: sin(πx)): 2 × 20 tanh, 64 collocation points,
/// the error on 256 points. Seconds.
double solve_poisson(const RunSettings& settings);

}  // namespace pinn
