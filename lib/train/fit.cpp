#include "descent/train/fit.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

#include "descent/autograd/anomaly.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/data/sampler.hpp"
#include "descent/error.hpp"
#include "descent/metrics.hpp"
#include "descent/nn/module.hpp"
#include "descent/optim/optimizer.hpp"
#include "descent/train/replicated.hpp"

namespace descent::train {

namespace {

void check_metrics(const std::vector<std::string>& metrics, const char* op) {
  for (const auto& name : metrics)
    DESCENT_CHECK(name == "accuracy", op, "unknown metric \"", name, "\" (known: accuracy)");
}

// A DataLoader is never empty, but it yields no batch when its dataset (or its sampler's share of
// it) is smaller than one batch and drop_last is set, or when a sampler yields nothing: averaging over
// zero examples would give NaN, so say why instead.
void check_has_batches(const data::DataLoader& loader, const char* op, const char* which) {
  if (loader.size() > 0) return;
  const std::size_t n = loader.dataset().size();
  const data::DataLoaderOptions& options = loader.options();
  const std::string examples = options.sampler
      ? detail::concat("its sampler yields ", options.sampler->size(n), " of the dataset's ", n, " examples")
      : detail::concat("its dataset has ", n, " examples");
  throw Error(detail::concat(op, ": the ", which, " loader yields no batch: ", examples, ", fewer than batch_size ",
                             options.batch_size, options.drop_last ? ", and drop_last is set" : ""));
}

bool wants_accuracy(const std::vector<std::string>& metrics) {
  for (const auto& name : metrics)
    if (name == "accuracy") return true;
  return false;
}

/// Correct predictions in a batch (metrics::count_correct, the one home of accuracy), its errors
/// prefixed with where they come from.
std::size_t correct(const Tensor& output, const Tensor& target, const char* op) {
  try {
    return static_cast<std::size_t>(metrics::count_correct(output, target));
  } catch (const Error& e) {
    throw Error(detail::concat(op, ": metric \"accuracy\": ", e.what()));
  }
}

/// Running means over the examples seen so far.
struct Totals {
  double loss_sum = 0;
  std::size_t right = 0, seen = 0;

  /// The totals over every replica (a collective), for a model trained as one of several.
  Totals over(Replicated* replicas) const {
    if (!replicas) return *this;
    double values[3] = {loss_sum, static_cast<double>(right), static_cast<double>(seen)};
    replicas->sum_over_replicas(values);
    return {values[0], static_cast<std::size_t>(values[1]), static_cast<std::size_t>(values[2])};
  }

