#include "descent/optim/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>

#include "detail/check.hpp"

namespace descent::optim {

namespace {
std::atomic<std::uint64_t> schedulers_built{0};
}

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer)
    : name_(std::move(name)), optimizer_(optimizer), serial_(schedulers_built++) {
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
  last_lr_ = base_lrs_;
}

void LRScheduler::step() { step_to(last_epoch_ + 1); }

void LRScheduler::step_to(std::int64_t epoch) {
  DESCENT_CHECK(optimizer_.num_groups() == base_lrs_.size(), name_, "the optimizer has ", optimizer_.num_groups(),
                " parameter groups but had ", base_lrs_.size(), " when the scheduler was created");
  std::vector<double> lrs(base_lrs_.size());
  for (std::size_t g = 0; g < lrs.size(); ++g) lrs[g] = lr_at(g, epoch);
  last_epoch_ = epoch;
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
  last_lr_ = std::move(lrs);
  after_step(epoch);
}

std::vector<double> PerGroup::resolve(std::size_t groups, const std::string& op, const char* name) const {
  if (broadcast) return std::vector<double>(groups, values.front());
  DESCENT_CHECK(values.size() == groups, op, "expected ", groups, groups == 1 ? " value" : " values", " for ", name,
                " (one per parameter group), got ", values.size());
  return values;
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
  DESCENT_CHECK(step_size > 0, name_, "step_size must be positive, got ", step_size);
  detail::check_positive(name_.c_str(), "gamma", gamma);
}

