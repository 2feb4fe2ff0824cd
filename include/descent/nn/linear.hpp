#pragma once
// y = x·Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch.
#include "descent/nn/module.hpp"
#include "descent/random.hpp"

namespace descent::nn {

struct LinearOptions {
  bool bias = true;
  Dtype dtype = float32;
};

class Linear : public Module {
 public:
  /// PyTorch's default initialisation: W and b uniform in ±1/sqrt(in_features).
  Linear(std::size_t in_features, std::size_t out_features, LinearOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  Tensor weight;
  Tensor bias;  ///< undefined when built without bias
};

}  // namespace descent::nn
