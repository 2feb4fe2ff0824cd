// W1: linear regression as a one-layer net, full-batch gradient descent, 1000 iterations.
// The same workload as the LibTorch baseline w1_linreg.cpp: 100x1 data x = 2·U(0,1),
// y = 4 + 3x + N(0,1); Linear(1,1), MSE, SGD lr 0.1. Each rep trains a fresh, identically
// initialised model; the figure is the median rep.
//
//   bench_w1 [--reps N] [--smoke]
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w1", {"--reps"});
  const int iters = flags.smoke() ? 100 : 1000;
  const int reps = static_cast<int>(std::max(1L, flags.get("--reps", flags.smoke() ? 2 : 31)));

  Generator data_gen(42);
  const Tensor x = 2.0 * rand({100, 1}, data_gen);                // U(0,2)
  const Tensor y = 4.0 + 3.0 * x + randn({100, 1}, data_gen);     // + N(0,1)

  // Closed-form least-squares reference (double precision).
  double w_ols, b_ols;
  {
    const float* xs = x.data<float>();
    const float* ys = y.data<float>();
    const std::size_t n = x.numel();
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) mx += xs[i], my += ys[i];
    mx /= double(n), my /= double(n);
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < n; ++i) sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
    w_ols = sxy / sxx;
    b_ols = my - w_ols * mx;
  }

  struct Fit {
    double weight, bias, mse;
  };
  auto train = [&](double* secs) {
    Generator init(7);  // identical initial weights for every run
    nn::Linear model(1, 1, {}, init);
    optim::SGD opt(model.parameters(), {.lr = 0.1});
    Tensor loss;
    const double t0 = bench::now_s();
    for (int it = 0; it < iters; ++it) {
      opt.zero_grad();
      const Tensor pred = model(x);
      loss = nn::mse_loss(pred, y);
      loss.backward();
      opt.step();
    }
    *secs = bench::now_s() - t0;
    return Fit{model.weight.item(), model.bias.item(), loss.item()};
  };

  double secs;
  train(&secs);  // warm-up run (allocator, caches); discarded
  std::vector<double> t;
  const Fit fit = train(&secs);
  t.push_back(secs);
  for (int r = 1; r < reps; ++r) {
    train(&secs);
    t.push_back(secs);
  }
  std::sort(t.begin(), t.end());
  std::printf(
      "RESULT W1 descent %s us_per_iter=%.3f us_per_iter_min=%.3f us_per_iter_max=%.3f "
      "reps=%d iters=%d weight=%.5f bias=%.5f final_mse=%.5f ols_weight=%.5f ols_bias=%.5f max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), 1e6 * bench::median(t) / iters, 1e6 * t.front() / iters,
      1e6 * t.back() / iters, reps, iters, fit.weight, fit.bias, fit.mse, w_ols, b_ols, bench::max_rss_kb(),
      flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w1: %s\n", e.what());
  return 1;
}