double StepLR::lr_at(std::size_t group, std::int64_t epoch) const {
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler("ExponentialLR", optimizer), gamma_(gamma) {
  detail::check_positive(name_.c_str(), "gamma", gamma);
}

double ExponentialLR::lr_at(std::size_t group, std::int64_t epoch) const {
  return base_lrs_[group] * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler("CosineAnnealingLR", optimizer), T_max_(T_max), eta_min_(eta_min) {
  DESCENT_CHECK(T_max > 0, name_, "T_max must be positive, got ", T_max);
  detail::check_non_negative(name_.c_str(), "eta_min", eta_min);
}

double CosineAnnealingLR::lr_at(std::size_t group, std::int64_t epoch) const {
  const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(T_max_);
  return eta_min_ + (base_lrs_[group] - eta_min_) * (1 + std::cos(phase)) / 2;
}

// --- LinearLR ----------------------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, const LinearLROptions& options)
    : LRScheduler("LinearLR", optimizer), options_(options) {
  // start_factor = 0, which PyTorch 1.13 accepts, divides by zero in its recursive form
  DESCENT_CHECK(options.start_factor > 0 && options.start_factor <= 1, name_, "invalid start_factor ",
                options.start_factor, " (must be in (0, 1])");
  detail::check_unit_interval(name_.c_str(), "end_factor", options.end_factor, true);
  DESCENT_CHECK(options.total_iters > 0, name_, "total_iters must be positive, got ", options.total_iters);
  step_to(0);
}

double LinearLR::lr_at(std::size_t group, std::int64_t epoch) const {
  const auto& o = options_;
  const double done = static_cast<double>(std::min(o.total_iters, epoch));
  return base_lrs_[group] * (o.start_factor + (o.end_factor - o.start_factor) * done / static_cast<double>(o.total_iters));
}

// --- OneCycleLR --------------------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, PerGroup max_lr, const OneCycleLROptions& options)
    : LRScheduler("OneCycleLR", optimizer),
      pct_start_(options.pct_start),
      linear_(options.anneal_strategy == "linear"),
      cycle_momentum_(options.cycle_momentum) {
  const auto& o = options;
  if (o.total_steps != 0) {
    DESCENT_CHECK(o.total_steps > 0, name_, "total_steps must be positive, got ", o.total_steps);
    total_steps_ = o.total_steps;
  } else {
    DESCENT_CHECK(o.epochs != 0 || o.steps_per_epoch != 0, name_,
                  "give either total_steps or (epochs and steps_per_epoch)");
    DESCENT_CHECK(o.epochs > 0, name_, "epochs must be positive, got ", o.epochs);
    DESCENT_CHECK(o.steps_per_epoch > 0, name_, "steps_per_epoch must be positive, got ", o.steps_per_epoch);
    total_steps_ = o.epochs * o.steps_per_epoch;
  }
  detail::check_unit_interval(name_.c_str(), "pct_start", o.pct_start, true);
  DESCENT_CHECK(linear_ || o.anneal_strategy == "cos", name_, "anneal_strategy must be \"cos\" or \"linear\", got \"",
                o.anneal_strategy, "\"");
  detail::check_positive(name_.c_str(), "div_factor", o.div_factor);
  detail::check_positive(name_.c_str(), "final_div_factor", o.final_div_factor);

  // PyTorch's phases: (end step, lr from -> to, momentum from -> to)
  const double steps = static_cast<double>(total_steps_);
  const double last = steps - 1;
  if (o.three_phase) {
    phases_ = {{o.pct_start * steps - 1, &Group::initial_lr, &Group::max_lr, &Group::max_momentum, &Group::base_momentum},
               {2 * o.pct_start * steps - 2, &Group::max_lr, &Group::initial_lr, &Group::base_momentum,
                &Group::max_momentum},
               {last, &Group::initial_lr, &Group::min_lr, &Group::max_momentum, &Group::max_momentum}};
  } else {
    phases_ = {{o.pct_start * steps - 1, &Group::initial_lr, &Group::max_lr, &Group::max_momentum, &Group::base_momentum},
               {last, &Group::max_lr, &Group::min_lr, &Group::base_momentum, &Group::max_momentum}};
  }

  const std::size_t n = optimizer.num_groups();
  const std::vector<double> max_lrs = max_lr.resolve(n, name_, "max_lr");
  std::vector<double> base_momenta(n), max_momenta(n);
  if (cycle_momentum_) {
    DESCENT_CHECK(optimizer.has_momentum(), name_, optimizer.name(),
                  " has no momentum to cycle (no momentum or betas option): use cycle_momentum = false");
    base_momenta = o.base_momentum.resolve(n, name_, "base_momentum");
    max_momenta = o.max_momentum.resolve(n, name_, "max_momentum");
  }
  for (std::size_t g = 0; g < n; ++g) {
    detail::check_non_negative(name_.c_str(), "max_lr", max_lrs[g]);
    const double initial_lr = max_lrs[g] / o.div_factor;
    groups_.push_back({initial_lr, max_lrs[g], initial_lr / o.final_div_factor, base_momenta[g], max_momenta[g]});
    base_lrs_[g] = initial_lr;
  }

  // Everything that can fail happens before the optimizer changes, or is undone.
  std::vector<double> lrs(n), momenta(n);
  for (std::size_t g = 0; g < n; ++g) {
    lrs[g] = optimizer.lr(g);
    if (cycle_momentum_) momenta[g] = optimizer.momentum(g);
  }
  try {
    for (std::size_t g = 0; g < n && cycle_momentum_; ++g) {  // both ends must be valid momenta
      optimizer.set_momentum(g, groups_[g].base_momentum);
      optimizer.set_momentum(g, groups_[g].max_momentum);
    }
    step_to(0);
  } catch (...) {
    for (std::size_t g = 0; g < n; ++g) {
      optimizer.set_lr(g, lrs[g]);
      if (cycle_momentum_) optimizer.set_momentum(g, momenta[g]);
    }
    throw;
  }
}

std::pair<const OneCycleLR::Phase*, double> OneCycleLR::locate(std::int64_t step) const {
  DESCENT_CHECK(step <= total_steps_, name_, "tried to step ", step + 1,
                " times (the construction counts as the first, as in PyTorch) but total_steps is ", total_steps_);
  const double s = static_cast<double>(step);
  double start_step = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (s <= phase.end_step || i + 1 == phases_.size()) {
      // PyTorch raises ZeroDivisionError here
      DESCENT_CHECK(phase.end_step != start_step, name_, "step ", step, " falls in phase ", i + 1,
                    " of the cycle, which has no length with pct_start = ", pct_start_,
                    " and total_steps = ", total_steps_, " (PyTorch divides by zero there)");
      return {&phase, (s - start_step) / (phase.end_step - start_step)};
    }
    start_step = phase.end_step;
  }
  return {nullptr, 0};  // not reached: the last phase takes every step
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (linear_) return (end - start) * pct + start;
  const double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

double OneCycleLR::lr_at(std::size_t group, std::int64_t epoch) const {
  const auto [phase, pct] = locate(epoch);
  const Group& g = groups_[group];
  return std::max(anneal(g.*phase->start_lr, g.*phase->end_lr, pct), 0.0);
}

void OneCycleLR::after_step(std::int64_t epoch) {
  if (!cycle_momentum_) return;
  const auto [phase, pct] = locate(epoch);
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const Group& g = groups_[i];
    optimizer_.set_momentum(i, anneal(g.*phase->start_momentum, g.*phase->end_momentum, pct));
  }
}

// --- SequentialLR ------------------------------------------------------------------------------

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<LRScheduler*> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler("SequentialLR", optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  DESCENT_CHECK(!schedulers_.empty(), name_, "no schedulers given");
  DESCENT_CHECK(milestones_.size() + 1 == schedulers_.size(), name_, "expects one milestone fewer than schedulers, got ",
                schedulers_.size(), schedulers_.size() == 1 ? " scheduler" : " schedulers", " and ",
                milestones_.size(), milestones_.size() == 1 ? " milestone" : " milestones");
  const LRScheduler* first_built = nullptr;
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    const LRScheduler* s = schedulers_[i];
    DESCENT_CHECK(s != nullptr, name_, "scheduler ", i, " is null");
    DESCENT_CHECK(&s->optimizer_ == &optimizer, name_, "scheduler ", i, " (", s->name(),
                  ") belongs to another optimizer: all must share the SequentialLR's");
    DESCENT_CHECK(dynamic_cast<const OneCycleLR*>(s) == nullptr, name_, "scheduler ", i,
                  " is a OneCycleLR, which sets its own initial lr: use it alone");
    DESCENT_CHECK(s->base_lrs_.size() == optimizer.num_groups(), name_, "scheduler ", i, " (", s->name(),
                  ") was created for ", s->base_lrs_.size(), " parameter groups, the optimizer has ",
                  optimizer.num_groups());
    if (!first_built || s->serial_ < first_built->serial_) first_built = s;
  }
  for (std::size_t i = 0; i < milestones_.size(); ++i)
    DESCENT_CHECK(milestones_[i] > (i == 0 ? 0 : milestones_[i - 1]), name_,
                  "milestones must be increasing and > 0, got milestone ", i, " = ", milestones_[i],
                  i == 0 ? std::string() : " after " + std::to_string(milestones_[i - 1]));

  // PyTorch: every group back to its initial_lr, every scheduler one epoch back, then the first's epoch 0
  base_lrs_ = first_built->base_lrs_;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer.set_lr(g, base_lrs_[g]);
  for (LRScheduler* s : schedulers_) {
    s->base_lrs_ = base_lrs_;
    s->last_epoch_ -= 1;
  }
  step_to(0);
}

