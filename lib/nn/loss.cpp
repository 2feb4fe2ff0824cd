// The composed regression losses; the fused ones are ops (lib/ops/loss.cpp).
#include "descent/nn/loss.hpp"

#include "descent/ops/elementwise.hpp"
#include "ops/loss_common.hpp"

namespace descent::nn {

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("l1_loss", input, target);
  return reduce_loss(abs(input - target), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_same_shape("huber_loss", input, target);
  DESCENT_CHECK(delta > 0, "huber_loss", "delta must be positive, got ", delta);
  const Tensor d = input - target;
  const Tensor a = abs(d);
  return reduce_loss(where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction);
}

}  // namespace descent::nn
