#pragma once
// Learning-rate schedulers (torch.optim.lr_scheduler). Each reads the groups' learning rates when
// constructed (the base lrs) and sets them on every step(); call step() once per epoch, after the
// epoch's optimizer steps:
//
//   optim::StepLR scheduler(opt, 30, 0.1);
//   for (int epoch = 0; epoch < 90; ++epoch) { train_one_epoch(); scheduler.step(); }
//
// StepLR, ExponentialLR and CosineAnnealingLR use PyTorch's closed forms (the lr is a function of
// the epoch and the base lr), which equal PyTorch's recursive updates up to rounding.
#include <cstdint>
#include <string>
#include <vector>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

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

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);
  /// The lr of a group at an epoch.
  virtual double lr_at(std::size_t group, std::int64_t epoch) const = 0;

  std::string name_;
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;

 private:
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
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
