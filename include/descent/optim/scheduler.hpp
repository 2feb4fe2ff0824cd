#pragma once
// Learning-rate schedulers (torch.optim.lr_scheduler). Each reads the groups' learning rates when
// constructed (the base lrs) and sets them on every step(); call step() once per epoch, after the
// epoch's optimizer steps (OneCycleLR: once per batch):
//
//   optim::StepLR scheduler(opt, 30, 0.1);
//   for (int epoch = 0; epoch < 90; ++epoch) { train_one_epoch(); scheduler.step(); }
//
// StepLR, ExponentialLR, CosineAnnealingLR and LinearLR use PyTorch's closed forms (the lr is a
// function of the epoch and the base lr), which equal PyTorch's recursive updates up to rounding.
// LinearLR and OneCycleLR set the first lr of their schedule when constructed, as PyTorch does.
//
// A warm-up followed by a decay is a SequentialLR:
//
//   optim::LinearLR warmup(opt, {.start_factor = 0.1, .total_iters = 5});
//   optim::CosineAnnealingLR decay(opt, 95);
//   optim::SequentialLR schedule(opt, {&warmup, &decay}, {5});   // step() it once per epoch
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

class SequentialLR;

/// A schedule lr(group, epoch) applied to an optimizer's groups, epoch by epoch.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  /// Moves to the next epoch and sets every group's lr.
  void step();
  /// The lrs set by the last step() (or the base lrs before the first).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// Epochs stepped so far (0 after construction).
  std::int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const std::string& name() const { return name_; }

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);
  /// The lr of a group at an epoch.
  virtual double lr_at(std::size_t group, std::int64_t epoch) const = 0;
  /// Moves to `epoch` (PyTorch's step(epoch), the closed form): computes every group's lr_at(epoch)
  /// first (so a throwing lr_at changes nothing), then sets them and calls after_step(epoch).
  virtual void step_to(std::int64_t epoch);
  /// What a schedule sets besides the lrs (OneCycleLR: the momenta), after they are set.
  virtual void after_step(std::int64_t /*epoch*/) {}

  std::string name_;
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;

 private:
  friend class SequentialLR;
  /// Construction order: SequentialLR restarts from the lrs its earliest-built scheduler found.
  std::uint64_t serial_;
};

/// base_lr * gamma^(epoch / step_size), integer division.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// base_lr * gamma^epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;

 private:
  double gamma_;
};

/// eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (periodic after T_max).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0);

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;

 private:
  std::int64_t T_max_;
  double eta_min_;
};

/// A value per parameter group: one for every group (`0.1`) or a list with one per group
/// (`{0.1, 0.01}`), as PyTorch's float-or-list arguments (OneCycleLR's max_lr, momenta).
struct PerGroup {
  PerGroup(double value) : values{value}, broadcast(true) {}  // NOLINT: implicit, like PyTorch's float
  PerGroup(std::initializer_list<double> list) : values(list) {}
  PerGroup(std::vector<double> list) : values(std::move(list)) {}  // NOLINT
  /// The value for each of `groups` groups; throws "<op>: expected 2 values for max_lr, got 3".
  std::vector<double> resolve(std::size_t groups, const std::string& op, const char* name) const;

  std::vector<double> values;
  bool broadcast = false;
};

struct LinearLROptions {
  /// The factor of the base lr at epoch 0, in (0, 1].
  double start_factor = 1.0 / 3;
  /// The factor reached at total_iters and kept afterwards, in [0, 1].
  double end_factor = 1.0;
  /// Epochs over which the factor goes linearly from start_factor to end_factor (>= 1).
  std::int64_t total_iters = 5;
};

/// base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters):
/// a linear warm-up (or decay). Sets base_lr * start_factor when constructed.
class LinearLR : public LRScheduler {
 public:
  explicit LinearLR(Optimizer& optimizer, const LinearLROptions& options = {});

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;

 private:
  LinearLROptions options_;
};

struct OneCycleLROptions {
  /// The number of steps (batches) of the cycle; 0: epochs * steps_per_epoch (give either).
  std::int64_t total_steps = 0;
  std::int64_t epochs = 0;
  std::int64_t steps_per_epoch = 0;
  /// The fraction of the cycle spent raising the lr, in [0, 1].
  double pct_start = 0.3;
  /// "cos" or "linear".
  std::string anneal_strategy = "cos";
  /// Cycle the momentum inversely to the lr: SGD's or RMSprop's momentum, Adam's or AdamW's beta1.
  bool cycle_momentum = true;
  PerGroup base_momentum = 0.85;
  PerGroup max_momentum = 0.95;
  /// initial_lr = max_lr / div_factor.
  double div_factor = 25;
  /// min_lr = initial_lr / final_div_factor.
  double final_div_factor = 1e4;
  /// Three phases (up, back down to initial_lr, down to min_lr) instead of two (up, down to min_lr).
  bool three_phase = false;
};

