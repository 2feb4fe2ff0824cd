#pragma once
// Initialisers: fill a tensor's values in place, like torch.nn.init. Fans are computed as PyTorch
// does: for a (out, in, ...) weight, fan_in = in * receptive field, fan_out = out * receptive field.
#include "descent/random.hpp"
#include "descent/tensor.hpp"

namespace descent::nn::init {

/// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
void xavier_uniform_(Tensor& t, double gain = 1, Generator& gen = default_generator());
/// N(0, std) with std = gain * sqrt(2 / (fan_in + fan_out)).
void xavier_normal_(Tensor& t, double gain = 1, Generator& gen = default_generator());
/// U(-b, b) with b = sqrt(6 / ((1 + a^2) * fan_in)): He initialisation for leaky_relu(a); a = 0 for relu.
void kaiming_uniform_(Tensor& t, double a = 0, Generator& gen = default_generator());
/// N(0, std) with std = sqrt(2 / ((1 + a^2) * fan_in)).
void kaiming_normal_(Tensor& t, double a = 0, Generator& gen = default_generator());
void uniform_(Tensor& t, double low = 0, double high = 1, Generator& gen = default_generator());
void normal_(Tensor& t, double mean = 0, double std = 1, Generator& gen = default_generator());
void constant_(Tensor& t, double value);
void zeros_(Tensor& t);
void ones_(Tensor& t);

/// (fan_in, fan_out) of a weight of at least two dimensions.
std::pair<double, double> fans(const Tensor& t);

}  // namespace descent::nn::init
