// Convolution timing for W5's two layers (not a unit test): ms per forward and per
// forward+backward, float32, batch 128, 3×3 kernels, padding 1:
//   conv1  (128, 1, 28, 28)  -> 32 channels   (input needs no gradient: the images)
//   conv2  (128, 32, 14, 14) -> 64 channels   (input gradient too)
// Medians of --reps runs (default 30) after warm-up. bench_conv.py times the same in PyTorch.
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;

namespace {

void time_layer(const char* name, const Shape& x_shape, std::size_t out, bool input_grad, long reps) {
  Generator gen(1);
  const Tensor x = randn(x_shape, gen).requires_grad_(input_grad);
  const Tensor w = (randn({out, x_shape[1], 3, 3}, gen) * 0.1).detach().requires_grad_();
  const Tensor b = zeros({out}).requires_grad_();
  std::vector<double> fwd, step;
  for (long r = 0; r < reps + 3; ++r) {
    {
      NoGradGuard no_grad;
      const double t0 = bench::now_s();
      const Tensor y = conv2d(x, w, b, 1, 1);
      if (r >= 3) fwd.push_back(bench::now_s() - t0);
    }
    const double t0 = bench::now_s();
    const Tensor y = conv2d(x, w, b, 1, 1);
    autograd::grad({y}, input_grad ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{w, b}, {ones_like(y)});
    if (r >= 3) step.push_back(bench::now_s() - t0);
  }
  std::printf("RESULT conv descent %s forward_ms=%.3f forward_backward_ms=%.3f %s\n", name, 1e3 * bench::median(fwd),
              1e3 * bench::median(step), bench::threads_info().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, "bench_conv", {"--reps"});
  const long reps = flags.smoke() ? 2 : flags.get("--reps", 30);
  time_layer("conv1", {128, 1, 28, 28}, 32, false, reps);
  time_layer("conv2", {128, 32, 14, 14}, 64, true, reps);
  return 0;
}
