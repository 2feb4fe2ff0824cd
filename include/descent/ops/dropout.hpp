#pragma once
// Dropout and channel dropout (PyTorch's torch.nn.functional.dropout, dropout2d); nn::Dropout and
// nn::Dropout2d are their layers.
#include "descent/random.hpp"
#include "descent/tensor.hpp"

namespace descent {

/// In training, zeroes each element of x with probability p and scales the kept ones by 1/(1-p)
/// (inverted dropout); otherwise returns x.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator& gen = default_generator());

/// In training, zeroes each whole channel of (N, C, H, W) input, or of unbatched (C, H, W) input, with
/// probability p and scales the kept ones by 1/(1-p); otherwise returns x. (torch 1.13 reads a 3-D input
/// as (N, C, L) with a deprecation warning; later versions as (C, H, W), which is what this does.)
Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true, Generator& gen = default_generator());

}  // namespace descent
