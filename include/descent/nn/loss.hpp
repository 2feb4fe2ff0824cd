#pragma once
// Loss functions, as in torch.nn.functional, each with reduction "mean" (the default), "sum" or
// "none"; and the same as callable objects (MSELoss, CrossEntropyLoss, ...), as in torch.nn.
#include "descent/ops/loss.hpp"
#include "descent/tensor.hpp"

namespace descent::nn {

using descent::Reduction;

// The fused losses (descent/ops/loss.hpp), under nn:: as in torch.nn.functional.
using descent::binary_cross_entropy_with_logits;
using descent::cross_entropy;
using descent::mse_loss;
using descent::nll_loss;

/// |input - target|.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// 0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere, with d = input - target.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                  double delta = 1.0);

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
