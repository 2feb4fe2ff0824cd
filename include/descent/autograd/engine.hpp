#pragma once
// Replaying the tape backwards.
#include "descent/tensor.hpp"

namespace descent::autograd {

/// Back-propagates `gradient` (ones for a scalar root when undefined) from `root` through the
/// recorded graph, accumulating into the grad of every leaf that requires it. Visits nodes in
/// decreasing recording order; frees the graph's saved tensors unless retain_graph is true.
void backward(const Tensor& root, const Tensor& gradient = Tensor(), bool retain_graph = false);

}  // namespace descent::autograd
