#include "pinn.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "descent/optim/lbfgs.hpp"

namespace pinn {

using namespace descent;

std::shared_ptr<nn::Sequential> mlp(std::size_t in, std::size_t depth, std::size_t width, Generator& gen) {
  auto net = std::make_shared<nn::Sequential>();
  for (std::size_t layer = 0; layer <= depth; ++layer) {
    auto linear = std::make_shared<nn::Linear>(layer == 0 ? in : width, layer == depth ? 1 : width,
                                               nn::LinearOptions{.dtype = float64}, gen);
    nn::init::xavier_normal_(linear->weight, 1, gen);
    nn::init::zeros_(linear->bias);
    net->push_back(linear);
    if (layer < depth) net->push_back(nn::Tanh());
  }
  return net;
}

std::vector<Tensor> derivatives(const Tensor& u, const std::vector<Tensor>& inputs) {
  return autograd::grad({u}, inputs, {ones_like(u)}, {.create_graph = true});
}

Tensor column(const std::vector<double>& values) { return from_buffer(values.data(), Shape{values.size(), 1}); }

std::vector<double> latin_hypercube(std::size_t n, double low, double high, Generator& gen) {
  const Tensor cells = randperm(n, gen);
  const std::int64_t* cell = cells.data<std::int64_t>();
  std::vector<double> points(n);
  for (std::size_t i = 0; i < n; ++i)
    points[i] = low + (high - low) * (static_cast<double>(cell[i]) + gen.uniform()) / static_cast<double>(n);
  return points;
}

std::vector<double> linspace(double low, double high, std::size_t n) {
  std::vector<double> points(n);
  for (std::size_t i = 0; i < n; ++i)
    points[i] = n == 1 ? low : low + (high - low) * static_cast<double>(i) / static_cast<double>(n - 1);
  return points;
}

double train(nn::Module& net, const std::function<Tensor()>& loss, const TrainSettings& settings) {
  double last = 0;
  // One evaluation: gradients of a fresh loss, which must be finite.
  auto evaluate = [&](optim::Optimizer& opt, const char* phase, long iteration) {
    opt.zero_grad();
    Tensor value = loss();
    value.backward();
    last = value.item();
    DESCENT_CHECK(std::isfinite(last), "pinn", "the loss became non-finite (", last, ") in ", phase, " iteration ",
                  iteration);
    return value;
  };
  const int report = settings.report_every;
  auto error_text = [&] {
    char text[48] = "";
    if (settings.error) std::snprintf(text, sizeof text, " relative_l2_error %.6e", settings.error());
    return std::string(text);
  };
  optim::Adam adam(net.parameters(), {.lr = settings.adam_lr});
  for (int i = 1; i <= settings.adam_iterations; ++i) {
    evaluate(adam, "adam", i);
    adam.step();
    if (report > 0 && i % report == 0) std::printf("adam iteration %d loss %.6e%s\n", i, last, error_text().c_str());
  }
  // L-BFGS in steps of `chunk` iterations (a step also ends early when the loss stalls for a moment;
  // the next one carries on with the same history) until the budget is spent (the last step may
  // overrun it by less than a chunk) or a step cannot move.
  const int chunk = std::max(1, std::min(report > 0 ? report : 500, settings.lbfgs_iterations));
  optim::LBFGS lbfgs(net.parameters(), {.max_iter = chunk,
                                        .tolerance_grad = 1e-12,
                                        .tolerance_change = 1e-15,
                                        .history_size = 50,
                                        .line_search_fn = "strong_wolfe"});
  while (lbfgs.n_iter() < settings.lbfgs_iterations) {
    const std::int64_t before = lbfgs.n_iter();
    lbfgs.step([&] { return evaluate(lbfgs, "lbfgs", static_cast<long>(lbfgs.n_iter())); });
    if (report > 0)
      std::printf("lbfgs iteration %lld evaluations %lld loss %.6e%s\n", static_cast<long long>(lbfgs.n_iter()),
                  static_cast<long long>(lbfgs.func_evals()), last, error_text().c_str());
    if (lbfgs.n_iter() == before) break;  // converged: no iteration was possible
  }
  std::printf("trained: Adam %d iterations, L-BFGS %lld iterations (%lld evaluations), loss %.6e\n",
              settings.adam_iterations, static_cast<long long>(lbfgs.n_iter()),
              static_cast<long long>(lbfgs.func_evals()), last);
  return last;
}

double relative_l2(const std::vector<double>& predicted, const std::vector<double>& exact) {
  DESCENT_CHECK(predicted.size() == exact.size() && !exact.empty(), "relative_l2", "got ", predicted.size(),
                " predictions for ", exact.size(), " exact values (must be the same, non-zero)");
  double difference = 0, norm = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    difference += (predicted[i] - exact[i]) * (predicted[i] - exact[i]);
    norm += exact[i] * exact[i];
  }
  return std::sqrt(difference / norm);
}

std::vector<double> predict(nn::Module& net, const Tensor& points) {
  NoGradGuard no_grad;
  const Tensor u = net(points).contiguous();
  const double* values = u.data<double>();
  return std::vector<double>(values, values + u.numel());
}

}  // namespace pinn
