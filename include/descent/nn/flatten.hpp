#pragma once
// Shape-only layers.
#include "descent/nn/module.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn {

/// Flattens axes start..end (PyTorch's default keeps the batch axis: start = 1).
class Flatten : public Module {
 public:
  explicit Flatten(std::ptrdiff_t start = 1, std::ptrdiff_t end = -1) : start(start), end(end) {}
  Tensor forward(const Tensor& x) override { return flatten(x, start, end); }
  std::string describe() const override { return "Flatten"; }
  std::ptrdiff_t start, end;
};

/// Returns its input: a placeholder where a layer is optional.
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string describe() const override { return "Identity"; }
};

}  // namespace descent::nn
