#pragma once
// Activation functions, elementwise or along an axis, numerically stable.
#include <string_view>

#include "descent/tensor.hpp"

namespace descent {

Tensor relu(const Tensor& x);
/// x for x > 0, negative_slope·x otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// GELU: exact, x·Φ(x), with approximate "none" (PyTorch's default), or PyTorch's tanh
/// approximation x/2·(1 + tanh(√(2/π)(x + 0.044715x³))) with "tanh".
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
/// log(1 + exp(beta·x)) / beta; linear where beta·x > threshold (PyTorch's definition).
Tensor softplus(const Tensor& x, double beta = 1, double threshold = 20);
Tensor softmax(const Tensor& x, std::ptrdiff_t axis = -1);
Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis = -1);

}  // namespace descent
