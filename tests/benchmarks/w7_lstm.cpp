// W7: a recurrent network, the same workload as the LibTorch baseline w7_lstm.cpp, one training
// step timed at a time:
//   LSTM(input 32, hidden 128, 2 layers, batch_first) over sequences of 50 steps -> the last
//   step's hidden state -> Linear(128, 10); cross-entropy; Adam lr 1e-3; batch 64; random inputs
//   and labels (seeded, drawn outside the timing as LibTorch's are); 3 warm-up + 30 timed steps.
//
//   bench_w7 [--steps N] [--smoke]
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w7", {"--steps"});
  const std::size_t B = 64, T = 50, I = 32, H = 128, C = 10;
  const int steps = flags.smoke() ? 2 : static_cast<int>(flags.get("--steps", 30)), warm = flags.smoke() ? 1 : 3;

  Generator gen(0);
  nn::LSTM lstm(I, H, {.num_layers = 2, .batch_first = true}, gen);
  nn::Linear head(H, C, {}, gen);
  std::vector<Tensor> params = lstm.parameters();
  for (const Tensor& p : head.parameters()) params.push_back(p);
  optim::Adam opt(params, {.lr = 1e-3});
  std::size_t P = 0;
  for (const Tensor& p : params) P += p.numel();

  std::vector<double> per_step;
  double total = 0;
  Tensor loss;
  for (int s = 0; s < warm + steps; ++s) {
    const Tensor x = randn({B, T, I}, gen);
    const Tensor y = uniform({B}, 0, double(C), gen).to(int64);
    const double t0 = bench::now_s();
    opt.zero_grad();
    const Tensor out = lstm(x);  // (B, T, H)
    loss = cross_entropy(head(squeeze(narrow(out, 1, T - 1, 1), 1)), y);
    loss.backward();
    opt.step();
    const double dt = bench::now_s() - t0;
    if (s >= warm) {
      per_step.push_back(dt);
      total += dt;
    }
  }
  std::printf(
      "RESULT W7 descent %s ms_per_step=%.3f ms_per_step_median=%.3f sequences_per_s=%.1f params=%zu "
      "final_loss=%.4f max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), 1e3 * total / steps, 1e3 * bench::median(per_step), double(B) / (total / steps), P,
      loss.item(), bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w7: %s\n", e.what());
  return 1;
}