/// The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR, Smith & Topin): the lr goes from
/// max_lr / div_factor up to max_lr over pct_start of total_steps, then down to a minimum far
/// below the initial one, while the momentum goes the opposite way (max_momentum -> base_momentum
/// -> max_momentum). Call step() after every batch (train::LRSchedulerCallback with
/// StepEvery::batch); it sets the initial lr and momenta when constructed. Its base lrs are the
/// initial lrs (max_lr / div_factor), as PyTorch's.
///
///   optim::OneCycleLR schedule(opt, 0.1, {.epochs = 10, .steps_per_epoch = loader.size()});
///
/// As in PyTorch, step() may be called total_steps times (the last sets an lr extrapolated past the
/// cycle, which no batch uses); one more is an error. Unlike PyTorch, that extrapolated lr is
/// clamped at 0 where the linear strategy makes it negative (optimizers refuse negative lrs).
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, PerGroup max_lr, const OneCycleLROptions& options);
  std::int64_t total_steps() const { return total_steps_; }

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;
  void after_step(std::int64_t epoch) override;

 private:
  /// PyTorch's per-group keys.
  struct Group {
    double initial_lr, max_lr, min_lr, base_momentum, max_momentum;
  };
  struct Phase {
    double end_step;
    double Group::*start_lr;
    double Group::*end_lr;
    double Group::*start_momentum;
    double Group::*end_momentum;
  };
  /// The phase of `step` and how far into it (pct, beyond 1 past the last step of the cycle).
  std::pair<const Phase*, double> locate(std::int64_t step) const;
  double anneal(double start, double end, double pct) const;

  std::int64_t total_steps_ = 0;
  double pct_start_;
  bool linear_;
  bool cycle_momentum_;
  std::vector<Group> groups_;
  std::vector<Phase> phases_;
};

/// Runs schedulers one after the other (torch.optim.lr_scheduler.SequentialLR): schedulers[0] up
/// to milestones[0], schedulers[1] from there, ... Each restarts at its milestone from its own epoch
/// 0 (PyTorch steps it with step(0)), from the base lrs rather than where the previous one left
/// off. When constructed it puts back the lrs the first-built of the schedulers found (LinearLR
/// has changed them), makes them every scheduler's base lrs (PyTorch's initial_lr) and sets
/// schedulers[0]'s epoch 0. The schedulers are not owned and must outlive it; stepping them
/// yourself as well makes no sense. Milestones must be increasing and > 0 (PyTorch does not
/// check), and a OneCycleLR cannot be one of them (it sets its own initial lr).
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<LRScheduler*> schedulers, std::vector<std::int64_t> milestones);

 protected:
  double lr_at(std::size_t group, std::int64_t epoch) const override;
  void step_to(std::int64_t epoch) override;

 private:
  /// The scheduler in charge at `epoch` and the epoch in its own count.
  std::pair<std::size_t, std::int64_t> locate(std::int64_t epoch) const;

  std::vector<LRScheduler*> schedulers_;
  std::vector<std::int64_t> milestones_;
};

enum class PlateauMode { min, max };
enum class ThresholdMode { rel, abs };

struct ReduceLROnPlateauOptions {
  /// min: the metric should fall (a loss); max: it should rise (an accuracy).
  PlateauMode mode = PlateauMode::min;
  /// lr *= factor on a plateau; must be < 1.
  double factor = 0.1;
  /// Epochs without improvement tolerated before reducing.
  std::int64_t patience = 10;
  /// Smallest change that counts as an improvement: relative (best * (1 -/+ threshold)) or absolute.
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::rel;
  /// Epochs to wait after a reduction before counting bad epochs again.
  std::int64_t cooldown = 0;
  /// Lower bound of every group's lr.
  double min_lr = 0;
  /// Reductions smaller than this are skipped.
  double eps = 1e-8;
};

/// Multiplies the lrs by `factor` when a metric has not improved for more than `patience` epochs.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  /// Takes the epoch's metric (e.g. the validation loss) and reduces the lrs on a plateau.
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The best metric seen so far.
  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }

 private:
  bool is_better(double metric) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace descent::optim