std::pair<std::size_t, std::int64_t> SequentialLR::locate(std::int64_t epoch) const {
  const auto idx = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) -
                                            milestones_.begin());  // PyTorch's bisect_right
  return {idx, idx == 0 ? epoch : epoch - milestones_[idx - 1]};
}

double SequentialLR::lr_at(std::size_t group, std::int64_t epoch) const {
  const auto [idx, local] = locate(epoch);
  return schedulers_[idx]->lr_at(group, local);
}

void SequentialLR::step_to(std::int64_t epoch) {
  const auto [idx, local] = locate(epoch);
  LRScheduler& s = *schedulers_[idx];
  // at a milestone (or epoch 0) PyTorch calls step(0), otherwise step()
  s.step_to(local == 0 ? 0 : s.last_epoch_ + 1);
  last_epoch_ = epoch;
  last_lr_ = s.last_lr_;
}

// --- ReduceLROnPlateau -------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options)
    : optimizer_(optimizer), options_(options) {
  const char* name = "ReduceLROnPlateau";
  DESCENT_CHECK(options.factor < 1, name, "factor should be < 1.0, got ", options.factor);
  DESCENT_CHECK(options.factor >= 0, name, "factor should be >= 0, got ", options.factor);
  DESCENT_CHECK(options.patience >= 0, name, "patience must be >= 0, got ", options.patience);
  DESCENT_CHECK(options.cooldown >= 0, name, "cooldown must be >= 0, got ", options.cooldown);
  detail::check_non_negative(name, "min_lr", options.min_lr);
  detail::check_non_negative(name, "threshold", options.threshold);
  detail::check_non_negative(name, "eps", options.eps);
  const double inf = std::numeric_limits<double>::infinity();
  best_ = options.mode == PlateauMode::min ? inf : -inf;
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double t = options_.threshold;
  const bool rel = options_.threshold_mode == ThresholdMode::rel;
  if (options_.mode == PlateauMode::min) return rel ? metric < best_ * (1 - t) : metric < best_ - t;
  return rel ? metric > best_ * (t + 1) : metric > best_ + t;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
      const double old_lr = optimizer_.lr(g);
      const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
      if (old_lr - new_lr > options_.eps) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.resize(optimizer_.num_groups());
  for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) last_lr_[g] = optimizer_.lr(g);
}

}  // namespace descent::optim
