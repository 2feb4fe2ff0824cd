// W4: compute-bound MLP 1024-2048-2048-10 (ReLU), batch 256, plain SGD lr 0.01, cross-entropy on
// random data, 30 timed steps after 3 warm-up steps: the same workload as the LibTorch baseline
// w4_compute.cpp. FLOP count: 6·params·batch per step (forward 2, backward 4).
//
//   bench_w4 [--steps N] [--smoke]
#include <cstdint>
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w4", {"--steps"});
  const std::size_t B = 256;
  const long steps = std::max(1L, flags.get("--steps", flags.smoke() ? 3 : 30));
  const long warm = flags.smoke() ? 1 : 3;

  Generator gen(11);
  nn::Sequential model(nn::Linear(1024, 2048, {}, gen), nn::ReLU(), nn::Linear(2048, 2048, {}, gen), nn::ReLU(),
                       nn::Linear(2048, 10, {}, gen));
  optim::SGD opt(model.parameters(), {.lr = 0.01});
  const Tensor X = randn({B, 1024}, gen);
  Tensor Y;
  {
    std::vector<std::int64_t> labels(B);
    for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(10));
    Y = from_buffer(labels.data(), {B});
  }
  const double P = static_cast<double>(model.num_parameters());

  std::vector<double> per_step;
  double total = 0;
  Tensor loss;
  for (long s = 0; s < warm + steps; ++s) {
    const double t0 = bench::now_s();
    opt.zero_grad();
    loss = nn::cross_entropy(model(X), Y);
    loss.backward();
    opt.step();
    const double dt = bench::now_s() - t0;
    if (s >= warm) per_step.push_back(dt), total += dt;
  }
  const double flop = 6.0 * P * double(B);  // 6 * params * batch per step
  const double ms_mean = 1e3 * total / double(steps), ms_med = 1e3 * bench::median(per_step);
  std::printf(
      "RESULT W4 descent %s ms_per_step=%.3f ms_per_step_median=%.3f gflops=%.2f params=%lld "
      "flop_per_step=%.4e final_loss=%.4f steps=%ld max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), ms_mean, ms_med, flop / (ms_mean * 1e-3) / 1e9, (long long)P, flop,
      loss.item(), steps, bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w4: %s\n", e.what());
  return 1;
}
