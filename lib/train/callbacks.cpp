#include "descent/train/callbacks.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "descent/autograd/grad_mode.hpp"
#include "descent/error.hpp"
#include "descent/nn/module.hpp"
#include "descent/optim/scheduler.hpp"

namespace descent::train {

// --- Monitor -------------------------------------------------------------------------------

Monitor::Monitor(std::string owner, std::string metric, Mode mode, double min_delta)
    : owner_(std::move(owner)), metric_(std::move(metric)), min_delta_(min_delta) {
  DESCENT_CHECK(!metric_.empty(), owner_, "the monitored metric has no name");
  DESCENT_CHECK(min_delta_ >= 0, owner_, "min_delta must be >= 0, got ", min_delta_);
  maximize_ = mode == Mode::max || (mode == Mode::automatic && metric_.find("acc") != std::string::npos);
  reset();
}

void Monitor::reset() {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_epoch_ = 0;
}

bool Monitor::update(std::size_t epoch, const Metrics& metrics) {
  const double* value = metrics.find(metric_);
  DESCENT_CHECK(value, owner_, "no metric \"", metric_, "\" at epoch ", epoch, " (have: ", metrics.names(),
                "); val_ metrics need a validation loader");
  // Better by more than min_delta: below best - min_delta (min) or above best + min_delta (max).
  const bool improved = maximize_ ? *value - min_delta_ > best_ : *value + min_delta_ < best_;
  if (improved) {
    best_ = *value;
    best_epoch_ = epoch;
  }
  return improved;
}

// --- EarlyStopping -------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), monitor_("EarlyStopping", options_.monitor, options_.mode, options_.min_delta) {}

void EarlyStopping::on_train_begin(const TrainBegin& begin) {
  DESCENT_CHECK(!options_.restore_best || begin.model, "EarlyStopping", "restore_best needs the model");
  model_ = begin.model;
  monitor_.reset();
  wait_ = stopped_epoch_ = last_epoch_ = 0;
  restored_ = false;
  best_parameters_.clear();
}

void EarlyStopping::on_epoch_end(std::size_t epoch, const Metrics& metrics, bool& stop) {
  last_epoch_ = epoch;
  if (monitor_.update(epoch, metrics)) {
    wait_ = 0;
    if (options_.restore_best && model_) {
      NoGradGuard no_grad;
      best_parameters_.clear();
      for (const Tensor& p : model_->parameters()) best_parameters_.push_back(p.detach().clone());
    }
    return;
  }
  ++wait_;
  if (wait_ >= options_.patience) {
    stopped_epoch_ = epoch;
    stop = true;
  }
}

void EarlyStopping::on_train_end(const History&) {
  if (!options_.restore_best || !model_ || best_parameters_.empty() || monitor_.best_epoch() == last_epoch_) return;
  NoGradGuard no_grad;
  std::vector<Tensor> params = model_->parameters();
  DESCENT_CHECK(params.size() == best_parameters_.size(), "EarlyStopping",
                "the model's parameters changed during training (", best_parameters_.size(), " then ",
                params.size(), ")");
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best_parameters_[i]);
  restored_ = true;
}

// --- LRSchedulerCallback -------------------------------------------------------------------

LRSchedulerCallback::LRSchedulerCallback(optim::LRScheduler& scheduler, StepEvery every)
    : scheduler_(&scheduler), every_(every) {}

LRSchedulerCallback::LRSchedulerCallback(optim::ReduceLROnPlateau& scheduler, std::string monitor)
    : plateau_(&scheduler), monitor_(std::move(monitor)) {}

void LRSchedulerCallback::on_train_begin(const TrainBegin& begin) {
  const auto* one_cycle = dynamic_cast<const optim::OneCycleLR*>(scheduler_);
  if (!one_cycle) return;
  const bool per_batch = every_ == StepEvery::batch;
  const std::size_t steps = per_batch ? begin.epochs * begin.steps_per_epoch : begin.epochs;
  const auto left = static_cast<std::size_t>(one_cycle->total_steps() - one_cycle->last_epoch());
  DESCENT_CHECK(steps <= left, "LRSchedulerCallback", "fit will step the OneCycleLR ", steps, " times (",
                begin.epochs, " epochs", per_batch ? " of " + std::to_string(begin.steps_per_epoch) + " batches" : "",
                ") but it has ", left, " steps left of its total_steps = ", one_cycle->total_steps());
}

void LRSchedulerCallback::on_batch_end(std::size_t, std::size_t, const Metrics&) {
  if (scheduler_ && every_ == StepEvery::batch) scheduler_->step();
}

void LRSchedulerCallback::on_epoch_end(std::size_t epoch, const Metrics& metrics, bool&) {
  if (scheduler_) {
    if (every_ == StepEvery::epoch) scheduler_->step();
    return;
  }
  const double* value = metrics.find(monitor_);
  DESCENT_CHECK(value, "LRSchedulerCallback", "no metric \"", monitor_, "\" at epoch ", epoch,
                " (have: ", metrics.names(), "); val_ metrics need a validation loader");
  plateau_->step(*value);
}

// --- ModelCheckpoint -----------------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(Saver saver, ModelCheckpointOptions options)
    : saver_(std::move(saver)),
      options_(std::move(options)),
      monitor_("ModelCheckpoint", options_.monitor, options_.mode, options_.min_delta) {
  DESCENT_CHECK(saver_, "ModelCheckpoint", "no saver given");
}

void ModelCheckpoint::on_train_begin(const TrainBegin& begin) { writes_ = begin.rank == 0; }

void ModelCheckpoint::on_epoch_end(std::size_t epoch, const Metrics& metrics, bool&) {
  const bool improved = monitor_.update(epoch, metrics);  // on every rank: the metrics are the same
  if ((options_.save_best_only && !improved) || !writes_) return;
  std::string path = options_.path;
  const std::string placeholder = "{epoch}";
  for (auto at = path.find(placeholder); at != std::string::npos; at = path.find(placeholder, at))
    path.replace(at, placeholder.size(), std::to_string(epoch));
  saver_(path);
  ++saves_;
  last_saved_epoch_ = epoch;
}

}  // namespace descent::train
