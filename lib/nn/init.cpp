#include "descent/nn/init.hpp"

#include <cmath>

#include "descent/autograd/grad_mode.hpp"

namespace descent::nn::init {

std::pair<double, double> fans(const Tensor& t) {
  DESCENT_CHECK(t.dim() >= 2, "init", "fan in and fan out need a tensor of at least 2 dimensions, got shape ",
                to_string(t.shape()));
  double receptive = 1;
  for (std::size_t i = 2; i < t.dim(); ++i) receptive *= static_cast<double>(t.shape()[i]);
  return {static_cast<double>(t.shape()[1]) * receptive, static_cast<double>(t.shape()[0]) * receptive};
}

// Each initialiser writes under NoGradGuard, like torch.nn.init: parameters require grad.

void uniform_(Tensor& t, double low, double high, Generator& gen) {
  NoGradGuard no_grad;
  t.copy_(uniform(t.shape(), low, high, gen, t.dtype()));
}

void normal_(Tensor& t, double mean, double std, Generator& gen) {
  DESCENT_CHECK(std >= 0, "normal_", "std must be non-negative, got ", std);
  Tensor values = randn(t.shape(), gen, float64);
  double* d = values.data<double>();
  for (std::size_t i = 0; i < values.numel(); ++i) d[i] = mean + std * d[i];
  NoGradGuard no_grad;
  t.copy_(values);
}

void constant_(Tensor& t, double value) {
  NoGradGuard no_grad;
  t.copy_(full({}, value, t.dtype()));
}
void zeros_(Tensor& t) { constant_(t, 0); }
void ones_(Tensor& t) { constant_(t, 1); }

void xavier_uniform_(Tensor& t, double gain, Generator& gen) {
  const auto [fan_in, fan_out] = fans(t);
  const double a = gain * std::sqrt(6.0 / (fan_in + fan_out));
  uniform_(t, -a, a, gen);
}

void xavier_normal_(Tensor& t, double gain, Generator& gen) {
  const auto [fan_in, fan_out] = fans(t);
  normal_(t, 0, gain * std::sqrt(2.0 / (fan_in + fan_out)), gen);
}

void kaiming_uniform_(Tensor& t, double a, Generator& gen) {
  const double bound = std::sqrt(6.0 / ((1 + a * a) * fans(t).first));
  uniform_(t, -bound, bound, gen);
}

void kaiming_normal_(Tensor& t, double a, Generator& gen) {
  normal_(t, 0, std::sqrt(2.0 / ((1 + a * a) * fans(t).first)), gen);
}

}  // namespace descent::nn::init
