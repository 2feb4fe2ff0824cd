#pragma once
// What the loss files (ops/loss.cpp, nn/loss.cpp) share.
#include "descent/ops/loss.hpp"

namespace descent {

/// Applies the reduction to per-element losses.
Tensor reduce_loss(const Tensor& losses, Reduction reduction);
/// input and target must agree in shape and dtype.
void check_same_shape(const char* op, const Tensor& input, const Tensor& target);

}  // namespace descent
