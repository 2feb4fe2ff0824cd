#pragma once
// RMSprop (torch.optim.RMSprop). Per element, with g = grad + weight_decay * p:
//   s = alpha * s + (1 - alpha) * g * g
//   centered: a = alpha * a + (1 - alpha) * g;  avg = sqrt(s - a * a) + eps;  else avg = sqrt(s) + eps
//   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf;  else p -= lr * g / avg
#include <cstdint>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;
};

struct RMSpropState {
  std::int64_t step = 0;
  Tensor square_avg;
  Tensor grad_avg;         ///< centered only
  Tensor momentum_buffer;  ///< momentum > 0 only
  template <class F> void visit(F f) {
    f("step", step); f("square_avg", square_avg); f("grad_avg", grad_avg); f("momentum_buffer", momentum_buffer);
  }
};

class RMSprop : public OptimizerImpl<RMSpropOptions, RMSpropState> {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});

 protected:
  void validate(const RMSpropOptions& options) const override;
  void update(Tensor& param, const Tensor& grad, RMSpropState& state, const RMSpropOptions& options) override;
};

}  // namespace descent::optim
