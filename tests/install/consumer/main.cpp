// Built against an installed descent (CMake package or pkg-config): a tiny net trained for 10 steps.
#include <descent/descent.hpp>
#include <cstdio>
using namespace descent;

int main() {
  Generator gen(42);
  Tensor x = randn({32, 3}, gen, float64);
  Tensor y = sum(x * tensor({1.0, -2.0, 0.5}, float64), {1}, /*keepdim=*/true);
  nn::Sequential net(nn::Linear(3, 8, {.dtype = float64}, gen), nn::Tanh(), nn::Linear(8, 1, {.dtype = float64}, gen));
  optim::Adam opt(net.parameters(), {.lr = 0.05});
  double first = 0, last = 0;
  for (int step = 0; step < 10; ++step) {
    Tensor loss = nn::mse_loss(net(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  std::printf("descent consumer: 10 steps, loss %.4f -> %.4f\n", first, last);
  return last < first ? 0 : 1;
}
