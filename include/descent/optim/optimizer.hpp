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
// Options are checked when a group is added, and lr again by set_lr(), with PyTorch's rules plus
// two stricter ones: every number must be finite, and eps must be > 0 (eps = 0 would turn the
// weights whose gradient is 0 into NaN). A bad option throws descent::Error, e.g.
// "Adam: invalid beta2 1.5 (must be in [0, 1))", and leaves the optimizer unchanged.
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
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
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
  /// Whether the groups have a momentum for OneCycleLR to cycle: an option named `momentum` (SGD,
  /// RMSprop) or the first of `betas` (Adam, AdamW), as PyTorch looks for 'momentum' or 'betas'.
  virtual bool has_momentum() const { return false; }
  /// That momentum (beta1 for Adam and AdamW) of a group; throws if the optimizer has none.
  virtual double momentum(std::size_t group) const;
  /// Sets it, checked like the option itself ("Adam: invalid beta1 1.5 (must be in [0, 1))").
  virtual void set_momentum(std::size_t group, double momentum);

  /// "SGD", "Adam", ...: the prefix of this optimizer's error messages.
  const std::string& name() const { return name_; }

  /// The state as named tensors (PyTorch's state_dict()), what io::save writes: each group's lr
  /// ("group0.lr", float64 scalar), each parameter's step counters ("group0.param1.step", int64
  /// scalar) and its allocated buffers ("group0.param1.exp_avg", sharing storage with the state).
  /// The base class throws: an optimizer that is not an OptimizerImpl has no state to export.
  virtual std::vector<std::pair<std::string, Tensor>> state_tensors() const;
  /// Replaces the state with `tensors`, named as state_tensors() names them. Everything is checked
  /// first: all missing or unexpected names, wrong shapes and dtypes are reported in one Error.
  virtual void load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors);

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  /// Adds a group after checking its parameters: a non-empty list of defined leaves that require
  /// grad, none of them already in this optimizer.
  void add_parameters(std::vector<Tensor> params);
  /// Throws unless `group` exists.
  void check_group(std::size_t group) const;
  /// Throws unless lr is a finite number >= 0.
  void check_lr(double lr) const;

  /// An entry load_state_tensors() expects: a required one must be given; every one given must
  /// have this shape and dtype.
  struct StateEntry {
    std::string name;
    Shape shape;
    Dtype dtype;
    bool required;
  };
  /// Checks `given` against `expected` (every problem in one Error) and returns it by name. int64
  /// scalars are step counters: they must lie in [0, 2^53] (a step past INT64_MAX would overflow).
  std::unordered_map<std::string, Tensor> check_state_tensors(
      const std::vector<StateEntry>& expected, const std::vector<std::pair<std::string, Tensor>>& given) const;
  /// "group0.lr", "group0.param1.exp_avg".
  static std::string state_key(std::size_t group, const char* name);
  static std::string state_key(std::size_t group, std::size_t index, const char* name);
  /// A one-element tensor of shape () for a counter or an option.
  static Tensor state_scalar(double value, Dtype dtype);
  /// Throws "<name>: cannot save or load its state (<reason>)".
  [[noreturn]] void no_state(const char* reason) const;
  /// The gradient of `param`, contiguous and in its dtype; undefined if it has none. Throws if
  /// `param` itself is not contiguous (an update writes through its raw pointer).
  Tensor gradient_for_update(const Tensor& param) const;

  std::vector<std::vector<Tensor>> params_;  ///< per group

 private:
  std::string name_;
};

/// A State that lists its buffers and counters for checkpoints:
///   template <class F> void visit(F f) { f("step", step); f("exp_avg", exp_avg); }
/// (Tensor buffers, std::int64_t counters). An empty State needs none.
template <class S>
concept VisitableState = requires(S& state) { state.visit([](const char*, auto&) {}); };

