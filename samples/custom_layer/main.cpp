// Writing your own layers, two ways:
//   1. RBF: a layer composed of existing differentiable ops inside a Module (no backward to write);
//   2. Swish: an activation with its own forward and backward, recorded through autograd::record
//      (what you would do for a fused kernel).
// Then a small net built from both learns y = sin(x), and both layers are gradchecked.
#include <cmath>
#include <cstdio>

#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim.hpp"

using namespace descent;

// phi_k(x) = exp(-||x - c_k||^2 / (2 s_k^2)) for K centres c_k and widths s_k = exp(log_width_k).
Tensor rbf(const Tensor& x, const Tensor& centres, const Tensor& log_width) {  // x: (N, D)
  Tensor diff = unsqueeze(x, 1) - centres;                                      // (N, K, D) by broadcasting
  Tensor dist2 = sum(diff * diff, {2});                                          // (N, K)
  return exp(-dist2 / (2.0 * exp(2.0 * log_width)));
}

// The layer: learnable centres and widths around the function above.
class RBF : public nn::Module {
 public:
  RBF(std::size_t in_features, std::size_t centres, Generator& gen, Dtype dtype = float32) {
    this->centres = register_parameter("centres", uniform({centres, in_features}, -3, 3, gen, dtype));
    log_width = register_parameter("log_width", zeros({centres}, dtype));
  }
  Tensor forward(const Tensor& x) override { return rbf(x, centres, log_width); }
  std::string describe() const override { return "RBF"; }
  Tensor centres, log_width;
};

// swish(x) = x * sigmoid(x); d swish/dx = s + x * s * (1 - s), one recorded op each way. The rule
// keeps x (a SavedTensor: refused if changed in place) and recomputes s from it with differentiable
// ops, so the gradient differentiates again under create_graph.
Tensor swish(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard forward_only;
    y = x * sigmoid(x);
  }
  return autograd::record("swish", y, {x}, [sx = SavedTensor(x)](const Tensor& grad) {
    const Tensor x = sx.unpack(), s = sigmoid(x);
    return std::vector<Tensor>{grad * (s + x * s * (1.0 - s))};
  });
}

class Swish : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override { return swish(x); }
  std::string describe() const override { return "Swish"; }
};

int main() {
  Generator gen(7);
  // Data: y = sin(x) on [-3, 3].
  Tensor x = reshape(arange(-3, 3, 0.05), {-1, 1});
  Tensor y = empty(x.shape());
  for (std::size_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = std::sin(x.data<float>()[i]);

  nn::Sequential net(std::make_shared<RBF>(1, 16, gen), nn::Linear(16, 16, {}, gen), Swish(), nn::Linear(16, 1, {}, gen));
  std::printf("%s", net.summary(x.shape()).c_str());
  optim::Adam opt(net.parameters(), {.lr = 0.02});
  double loss_value = 0;
  for (int epoch = 1; epoch <= 500; ++epoch) {
    Tensor loss = nn::mse_loss(net(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_value = loss.item();
    if (epoch % 100 == 0) std::printf("epoch %3d  mse %.6f\n", epoch, loss_value);
  }

  // Gradient checks in float64: both custom layers against central finite differences.
  Generator check_gen(1);
  auto rbf_check = autograd::gradcheck(
      [](const std::vector<Tensor>& in) { return rbf(in[0], in[1], in[2]); },
      {randn({4, 2}, check_gen, float64).requires_grad_(), randn({3, 2}, check_gen, float64).requires_grad_(),
       randn({3}, check_gen, float64).requires_grad_()});
  auto swish_check = autograd::gradcheck([](const std::vector<Tensor>& in) { return swish(in[0]); },
                                         {randn({5, 3}, check_gen, float64).requires_grad_()});
  // ... and swish's second derivatives: its rule is made of differentiable ops.
  auto swish_second = autograd::gradgradcheck([](const std::vector<Tensor>& in) { return swish(in[0]); },
                                              {randn({5, 3}, check_gen, float64).requires_grad_()});
  std::printf("gradcheck RBF:   %s\ngradcheck swish: %s\n%s\n", rbf_check.message.c_str(), swish_check.message.c_str(),
              swish_second.message.c_str());
  std::printf("final_mse=%.17g gradcheck_rbf=%s gradcheck_swish=%s gradgradcheck_swish=%s\n", loss_value,
              rbf_check ? "passed" : "failed", swish_check ? "passed" : "failed", swish_second ? "passed" : "failed");
  return rbf_check && swish_check && swish_second && loss_value < 0.01 ? 0 : 1;
}