  void add(double loss, std::size_t right_in_batch, std::size_t n) {
    loss_sum += loss * static_cast<double>(n);
    right += right_in_batch;
    seen += n;
  }
  Metrics metrics(bool accuracy, const std::string& prefix = "") const {
    Metrics m;
    const double n = static_cast<double>(seen);
    m.set(prefix + "loss", seen ? loss_sum / n : std::numeric_limits<double>::quiet_NaN());
    if (accuracy) m.set(prefix + "accuracy", seen ? static_cast<double>(right) / n : std::numeric_limits<double>::quiet_NaN());
    return m;
  }
};

/// Puts a module back in the mode it had when this guard was made.
class ModeGuard {
 public:
  explicit ModeGuard(nn::Module& model) : model_(model), training_(model.is_training()) {}
  ~ModeGuard() { model_.train(training_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  nn::Module& model_;
  bool training_;
};

}  // namespace

Metrics evaluate(nn::Module& model, const LossFunction& loss_fn, data::DataLoader& loader,
                 const std::vector<std::string>& metrics) {
  check_metrics(metrics, "evaluate");
  DESCENT_CHECK(loss_fn, "evaluate", "no loss function given");
  check_has_batches(loader, "evaluate", "given");
  const bool accuracy = wants_accuracy(metrics);
  Replicated* replicas = dynamic_cast<Replicated*>(&model);
  if (replicas) replicas->sync_buffers();  // every replica evaluates replica 0's model
  ModeGuard mode(model);
  model.eval();
  NoGradGuard no_grad;
  Totals totals;
  for (const data::Batch& batch : loader) {
    const Tensor output = model(batch.inputs);
    const double loss = loss_fn(output, batch.targets).item();
    totals.add(loss, accuracy ? correct(output, batch.targets, "evaluate") : 0, batch.inputs.size(0));
  }
  return totals.over(replicas).metrics(accuracy);
}

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss_fn,
            data::DataLoader& train_loader, const FitOptions& options) {
  check_metrics(options.metrics, "fit");
  DESCENT_CHECK(loss_fn, "fit", "no loss function given");
  check_has_batches(train_loader, "fit", "training");
  if (options.validation) check_has_batches(*options.validation, "fit", "validation");
  for (const Callback* callback : options.callbacks) DESCENT_CHECK(callback, "fit", "a callback is null");
  const bool accuracy = wants_accuracy(options.metrics);
  // One replica of several (distributed::DataParallel): metrics summed over all, progress on rank 0.
  Replicated* replicas = dynamic_cast<Replicated*>(&model);
  const std::size_t rank = replicas ? replicas->replica_rank() : 0;
  auto* sampler = dynamic_cast<data::DistributedSampler*>(train_loader.options().sampler.get());

  std::unique_ptr<ProgressBar> progress;
  std::vector<Callback*> callbacks;
  if (options.verbose && rank == 0) {
    progress = std::make_unique<ProgressBar>(options.progress);
    callbacks.push_back(progress.get());
  }
  callbacks.insert(callbacks.end(), options.callbacks.begin(), options.callbacks.end());

  ModeGuard mode(model);
  std::optional<autograd::DetectAnomaly> detect;
  if (options.detect_anomaly) detect.emplace();
  History history;
  const TrainBegin begin{&model, &optimizer, options.epochs, train_loader.size(), rank,
                         replicas ? replicas->replica_count() : 1};
  for (Callback* callback : callbacks) callback->on_train_begin(begin);

  using clock = std::chrono::steady_clock;
  bool stop = false;
  for (std::size_t epoch = 1; epoch <= options.epochs && !stop; ++epoch) {
    for (Callback* callback : callbacks) callback->on_epoch_begin(epoch);
    if (sampler) sampler->set_epoch(epoch - 1);  // a new order each epoch, the same on every rank
    const auto start = clock::now();
    const double lr = optimizer.lr(0);  // the lr of this epoch: schedulers step at its end

    model.train();
    Totals totals;
    std::size_t step = 0;
    for (const data::Batch& batch : train_loader) {
      optimizer.zero_grad();
      Tensor output, loss;
      try {
        output = model(batch.inputs);
        loss = loss_fn(output, batch.targets);
        loss.backward();
      } catch (const autograd::AnomalyError& e) {  // where in training, before what and where in the graph
        throw autograd::AnomalyError(detail::concat("fit: epoch ", epoch, ", batch ", step + 1, ": ", e.what()));
      }
      optimizer.step();
      const std::size_t n = batch.inputs.size(0);
      totals.add(loss.item(), accuracy ? correct(output.detach(), batch.targets, "fit") : 0, n);
      const Metrics running = totals.metrics(accuracy);
      ++step;
      for (Callback* callback : callbacks) callback->on_batch_end(step, n, running);
    }

    Metrics metrics = totals.over(replicas).metrics(accuracy);
    if (options.validation) {
      const Metrics validation = evaluate(model, loss_fn, *options.validation, options.metrics);
      for (const auto& [name, value] : validation) metrics.set("val_" + name, value);
    }
    metrics.set("lr", lr);
    metrics.set("seconds", std::chrono::duration<double>(clock::now() - start).count());
    history.add(epoch, metrics);
    for (Callback* callback : callbacks) callback->on_epoch_end(epoch, metrics, stop);
  }
  for (Callback* callback : callbacks) callback->on_train_end(history);
  return history;
}

}  // namespace descent::train
