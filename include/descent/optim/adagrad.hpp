#pragma once
// Adagrad (torch.optim.Adagrad). Per element at step t, with g = grad + weight_decay * p:
//   sum += g * g;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
#include <cstdint>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  /// Starting value of the sum of squared gradients.
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;
};

struct AdagradState {
  std::int64_t step = 0;
  Tensor sum;
  template <class F> void visit(F f) { f("step", step); f("sum", sum); }
};

class Adagrad : public OptimizerImpl<AdagradOptions, AdagradState> {
 public:
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});

 protected:
  void validate(const AdagradOptions& options) const override;
  void update(Tensor& param, const Tensor& grad, AdagradState& state, const AdagradOptions& options) override;
};

}  // namespace descent::optim
