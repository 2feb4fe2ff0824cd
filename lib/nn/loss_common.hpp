#pragma once
// What the loss files share.
#include "descent/nn/loss.hpp"

namespace descent::nn {

/// Applies the reduction to per-element losses.
Tensor reduce_loss(const Tensor& losses, Reduction reduction);
/// input and target must agree in shape and dtype.
void check_same_shape(const char* op, const Tensor& input, const Tensor& target);

}  // namespace descent::nn
