#pragma once
// Callbacks: code fit() runs at fixed points of training, as in Keras. Override what you need:
//
//   struct PrintLr : train::Callback {
//     void on_epoch_end(std::size_t epoch, const train::Metrics& m, bool&) override {
//       std::printf("epoch %zu lr %g\n", epoch, m.at("lr"));
//     }
//   };
//
// Provided: EarlyStopping, LRSchedulerCallback (steps an LR scheduler or ReduceLROnPlateau each
// epoch) and ModelCheckpoint (calls a saver of yours when the monitored metric improves).
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "descent/tensor.hpp"
#include "descent/train/history.hpp"

namespace descent::nn {
class Module;
}
namespace descent::optim {
class Optimizer;
class LRScheduler;
class ReduceLROnPlateau;
}  // namespace descent::optim

namespace descent::train {

/// What fit() tells callbacks when training starts.
struct TrainBegin {
  nn::Module* model = nullptr;
  optim::Optimizer* optimizer = nullptr;
  std::size_t epochs = 0;
  /// Batches in one training epoch (the loader's size()).
  std::size_t steps_per_epoch = 0;
  /// This process's replica and their number, for a model trained on several (train/replicated.hpp):
  /// callbacks that write files do so on rank 0 only.
  std::size_t rank = 0;
  std::size_t world_size = 1;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(const TrainBegin&) {}
  /// `epoch` counts from 1.
  virtual void on_epoch_begin(std::size_t /*epoch*/) {}
  /// After the optimizer step of batch `batch` (from 1) of `batch_size` examples; `running` holds
  /// the epoch's running means so far ("loss", and "accuracy" if asked for).
  virtual void on_batch_end(std::size_t /*batch*/, std::size_t /*batch_size*/, const Metrics& /*running*/) {}
  /// After validation, with the epoch's metrics; set `stop` to end training after this epoch.
  virtual void on_epoch_end(std::size_t /*epoch*/, const Metrics& /*metrics*/, bool& /*stop*/) {}
  virtual void on_train_end(const History&) {}
};

/// min: the metric should fall (a loss); max: it should rise (an accuracy); automatic: max for
/// names containing "acc", min otherwise.
enum class Mode { min, max, automatic };

/// Follows one metric and tells whether each new value improves on the best so far by more than
/// min_delta. Shared by EarlyStopping and ModelCheckpoint.
class Monitor {
 public:
  Monitor(std::string owner, std::string metric, Mode mode, double min_delta);
  /// Reads the metric (throws descent::Error, naming the owner, if the epoch lacks it) and returns
  /// true, recording it as the best, if it improves. NaN never improves.
  bool update(std::size_t epoch, const Metrics& metrics);
  void reset();
  const std::string& metric() const { return metric_; }
  bool maximize() const { return maximize_; }
  double best() const { return best_; }
  /// The epoch of the best value (0 before any).
  std::size_t best_epoch() const { return best_epoch_; }

 private:
  std::string owner_, metric_;
  bool maximize_;
  double min_delta_;
  double best_;
  std::size_t best_epoch_ = 0;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  Mode mode = Mode::automatic;
  /// Epochs without improvement tolerated: training stops at the patience-th one in a row.
  std::size_t patience = 0;
  /// An improvement must exceed this (absolute) change.
  double min_delta = 0;
  /// Keep a copy of the parameters of the best epoch and put it back when training ends.
  bool restore_best = false;
};

/// Stops training when the monitored metric has not improved for `patience` epochs (Keras' rules).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const TrainBegin& begin) override;
  void on_epoch_end(std::size_t epoch, const Metrics& metrics, bool& stop) override;
  void on_train_end(const History& history) override;

  /// The epoch at which it stopped training (0 if it did not).
  std::size_t stopped_epoch() const { return stopped_epoch_; }
  std::size_t best_epoch() const { return monitor_.best_epoch(); }
  double best() const { return monitor_.best(); }
  /// Epochs since the last improvement.
  std::size_t wait() const { return wait_; }
  /// Whether the best parameters were put back by on_train_end.
  bool restored() const { return restored_; }

 private:
  EarlyStoppingOptions options_;
  Monitor monitor_;
  nn::Module* model_ = nullptr;
  std::size_t wait_ = 0, stopped_epoch_ = 0, last_epoch_ = 0;
  bool restored_ = false;
  std::vector<Tensor> best_parameters_;
};

/// When LRSchedulerCallback steps its scheduler: after every epoch, or after every batch's
/// optimizer step (OneCycleLR, and warm-ups counted in batches).
enum class StepEvery { epoch, batch };

/// Steps a learning-rate scheduler at the end of every epoch (or batch): an LRScheduler with
/// step(), or ReduceLROnPlateau with step(metric) on the monitored metric (every epoch). A
/// OneCycleLR is checked when training starts: fit must not need more steps than its total_steps.
class LRSchedulerCallback : public Callback {
 public:
  explicit LRSchedulerCallback(optim::LRScheduler& scheduler, StepEvery every = StepEvery::epoch);
  explicit LRSchedulerCallback(optim::ReduceLROnPlateau& scheduler, std::string monitor = "val_loss");
  void on_train_begin(const TrainBegin& begin) override;
  void on_batch_end(std::size_t batch, std::size_t batch_size, const Metrics& running) override;
  void on_epoch_end(std::size_t epoch, const Metrics& metrics, bool& stop) override;

 private:
  optim::LRScheduler* scheduler_ = nullptr;
  StepEvery every_ = StepEvery::epoch;
  optim::ReduceLROnPlateau* plateau_ = nullptr;
  std::string monitor_;
};

struct ModelCheckpointOptions {
  /// Passed to the saver; "{epoch}" is replaced by the epoch number.
  std::string path = "checkpoint.npz";
  std::string monitor = "val_loss";
  Mode mode = Mode::automatic;
  double min_delta = 0;
  /// Save only when the monitored metric improves (otherwise at every epoch).
  bool save_best_only = true;
};

/// Calls `saver(path)` when the monitored metric improves, e.g. with a lambda that writes the model;
/// on rank 0 only when the model is one of several replicas.
class ModelCheckpoint : public Callback {
 public:
  using Saver = std::function<void(const std::string& path)>;
  ModelCheckpoint(Saver saver, ModelCheckpointOptions options = {});
  void on_train_begin(const TrainBegin& begin) override;
  void on_epoch_end(std::size_t epoch, const Metrics& metrics, bool& stop) override;

  /// How many times the saver was called, and at which epoch last (0 if never).
  std::size_t saves() const { return saves_; }
  std::size_t last_saved_epoch() const { return last_saved_epoch_; }
  std::size_t best_epoch() const { return monitor_.best_epoch(); }

 private:
  Saver saver_;
  ModelCheckpointOptions options_;
  Monitor monitor_;
  std::size_t saves_ = 0, last_saved_epoch_ = 0;
  bool writes_ = true;  ///< false on replicas other than rank 0
};

}  // namespace descent::train
