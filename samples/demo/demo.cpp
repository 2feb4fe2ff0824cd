// A tiny end-to-end run of the core: fit y = 2x + 1 with a weight and a bias by gradient descent,
// using nothing but tensors, the tape and NoGradGuard.
#include <cstdio>

#include "descent/descent.hpp"

using namespace descent;

int main() {
  Generator gen(42);
  Tensor x = uniform({64, 1}, -1, 1, gen);
  Tensor y = 2.0 * x + 1.0 + 0.01 * randn({64, 1}, gen);

  Tensor w = zeros({1, 1}).requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  const double lr = 0.5;
  for (int step = 0; step <= 100; ++step) {
    Tensor loss = mean(pow(matmul(x, w) + b - y, 2.0));
    w.zero_grad();
    b.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;  // the update itself is not part of the model
      w = (w - lr * w.grad()).requires_grad_();
      b = (b - lr * b.grad()).requires_grad_();
    }
    if (step % 20 == 0) std::printf("step %3d  loss %.6f\n", step, loss.item());
  }
  std::printf("w=%.4f b=%.4f (expected about 2 and 1)\n", w.item(), b.item());
  return 0;
}
