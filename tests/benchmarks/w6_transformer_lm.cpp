// W6: a small GPT-style character language model, one training step timed at a time — the same
// workload as the LibTorch baseline w6_transformer_lm.cpp:
//   token + learned position embedding (vocab 96, context 64, width 128) -> 2 pre-norm blocks
//   [LayerNorm -> causal 4-head self-attention (q/k/v from one Linear(128, 384), output
//   Linear(128, 128)) -> residual; LayerNorm -> Linear(128, 512) GELU Linear(512, 128) -> residual]
//   -> LayerNorm -> Linear(128, 96) logits; cross-entropy over every position.
// AdamW lr 3e-4 weight decay 0.01, batch 32, random tokens (seeded), 5 warm-up + 100 timed steps.
// The network is samples/char_transformer's (gpt.hpp), so the sample trains what is timed here.
//
//   bench_w6 [--steps N] [--smoke]
#include <cstdio>

#include "../../samples/char_transformer/gpt.hpp"
#include "bench_common.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w6", {"--steps"});
  const int steps = static_cast<int>(flags.smoke() ? 3 : flags.get("--steps", 100)), warm = flags.smoke() ? 1 : 5;
  const gpt::Config config{.vocab = 96, .context = 64, .width = 128, .heads = 4, .layers = 2};
  const std::size_t B = 32, T = config.context;

  Generator gen(0);
  gpt::GPT model(config, gen);
  optim::AdamW opt(model.parameters(), {.lr = 3e-4, .weight_decay = 0.01});

  std::vector<double> per_step;
  double total = 0, final_loss = 0;
  for (int s = 0; s < warm + steps; ++s) {
    const Tensor seq = randint(0, static_cast<std::int64_t>(config.vocab), {B, T + 1}, gen);
    const Tensor x = narrow(seq, 1, 0, T), y = narrow(seq, 1, 1, T);
    const double t0 = bench::now_s();
    opt.zero_grad();
    const auto rows = static_cast<std::ptrdiff_t>(B * T);
    Tensor loss = cross_entropy(reshape(model(x), {rows, static_cast<std::ptrdiff_t>(config.vocab)}),
                                reshape(y, {rows}));
    loss.backward();
    opt.step();
    const double dt = bench::now_s() - t0;
    if (s >= warm) per_step.push_back(dt), total += dt;
    final_loss = loss.item<double>();
  }
  const double ms = 1e3 * total / steps;
  std::printf("RESULT W6 descent %s ms_per_step=%.3f ms_per_step_median=%.3f tokens_per_s=%.1f params=%zu "
              "final_loss=%.4f max_rss_kb=%ld%s\n",
              bench::threads_info().c_str(), ms, 1e3 * bench::median(per_step), double(B * T) / (ms * 1e-3),
              model.num_parameters(), final_loss, bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w6: %s\n", e.what());
  return 1;
}
