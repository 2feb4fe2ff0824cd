#include "descent/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "detail/check.hpp"

namespace descent::optim {

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer) : name_(std::move(name)), optimizer_(optimizer) {
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
  last_lr_ = base_lrs_;
}

void LRScheduler::step() {
  DESCENT_CHECK(optimizer_.num_groups() == base_lrs_.size(), name_, "the optimizer has ", optimizer_.num_groups(),
                " parameter groups but had ", base_lrs_.size(), " when the scheduler was created");
  ++last_epoch_;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) {
    last_lr_[g] = lr_at(g, last_epoch_);
    optimizer_.set_lr(g, last_lr_[g]);
  }
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
