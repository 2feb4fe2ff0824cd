#pragma once
// Adam (torch.optim.Adam: L2 weight decay added to the gradient) and AdamW (torch.optim.AdamW:
// decoupled weight decay, p *= 1 - lr * weight_decay before the Adam step). Per element at step t:
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;  (amsgrad: v_max = max(v_max, v))
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#include <cstdint>
#include <utility>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  /// L2 penalty added to the gradient (see AdamW for the decoupled form).
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  /// Decoupled: p *= 1 - lr * weight_decay at each step.
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

struct AdamState {
  std::int64_t step = 0;
  Tensor exp_avg;         ///< m
  Tensor exp_avg_sq;      ///< v
  Tensor max_exp_avg_sq;  ///< v_max (amsgrad only)
  template <class F> void visit(F f) {
    f("step", step); f("exp_avg", exp_avg); f("exp_avg_sq", exp_avg_sq); f("max_exp_avg_sq", max_exp_avg_sq);
  }
};

class Adam : public OptimizerImpl<AdamOptions, AdamState> {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});

 protected:
  void validate(const AdamOptions& options) const override;
  void update(Tensor& param, const Tensor& grad, AdamState& state, const AdamOptions& options) override;
};

class AdamW : public OptimizerImpl<AdamWOptions, AdamState> {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});

 protected:
  void validate(const AdamWOptions& options) const override;
  void update(Tensor& param, const Tensor& grad, AdamState& state, const AdamWOptions& options) override;
};

}  // namespace descent::optim
