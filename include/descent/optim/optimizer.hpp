#pragma once
// Optimizers: "state per parameter + an update rule", with torch.optim's names, defaults and formulas.
//
//   optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   opt.add_param_group(head.parameters(), {.lr = 0.01, .momentum = 0.9});
//   for (...) { opt.zero_grad(); loss(model).backward(); opt.step(); }
//
// Unlike PyTorch, options given to add_param_group() are complete: a field left out takes the
// Options struct's default, not the value given to the constructor (C++ cannot tell the two apart).
// Call add_param_group(params) to reuse the constructor's options, or copy defaults() and edit it.
//
// A new optimizer is a small class: an Options struct (with a `double lr`), a State struct (one per
// parameter, default-constructed) and update(), called under NoGradGuard for every parameter that has
// a gradient. `param` and `grad` are then contiguous and of the same dtype (float32 or float64), so
// update() can run one raw loop over param.data<T>() and grad.data<T>():
//
//   struct SignSGDOptions { double lr = 0.01; };
//   struct SignSGDState {};
//   class SignSGD : public optim::OptimizerImpl<SignSGDOptions, SignSGDState> {
//    public:
//     SignSGD(std::vector<Tensor> params, const Options& options = {}) : OptimizerImpl("SignSGD", options) {
//       add_param_group(std::move(params));
//     }
//    protected:
//     void update(Tensor& param, const Tensor& grad, State&, const Options& o) override {
//       double* p = param.data<double>();  const double* g = grad.data<double>();
//       for (std::size_t i = 0; i < param.numel(); ++i) p[i] -= o.lr * ((g[i] > 0) - (g[i] < 0));
//     }
//   };
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "descent/autograd/grad_mode.hpp"
#include "descent/tensor.hpp"

namespace descent::optim {

/// What every optimizer offers, whatever its options: what a training loop and an LR scheduler use.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  /// Updates every parameter that has a gradient; parameters without one are left alone.
  virtual void step() = 0;
  /// Forgets every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  /// All parameters, group by group.
  std::vector<Tensor> parameters() const;
  /// The parameters of one group.
  const std::vector<Tensor>& parameters(std::size_t group) const;
  std::size_t num_groups() const { return params_.size(); }
  /// Learning rate of a parameter group (what schedulers read and set).
  virtual double lr(std::size_t group) const = 0;
  virtual void set_lr(std::size_t group, double lr) = 0;

  /// "SGD", "Adam", ...: the prefix of this optimizer's error messages.
  const std::string& name() const { return name_; }

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  /// Adds a group after checking its parameters: a non-empty list of defined leaves that require
  /// grad, none of them already in this optimizer.
  void add_parameters(std::vector<Tensor> params);
  /// Throws unless `group` exists.
  void check_group(std::size_t group) const;
  /// Throws unless lr is a number >= 0.
  void check_lr(double lr) const;
  /// The gradient of `param`, contiguous and in its dtype; undefined if it has none. Throws if
  /// `param` itself is not contiguous (an update writes through its raw pointer).
  Tensor gradient_for_update(const Tensor& param) const;

  std::vector<std::vector<Tensor>> params_;  ///< per group

 private:
  std::string name_;
};

/// Parameter groups with their Options, per-parameter State, and the step() loop calling update().
template <class OptionsT, class StateT> class OptimizerImpl : public Optimizer {
 public:
  using Options = OptionsT;
  using State = StateT;

  /// A new group with the constructor's options.
  void add_param_group(std::vector<Tensor> params) { add_param_group(std::move(params), defaults_); }
  /// A new group with its own options (complete: see the note at the top of this file).
  void add_param_group(std::vector<Tensor> params, const Options& options) {
    validate(options);
    check_lr(options.lr);
    add_parameters(std::move(params));
    options_.push_back(options);
    states_.emplace_back(params_.back().size());
  }

  void step() override {
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < params_.size(); ++g) {
      for (std::size_t i = 0; i < params_[g].size(); ++i) {
        Tensor& param = params_[g][i];
        const Tensor grad = gradient_for_update(param);
        if (grad.defined()) update(param, grad, states_[g][i], options_[g]);
      }
    }
  }

  double lr(std::size_t group) const override {
    check_group(group);
    return options_[group].lr;
  }
  void set_lr(std::size_t group, double lr) override {
    check_group(group);
    check_lr(lr);
    options_[group].lr = lr;
  }

  /// The options of one group, to read or change between steps.
  Options& options(std::size_t group) {
    check_group(group);
    return options_[group];
  }
  const Options& options(std::size_t group) const {
    check_group(group);
    return options_[group];
  }
  /// The options given to the constructor.
  const Options& defaults() const { return defaults_; }
  /// The state of parameter `index` of `group` (buffers stay undefined until the first step).
  const State& state(std::size_t group, std::size_t index) const {
    check_group(group);
    return states_[group].at(index);
  }

 protected:
  OptimizerImpl(std::string name, const Options& defaults) : Optimizer(std::move(name)), defaults_(defaults) {}

  /// Throws descent::Error for invalid options (lr itself is checked afterwards by the base).
  virtual void validate(const Options&) const {}
  /// The update rule for one parameter: in place, one pass, state buffers allocated on first use.
  virtual void update(Tensor& param, const Tensor& grad, State& state, const Options& options) = 0;

 private:
  Options defaults_;
  std::vector<Options> options_;            ///< per group
  std::vector<std::vector<State>> states_;  ///< per group, per parameter
};

/// A per-parameter state buffer (momentum, running averages): allocated on first use with the
/// parameter's shape and dtype and filled with `initial`, converted if the parameter's dtype has
/// changed since (Module::to). Returns `buffer`.
Tensor& state_buffer(Tensor& buffer, const Tensor& param, double initial = 0);

}  // namespace descent::optim
