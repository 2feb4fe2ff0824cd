#pragma once
// Activation functions as modules, for Sequential.
#include "descent/nn/module.hpp"
#include "descent/ops/activation.hpp"

namespace descent::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string describe() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, negative_slope); }
  std::string describe() const override;
  double negative_slope;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override { return tanh(x); }
  std::string describe() const override { return "Tanh"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  std::string describe() const override { return "Sigmoid"; }
};

/// GELU(), or GELU("tanh") for the tanh approximation (torch.nn.GELU(approximate='tanh')).
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) override { return gelu(x, approximate); }
  std::string describe() const override { return "GELU(approximate='" + approximate + "')"; }
  std::string approximate;  ///< "none" or "tanh"
};

class Softmax : public Module {
 public:
  explicit Softmax(std::ptrdiff_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensor& x) override { return softmax(x, axis); }
  std::string describe() const override;
  std::ptrdiff_t axis;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::ptrdiff_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensor& x) override { return log_softmax(x, axis); }
  std::string describe() const override;
  std::ptrdiff_t axis;
};

}  // namespace descent::nn
