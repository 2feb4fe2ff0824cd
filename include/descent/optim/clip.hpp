#pragma once
// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), in place on the parameters'
// gradients; parameters without a gradient are skipped. Call between backward() and step().
#include <vector>

#include "descent/tensor.hpp"

namespace descent::optim {

/// Scales all gradients together by max_norm / (total + 1e-6) when that is < 1, where total is the
/// norm of all gradients taken as one vector (norm_type: p > 0 or infinity). Returns total, before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

/// Limits every gradient element to [-clip_value, clip_value].
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace descent::optim
