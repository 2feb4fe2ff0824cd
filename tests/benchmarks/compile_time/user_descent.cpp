#include <descent/descent.hpp>
#include <iostream>
using namespace descent;
int main() {
  manual_seed(0);
  Tensor x = randn({64, 3}), y = randn({64, 1});
  nn::Linear model(3, 1);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  for (int epoch = 0; epoch < 10; ++epoch) {
    opt.zero_grad();
    Tensor loss = mse_loss(model(x), y);
    loss.backward();
    opt.step();
  }
  std::cout << model.weight << "\n";
}
