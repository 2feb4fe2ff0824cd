// Burgers' equation as in Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378 (2019), §3.1.1.
#include <cmath>
#include <cstdio>
#include <numbers>

#include "burgers_exact.hpp"
#include "descent/plot/plot.hpp"
#include "problems.hpp"

namespace pinn {

using namespace descent;

namespace {

constexpr std::size_t initial_boundary_points = 100, collocation_points = 10000;
constexpr std::size_t grid_x = 256, grid_t = 100;

// N_u points: half on the initial line t = 0 with u = -sin(πx), a quarter on each wall x = ±1 with u = 0.
struct Data {
  Tensor points, values;  // (N_u, 2) as (t, x), (N_u, 1)
};

Data initial_and_boundary(Generator& gen) {
  const std::size_t initial = initial_boundary_points / 2, wall = (initial_boundary_points - initial) / 2;
  const std::vector<double> x0 = latin_hypercube(initial, -1, 1, gen);
  const std::vector<double> t_left = latin_hypercube(wall, 0, 1, gen), t_right = latin_hypercube(wall, 0, 1, gen);
  std::vector<double> t, x, u;
  for (double xi : x0) t.push_back(0), x.push_back(xi), u.push_back(-std::sin(std::numbers::pi * xi));
  for (double ti : t_left) t.push_back(ti), x.push_back(-1), u.push_back(0);
  for (double ti : t_right) t.push_back(ti), x.push_back(1), u.push_back(0);
  return {concat({column(t), column(x)}, 1), column(u)};
}

// The exact solution and the network on the grid, row-major over (t, x) like the paper's usol.T.
struct Grid {
  std::vector<double> t, x, exact;
  Tensor points;  // (t·x, 2)
};

Grid evaluation_grid() {
  Grid grid{linspace(0, 1, grid_t), linspace(-1, 1, grid_x), {}, {}};
  const QuadratureRule rule = gauss_hermite(200);  // agrees with brute force to 1e-15 (tests/samples)
  std::vector<double> t, x;
  for (double ti : grid.t)
    for (double xi : grid.x) {
      t.push_back(ti);
      x.push_back(xi);
      grid.exact.push_back(burgers_exact(ti, xi, rule));
    }
  grid.points = concat({column(t), column(x)}, 1);
  return grid;
}

void plot_slices(const Grid& grid, nn::Module& net, const std::string& path) {
  plot::LineChart chart{.title = "Burgers' equation: PINN against the exact solution", .x_label = "x",
                        .y_label = "u(t, x)"};
  const QuadratureRule rule = gauss_hermite(200);
  for (double t : {0.25, 0.5, 0.75}) {
    std::vector<double> exact, times(grid.x.size(), t);
    for (double x : grid.x) exact.push_back(burgers_exact(t, x, rule));
    const std::vector<double> learned = predict(net, concat({column(times), column(grid.x)}, 1));
    char label[32];
    std::snprintf(label, sizeof label, "t = %.2f", t);
    chart.add(std::string("exact ") + label, grid.x, exact).add(std::string("PINN ") + label, grid.x, learned);
  }
  chart.save(path);
  std::printf("plot: %s\n", path.c_str());
}

}  // namespace

double solve_burgers(const RunSettings& settings) {
  Generator gen(settings.seed);
  const double nu = burgers_nu;
  auto net = mlp(2, 8, 20, gen);
  const Data data = initial_and_boundary(gen);
  // Collocation points: the residual's arguments, leaves so that u_t, u_x, u_xx can be taken.
  const Tensor t = column(latin_hypercube(collocation_points, 0, 1, gen)).requires_grad_();
  const Tensor x = column(latin_hypercube(collocation_points, -1, 1, gen)).requires_grad_();

  auto loss = [&] {
    const Tensor u = (*net)(concat({t, x}, 1));  // inside: backward() frees the graph each time
    const std::vector<Tensor> du = derivatives(u, {t, x});  // u_t, u_x
    const Tensor u_xx = derivatives(du[1], {x})[0];
    const Tensor residual = du[0] + u * du[1] - nu * u_xx;
    return nn::mse_loss((*net)(data.points), data.values) + mean(residual * residual);
  };
  const Grid grid = evaluation_grid();
  auto error_now = [&] { return relative_l2(predict(*net, grid.points), grid.exact); };
  TrainSettings train_settings = settings.train;
  train_settings.error = error_now;
  train(*net, loss, train_settings);

  const double error = error_now();
  if (!settings.plot.empty()) plot_slices(grid, *net, settings.plot);
  return error;
}

}  // namespace pinn
