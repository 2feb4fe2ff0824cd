#pragma once
// Upsample: interpolate (ops/resample.hpp) as a layer, PyTorch's nn.Upsample.
#include <optional>
#include <string>

#include "descent/nn/module.hpp"
#include "descent/ops/resample.hpp"

namespace descent::nn {

class Upsample : public Module {
 public:
  /// e.g. Upsample({.scale_factor = 2}) or Upsample({.size = {7, 7}, .mode = "bilinear", .align_corners = true}).
  explicit Upsample(InterpolateOptions options);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  InterpolateOptions options;
};

}  // namespace descent::nn
