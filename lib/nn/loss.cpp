// Regression losses, composed from differentiable ops; the classification losses are fused
// kernels in cross_entropy.cpp.
#include "descent/nn/loss.hpp"

#include <cstring>

#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "nn/loss_common.hpp"

namespace descent::nn {

Reduction::Reduction(const char* name) {
  if (std::strcmp(name, "mean") == 0) kind = mean;
  else if (std::strcmp(name, "sum") == 0) kind = sum;
  else if (std::strcmp(name, "none") == 0) kind = none;
  else throw Error(detail::concat("loss: reduction must be \"none\", \"mean\" or \"sum\", got \"", name, "\""));
}

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
  switch (reduction.kind) {
    case Reduction::none: return losses;
    case Reduction::sum: return descent::sum(losses);
    case Reduction::mean: break;
  }
  return descent::mean(losses);
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  DESCENT_CHECK(input.shape() == target.shape(), op, "input ", to_string(input.shape()), " and target ",
                to_string(target.shape()), " must have the same shape");
  DESCENT_CHECK(input.dtype() == target.dtype(), op, "input is ", to_string(input.dtype()), " but target is ",
                to_string(target.dtype()));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("mse_loss", input, target);
  const Tensor d = input - target;
  return reduce_loss(d * d, reduction);
}

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
