#pragma once
// Activation functions, elementwise or along an axis, numerically stable.
#include "descent/tensor.hpp"

namespace descent {

Tensor relu(const Tensor& x);
/// x for x > 0, negative_slope·x otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// The exact GELU, x·Φ(x) (PyTorch's default, approximate="none").
Tensor gelu(const Tensor& x);
/// log(1 + exp(beta·x)) / beta; linear where beta·x > threshold (PyTorch's definition).
Tensor softplus(const Tensor& x, double beta = 1, double threshold = 20);
Tensor softmax(const Tensor& x, std::ptrdiff_t axis = -1);
Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis = -1);

}  // namespace descent
