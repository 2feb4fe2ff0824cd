#pragma once
// What both problems of the sample share: the network, derivatives of its output with respect to
// its inputs (differentiable themselves, so a loss can hold them), Adam then L-BFGS on a loss, and
// the error measure.
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "descent/descent.hpp"

namespace pinn {

using descent::Tensor;

/// in → `depth` hidden layers of `width` tanh units → 1, float64, Xavier-normal weights and zero
/// biases (Raissi et al.'s initialisation).
std::shared_ptr<descent::nn::Sequential> mlp(std::size_t in, std::size_t depth, std::size_t width,
                                            descent::Generator& gen);

/// ∂u/∂x_i for each input, per point: u is (N, 1), computed pointwise from the (N, 1) inputs, so the
/// gradient of Σu is the derivative at each point. The results stay on the tape (create_graph).
std::vector<Tensor> derivatives(const Tensor& u, const std::vector<Tensor>& inputs);

/// Points as an (n, 1) float64 column.
Tensor column(const std::vector<double>& values);
/// n points stratified over [low, high): one uniform point in each of n equal cells, cells shuffled
/// (one dimension of a Latin hypercube; two independent calls give a 2-D one).
std::vector<double> latin_hypercube(std::size_t n, double low, double high, descent::Generator& gen);
/// n equally spaced points from low to high, both included (numpy.linspace).
std::vector<double> linspace(double low, double high, std::size_t n);

struct TrainSettings {
  int adam_iterations = 0;
  double adam_lr = 1e-3;
  int lbfgs_iterations = 0;
  int report_every = 0;  ///< print the loss every so many evaluations (0: never)
  /// If set, printed beside each report: the error against the exact solution so far.
  std::function<double()> error;
};

/// Minimises loss() over the module's parameters: Adam, then L-BFGS (strong Wolfe line search).
/// Returns the last loss. Throws descent::Error if the loss becomes non-finite.
double train(descent::nn::Module& net, const std::function<Tensor()>& loss, const TrainSettings& settings);

/// ‖predicted - exact‖₂ / ‖exact‖₂.
double relative_l2(const std::vector<double>& predicted, const std::vector<double>& exact);

/// The network's output at these points, without recording.
std::vector<double> predict(descent::nn::Module& net, const Tensor& points);

}  // namespace pinn
