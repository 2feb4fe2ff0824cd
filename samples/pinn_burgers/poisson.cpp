// A one-dimensional problem of the same kind that trains in seconds: the sample's CTest check.
#include <cmath>
#include <numbers>

#include "problems.hpp"

namespace pinn {

using namespace descent;

double solve_poisson(const RunSettings& settings) {
  const double pi = std::numbers::pi;
  Generator gen(settings.seed);
  auto net = mlp(1, 2, 20, gen);
  const std::vector<double> xs = latin_hypercube(64, -1, 1, gen);
  std::vector<double> forcing;
  for (double x : xs) forcing.push_back(pi * pi * std::sin(pi * x));
  const Tensor x = column(xs).requires_grad_(), f = column(forcing);
  const Tensor walls = column({-1.0, 1.0});

  auto loss = [&] {
    const Tensor u = (*net)(x);
    const Tensor u_xx = derivatives(derivatives(u, {x})[0], {x})[0];
    const Tensor residual = u_xx + f;  // -u'' - π² sin(πx)
    const Tensor boundary = (*net)(walls);
    return mean(residual * residual) + mean(boundary * boundary);
  };
  train(*net, loss, settings.train);

  const std::vector<double> grid = linspace(-1, 1, 256);
  std::vector<double> exact;
  for (double xi : grid) exact.push_back(std::sin(pi * xi));
  return relative_l2(predict(*net, column(grid)), exact);
}

}  // namespace pinn
