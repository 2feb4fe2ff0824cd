// W3: per-op overhead. MLP 2-16-16-1 (tanh), batch 32, MSE, Adam lr 1e-3, 20000 steps on
// synthetic data: the same workload as the LibTorch baseline w3_overhead.cpp. A pool of 4096
// points x ∈ U(-1,1)², y = sin(3·x₀)·x₁, visited in batches of 32 in order. Each rep trains a fresh,
// identically initialised model; the figure is the median rep.
//
//   bench_w3 [--reps N] [--steps N] [--smoke]
#include <cmath>
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w3", {"--reps", "--steps"});
  const std::size_t B = 32, pool = 4096, nb = pool / B;
  const long steps = std::max(1L, flags.get("--steps", flags.smoke() ? 500 : 20000));
  const long warm_steps = flags.smoke() ? 100 : 1000;
  const int reps = static_cast<int>(std::max(1L, flags.get("--reps", flags.smoke() ? 1 : 3)));

  Generator data_gen(123);
  const Tensor X = rand({pool, 2}, data_gen) * 2.0 - 1.0;  // U(-1,1)^2
  Tensor Y;
  {  // y = sin(3 x0) * x1 (descent has no sin: computed once, outside any timing)
    std::vector<float> y(pool);
    const float* xs = X.data<float>();
    for (std::size_t i = 0; i < pool; ++i) y[i] = std::sin(3.0f * xs[2 * i]) * xs[2 * i + 1];
    Y = from_buffer(y.data(), {pool, 1});
  }

  auto train = [&](long nsteps, double* secs) {
    Generator init(5);
    nn::Sequential model(nn::Linear(2, 16, {}, init), nn::Tanh(), nn::Linear(16, 16, {}, init), nn::Tanh(),
                         nn::Linear(16, 1, {}, init));
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    Tensor loss;
    const double t0 = bench::now_s();
    for (long s = 0; s < nsteps; ++s) {
      const auto b = static_cast<std::ptrdiff_t>((std::size_t(s) % nb) * B);
      const Tensor xb = narrow(X, 0, b, B), yb = narrow(Y, 0, b, B);
      opt.zero_grad();
      loss = nn::mse_loss(model(xb), yb);
      loss.backward();
      opt.step();
    }
    *secs = bench::now_s() - t0;
    return loss.item();
  };

  double secs, final_loss = 0;
  train(warm_steps, &secs);  // warm-up on a throwaway model
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    final_loss = train(steps, &secs);
    t.push_back(secs);
  }
  std::sort(t.begin(), t.end());
  std::printf(
      "RESULT W3 descent %s us_per_step=%.3f us_per_step_min=%.3f us_per_step_max=%.3f "
      "reps=%d steps=%ld final_batch_mse=%.5f max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), 1e6 * bench::median(t) / double(steps), 1e6 * t.front() / double(steps),
      1e6 * t.back() / double(steps), reps, steps, final_loss, bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w3: %s\n", e.what());
  return 1;
}
