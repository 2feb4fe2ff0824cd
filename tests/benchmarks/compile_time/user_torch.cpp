#include <torch/torch.h>
#include <iostream>
int main() {
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({64, 3}), y = torch::randn({64, 1});
  torch::nn::Linear model(3, 1);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
  for (int epoch = 0; epoch < 10; ++epoch) {
    opt.zero_grad();
    torch::Tensor loss = torch::mse_loss(model(x), y);
    loss.backward();
    opt.step();
  }
  std::cout << model->weight << "\n";
}
