#pragma once
// L-BFGS (torch.optim.LBFGS, ported line by line from PyTorch 1.13's torch/optim/lbfgs.py, itself
// from minFunc and torch7's lbfgs.lua / lswolfe.lua). One parameter group; all parameters are seen
// as one flat vector. step() re-evaluates the loss through a closure, up to max_eval times:
//
//   optim::LBFGS opt(model.parameters(), {.line_search_fn = "strong_wolfe"});
//   auto closure = [&] { opt.zero_grad(); Tensor loss = mse_loss(model(x), y); loss.backward(); return loss; };
//   for (int i = 0; i < 10; ++i) opt.step(closure);
//
// Each step runs up to max_iter iterations: the two-loop recursion turns the gradient into a
// direction d from the last history_size (s, y) pairs, then moves by t·d with t = lr (the very first
// iteration: min(1, 1/|g|₁)·lr), or with the t a strong-Wolfe line search finds. It stops early when
// max|g| <= tolerance_grad, max|t·d| <= tolerance_change, |Δloss| < tolerance_change or g·d >
// -tolerance_change. The arithmetic is PyTorch's operation by operation: vectors in the parameters'
// dtype, and each scalar rounded as PyTorch's type promotion rounds it (a Python float in double, a
// 0-dim tensor such as a dot product in the parameters' dtype), so float32 runs follow PyTorch's too.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

struct LBFGSOptions {
  double lr = 1;
  /// Iterations per step().
  int max_iter = 20;
  /// Closure evaluations per step() (checked after each iteration); default max_iter * 5 / 4.
  std::optional<int> max_eval = std::nullopt;
  /// Stop when every |gradient| is at most this.
  double tolerance_grad = 1e-7;
  /// Stop when the step or the change of the loss is below this.
  double tolerance_change = 1e-9;
  /// How many (s, y) pairs the inverse-Hessian estimate keeps.
  int history_size = 100;
  /// "" (a fixed step of lr) or "strong_wolfe".
  std::string line_search_fn = "";
};

class LBFGS : public Optimizer {
 public:
  using Options = LBFGSOptions;

  /// All parameters must share one floating dtype.
  LBFGS(std::vector<Tensor> params, const LBFGSOptions& options = {});

  /// Throws: L-BFGS re-evaluates the loss, call step(closure).
  void step() override;
  /// Runs one optimization step. `closure` zeroes the gradients, computes the loss, calls backward()
  /// and returns the loss (a one-element tensor); it is called with grad mode on. Returns the loss
  /// of the first evaluation (PyTorch's orig_loss).
  double step(const std::function<Tensor()>& closure);

  double lr(std::size_t group) const override;
  void set_lr(std::size_t group, double lr) override;
  const LBFGSOptions& options() const { return options_; }

  /// PyTorch's state: "group0.lr", "group0.func_evals", "group0.n_iter" (int64), and after the first
  /// iteration "group0.d", "group0.prev_flat_grad" (numel), "group0.old_dirs", "group0.old_stps"
  /// (history × numel, the parameters' dtype), "group0.ro" (history), "group0.t", "group0.H_diag",
  /// "group0.prev_loss" (float64 scalars).
  std::vector<std::pair<std::string, Tensor>> state_tensors() const override;
  void load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors) override;

  /// The total number of closure evaluations and of iterations over all steps.
  std::int64_t func_evals() const { return func_evals_; }
  std::int64_t n_iter() const { return n_iter_; }

 private:
  template <class T> struct Run;
  Dtype dtype() const;
  void convert_state(Dtype dtype);

  LBFGSOptions options_;
  std::size_t numel_ = 0;
  // State across steps (PyTorch's state of the first parameter); d undefined before the first iteration.
  std::int64_t func_evals_ = 0, n_iter_ = 0;
  Tensor d_, prev_flat_grad_;
  std::deque<Tensor> old_dirs_, old_stps_;  ///< y and s vectors, oldest first
  std::deque<double> ro_;                   ///< 1 / (y·s)
  double t_ = 0, h_diag_ = 1, prev_loss_ = 0;
};

}  // namespace descent::optim
