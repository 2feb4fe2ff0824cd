#pragma once
// Loss functions, as in torch.nn.functional, each with reduction "mean" (the default), "sum" or
// "none"; and the same as callable objects (MSELoss, CrossEntropyLoss, ...), as in torch.nn.
#include <string>

#include "descent/tensor.hpp"

namespace descent::nn {

/// How per-element losses are combined: mse_loss(a, b, "sum") or mse_loss(a, b, Reduction::sum).
struct Reduction {
  enum Kind { none, mean, sum };
  Kind kind = mean;
  Reduction(Kind k = mean) : kind(k) {}
  /// "none", "mean" or "sum"; anything else is an error.
  Reduction(const char* name);
  Reduction(const std::string& name) : Reduction(name.c_str()) {}
};

/// (input - target)^2; input and target have the same shape.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// |input - target|.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// 0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere, with d = input - target.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                  double delta = 1.0);
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

/// The losses as objects: `nn::CrossEntropyLoss loss_fn; Tensor loss = loss_fn(logits, labels);`
#define DESCENT_LOSS_OBJECT(Name, function)                                                          \
  struct Name {                                                                                       \
    Reduction reduction;                                                                              \
    Name(Reduction reduction = Reduction::mean) : reduction(reduction) {}                             \
    Tensor operator()(const Tensor& input, const Tensor& target) const {                             \
      return function(input, target, reduction);                                                      \
    }                                                                                                 \
  };
DESCENT_LOSS_OBJECT(MSELoss, mse_loss)
DESCENT_LOSS_OBJECT(L1Loss, l1_loss)
DESCENT_LOSS_OBJECT(CrossEntropyLoss, cross_entropy)
DESCENT_LOSS_OBJECT(NLLLoss, nll_loss)
DESCENT_LOSS_OBJECT(BCEWithLogitsLoss, binary_cross_entropy_with_logits)
#undef DESCENT_LOSS_OBJECT

struct HuberLoss {
  Reduction reduction;
  double delta;
  HuberLoss(Reduction reduction = Reduction::mean, double delta = 1.0) : reduction(reduction), delta(delta) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return huber_loss(input, target, reduction, delta);
  }
};

}  // namespace descent::nn
