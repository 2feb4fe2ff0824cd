#pragma once
// The options of backward() (Tensor::backward and autograd::backward), like PyTorch's keywords.
#include <optional>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::autograd {

struct BackwardOptions {
  /// Keep the graph's saved tensors for another pass; defaults to create_graph (as PyTorch).
  std::optional<bool> retain_graph = {};
  /// Record the backward pass, so that the .grad() it leaves can be differentiated again.
  bool create_graph = false;
  /// Accumulate only into these tensors' .grad() (leaves or not); empty: every leaf that requires grad.
  std::vector<Tensor> inputs = {};
};

}  // namespace descent::autograd
