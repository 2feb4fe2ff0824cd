#pragma once
// Dropout: in training mode zeroes each element with probability p and scales the rest by 1/(1-p)
// (inverted dropout, as PyTorch); in evaluation mode it is the identity. Dropout2d does the same to
// whole channels of (N, C, H, W) or (C, H, W) input (ops/dropout.hpp).
#include "descent/nn/module.hpp"
#include "descent/random.hpp"

namespace descent::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  double p;

 private:
  Generator* gen_;
};

class Dropout2d : public Module {
 public:
  explicit Dropout2d(double p = 0.5, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  double p;

 private:
  Generator* gen_;
};

}  // namespace descent::nn