/// Options with a `momentum` (SGD, RMSprop) or `betas` (Adam, AdamW): what Optimizer::momentum() reads.
template <class O> concept MomentumOptions = requires(O& o) { { o.momentum } -> std::convertible_to<double>; };
template <class O> concept BetasOptions = requires(O& o) { { o.betas.first } -> std::convertible_to<double>; };

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
        if (!grad.defined()) continue;
        update(param, grad, states_[g][i], options_[g]);
        param.bump_version();  // graphs that saved the old values refuse to backward through them
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

  bool has_momentum() const override { return BetasOptions<Options> || MomentumOptions<Options>; }
  double momentum(std::size_t group) const override {
    if constexpr (BetasOptions<Options>) return options(group).betas.first;
    else if constexpr (MomentumOptions<Options>) return options(group).momentum;
    else return Optimizer::momentum(group);
  }
  void set_momentum(std::size_t group, double momentum) override {
    Options changed = options(group);
    if constexpr (BetasOptions<Options>) changed.betas.first = momentum;
    else if constexpr (MomentumOptions<Options>) changed.momentum = momentum;
    else Optimizer::set_momentum(group, momentum);
    validate(changed);
    options_[group] = changed;
  }

  std::vector<std::pair<std::string, Tensor>> state_tensors() const override {
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t g = 0; g < params_.size(); ++g) {
      out.emplace_back(state_key(g, "lr"), state_scalar(options_[g].lr, float64));
      for (std::size_t i = 0; i < params_[g].size(); ++i) {
        State copy = states_[g][i];  // handles: buffers are shared, not copied
        visit_state(copy, [&](const char* name, auto& value) {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, Tensor>) {
            if (value.defined()) out.emplace_back(state_key(g, i, name), value);
          } else {
            out.emplace_back(state_key(g, i, name), state_scalar(static_cast<double>(value), int64));
          }
        });
      }
    }
    return out;
  }

  void load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors) override {
    std::vector<StateEntry> expected;
    for (std::size_t g = 0; g < params_.size(); ++g) {
      expected.push_back({state_key(g, "lr"), Shape{}, float64, true});
      for (std::size_t i = 0; i < params_[g].size(); ++i) {
        State blank;
        visit_state(blank, [&](const char* name, auto& value) {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, Tensor>)
            expected.push_back({state_key(g, i, name), params_[g][i].shape(), params_[g][i].dtype(), false});
          else
            expected.push_back({state_key(g, i, name), Shape{}, int64, true});
        });
      }
    }
    const auto given = check_state_tensors(expected, tensors);
    for (std::size_t g = 0; g < params_.size(); ++g) check_lr(given.at(state_key(g, "lr")).item());
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < params_.size(); ++g) {
      options_[g].lr = given.at(state_key(g, "lr")).item();
      for (std::size_t i = 0; i < params_[g].size(); ++i) {
        State state;
        visit_state(state, [&](const char* name, auto& value) {
          const auto found = given.find(state_key(g, i, name));
          if (found == given.end()) return;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, Tensor>)
            value = found->second.detach().clone();  // owns its values, contiguous
          else
            value = found->second.template item<std::int64_t>();
        });
        states_[g][i] = std::move(state);
      }
    }
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
  template <class F> void visit_state(State& state, F f) const {
    if constexpr (VisitableState<State>)
      state.visit(f);
    else if constexpr (!std::is_empty_v<State>)
      no_state("its State struct has no visit() listing its buffers");
  }

  Options defaults_;
  std::vector<Options> options_;            ///< per group
  std::vector<std::vector<State>> states_;  ///< per group, per parameter
};

/// A per-parameter state buffer (momentum, running averages): allocated on first use with the
/// parameter's shape and dtype and filled with `initial`, converted if the parameter's dtype has
/// changed since (Module::to). Returns `buffer`.
Tensor& state_buffer(Tensor& buffer, const Tensor& param, double initial = 0);

}  // namespace descent::optim
