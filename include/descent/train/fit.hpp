#pragma once
// A ready-made training loop, like Keras' fit(); optional: a loop of your own does the same.
//
//   nn::CrossEntropyLoss loss_fn;
//   train::EarlyStopping early({.monitor = "val_loss", .patience = 3, .restore_best = true});
//   train::History history = train::fit(net, opt, loss_fn, train_loader,
//       {.epochs = 20, .validation = &test_loader, .metrics = {"accuracy"}, .callbacks = {&early}});
//   history.write_csv("history.csv");
//
// Each epoch: train mode; for every batch zero_grad, forward, loss, backward, step; then, in eval
// mode without recording, the loss (and metrics) on the validation loader; the epoch's metrics
// ("loss", "accuracy", "val_loss", "val_accuracy", "lr" of group 0 during the epoch, "seconds") go
// to the history and to the callbacks, in order. The model is left in the mode it had before.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "descent/data/dataloader.hpp"
#include "descent/tensor.hpp"
#include "descent/train/callbacks.hpp"
#include "descent/train/history.hpp"
#include "descent/train/progress.hpp"

namespace descent::nn {
class Module;
}
namespace descent::optim {
class Optimizer;
}

namespace descent::train {

/// A loss: any callable Tensor(output, target) giving a scalar, e.g. nn::CrossEntropyLoss{}.
/// Losses are averaged over the examples weighting each batch by its size (mean reduction).
using LossFunction = std::function<Tensor(const Tensor& output, const Tensor& target)>;

struct FitOptions {
  std::size_t epochs = 1;
  /// Evaluated after every epoch when given ("val_loss", "val_<metric>").
  data::DataLoader* validation = nullptr;
  /// Extra metrics: "accuracy" (metrics::accuracy: argmax of outputs (N, C) against int64 labels (N,)).
  std::vector<std::string> metrics{};
  /// Print progress (see progress.hpp), configured by `progress`.
  bool verbose = true;
  ProgressOptions progress{};
  /// Run in this order after the progress output; not owned.
  std::vector<Callback*> callbacks{};
  /// Anomaly detection during training (like Lightning's Trainer(detect_anomaly=True)): the first
  /// NaN/Inf stops fit with an autograd::AnomalyError naming the epoch, the batch and the op.
  bool detect_anomaly = false;
};

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss_fn,
            data::DataLoader& train_loader, const FitOptions& options = {});

/// Loss and metrics of `model` over a loader, in eval mode without recording (the mode is put back):
/// "loss", and the requested metrics.
Metrics evaluate(nn::Module& model, const LossFunction& loss_fn, data::DataLoader& loader,
                 const std::vector<std::string>& metrics = {});

}  // namespace descent::train
