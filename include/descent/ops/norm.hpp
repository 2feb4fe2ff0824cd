#pragma once
// Variance, standard deviation and the normalisations (batch, layer, group), with PyTorch's
// functional signatures and defaults (torch.var, torch.nn.functional.batch_norm, ...).
#include "descent/tensor.hpp"

namespace descent {

/// Σ (x - mean)² / (n - correction) over `axes` (n: the number of values reduced; correction 1 is
/// the unbiased estimate, 0 the population variance), or over all elements with correction 1.
/// (No correction argument on the latter: var(x, {1}) would pick it, reading {1} as a double.)
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, const Axes& axes, double correction = 1, bool keepdim = false);
/// √var.
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, const Axes& axes, double correction = 1, bool keepdim = false);

/// Batch normalisation of x (N, C), (N, C, L) or (N, C, H, W) over every axis but the channel
/// axis 1: y = (x - mean) / √(var + eps) · weight + bias (weight, bias: (C) or undefined).
/// In training the batch's statistics are used (biased variance) and the running ones, when
/// defined, are updated in place: running = (1 - momentum)·running + momentum·batch, running_var
/// from the unbiased variance. In evaluation running_mean and running_var are used.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
/// Normalises x over its last dims, which must equal `normalized_shape`; weight and bias have that
/// shape (or are undefined).
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
/// Normalises x (N, C, *) over each of `num_groups` groups of C / num_groups channels (and all of
/// *); weight and bias are per channel (C) or undefined.
Tensor group_norm(const Tensor& x, std::size_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace descent
