#pragma once
// The fused loss operations, as in torch.nn.functional: each one recorded op with a single-pass
// kernel each way (they run at every training step). Each takes reduction "mean" (the default),
// "sum" or "none". descent/nn/loss.hpp has these under nn:: too, with the composed losses
// (l1_loss, huber_loss) and the loss objects (MSELoss, CrossEntropyLoss, ...).
#include <string>

#include "descent/tensor.hpp"

namespace descent {

/// How per-element losses are combined: mse_loss(a, b, "sum") or mse_loss(a, b, Reduction::sum).
struct Reduction {
  enum Kind { none, mean, sum };
  Kind kind = mean;
  Reduction(Kind k = mean) : kind(k) {}
  /// "none", "mean" or "sum"; anything else is an error.
  Reduction(const char* name);
  Reduction(const std::string& name) : Reduction(name.c_str()) {}
};

/// (input - target)^2; input and target have the same shape. The mean and the sum accumulate in
/// float64.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// Softmax cross-entropy from logits (N, C) — or (C,) for one example. The target is either class
/// indices (int64, shape (N,) or ()) or class probabilities (the logits' shape and dtype). One fused,
/// numerically stable kernel (log-softmax + NLL), safe for large logits.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::mean);
/// Negative log-likelihood of log-probabilities (N, C) at int64 class indices (N,).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::mean);
/// Binary cross-entropy of sigmoid(logits) against targets in [0, 1] (same shape), computed stably
/// as max(x, 0) - x·y + log(1 + exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);

}  // namespace descent
