#include "support/check.hpp"

#include <string>
#include <vector>

#include "descent/train.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

/// Drives a callback through epochs 1, 2, ... with one metric taking the scripted values; returns
/// the epoch at which it asked to stop (0 if never).
std::size_t drive(train::Callback& callback, const std::string& name, const std::vector<double>& values,
                  nn::Module* model = nullptr) {
  callback.on_train_begin({model, nullptr, values.size(), 1});
  std::size_t stopped = 0;
  for (std::size_t i = 0; i < values.size() && !stopped; ++i) {
    bool stop = false;
    callback.on_epoch_end(i + 1, train::Metrics{{"loss", 1.0}, {name, values[i]}}, stop);
    if (stop) stopped = i + 1;
  }
  return stopped;
}

void set_weight(nn::Linear& layer, double value) {
  NoGradGuard no_grad;
  layer.weight.copy_(full(layer.weight.shape(), value, float64));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(callbacks)

BOOST_AUTO_TEST_CASE(early_stopping_patience) {
  train::EarlyStopping early({.monitor = "val_loss", .patience = 2});
  // best 1.0, 0.8 (e2), 0.79 (e4); e5, e6 without improvement: stop at 6.
  BOOST_TEST(drive(early, "val_loss", {1.0, 0.8, 0.85, 0.79, 0.8, 0.81, 0.5}) == 6u);
  BOOST_TEST(early.stopped_epoch() == 6u);
  BOOST_TEST(early.best_epoch() == 4u);
  BOOST_TEST(early.best() == 0.79);
  BOOST_TEST(early.wait() == 2u);
}

BOOST_AUTO_TEST_CASE(early_stopping_min_delta) {
  train::EarlyStopping early({.monitor = "val_loss", .patience = 2, .min_delta = 0.02});
  // 0.79 is not below 0.8 - 0.02: e3 and e4 are bad epochs.
  BOOST_TEST(drive(early, "val_loss", {1.0, 0.8, 0.85, 0.79, 0.8}) == 4u);
  BOOST_TEST(early.best_epoch() == 2u);
}

BOOST_AUTO_TEST_CASE(early_stopping_patience_zero_and_never) {
  train::EarlyStopping eager({.monitor = "loss"});
  BOOST_TEST(drive(eager, "loss", {1.0, 0.9, 0.9}) == 3u);  // monitors "loss" (overwritten by the script)
  train::EarlyStopping patient({.monitor = "val_loss", .patience = 5});
  BOOST_TEST(drive(patient, "val_loss", {3, 2, 1}) == 0u);
  BOOST_TEST(patient.stopped_epoch() == 0u);
}

BOOST_AUTO_TEST_CASE(early_stopping_max_mode) {
  train::EarlyStopping automatic({.monitor = "val_accuracy", .patience = 2});  // "acc": maximised
  BOOST_TEST(drive(automatic, "val_accuracy", {0.5, 0.6, 0.6, 0.55}) == 4u);
  BOOST_TEST(automatic.best_epoch() == 2u);
  train::EarlyStopping explicit_max({.monitor = "score", .mode = train::Mode::max, .patience = 1});
  BOOST_TEST(drive(explicit_max, "score", {1, 2, 3, 2}) == 4u);
  train::EarlyStopping explicit_min({.monitor = "val_accuracy", .mode = train::Mode::min, .patience = 1});
  BOOST_TEST(drive(explicit_min, "val_accuracy", {0.5, 0.6}) == 2u);
}

BOOST_AUTO_TEST_CASE(early_stopping_nan_is_no_improvement) {
  train::EarlyStopping early({.monitor = "val_loss", .patience = 1});
  BOOST_TEST(drive(early, "val_loss", {1.0, std::nan("")}) == 2u);
}

BOOST_AUTO_TEST_CASE(early_stopping_restores_best) {
  nn::Linear layer(2, 1, {.bias = false, .dtype = float64});
  train::EarlyStopping early({.monitor = "val_loss", .patience = 1, .restore_best = true});
  early.on_train_begin({&layer, nullptr, 3, 1});
  const std::vector<std::pair<double, double>> script = {{1.0, 1.0}, {2.0, 0.5}, {3.0, 0.7}};
  bool stop = false;
  for (std::size_t i = 0; i < script.size(); ++i) {
    set_weight(layer, script[i].first);
    early.on_epoch_end(i + 1, {{"val_loss", script[i].second}}, stop);
  }
  BOOST_TEST(stop);
  BOOST_TEST(layer.weight.at({0, 0}) == 3.0);
  early.on_train_end(train::History());
  BOOST_TEST(early.restored());
  testing::check_values(layer.weight, {{2.0, 2.0}});
}

BOOST_AUTO_TEST_CASE(early_stopping_keeps_a_best_last_epoch) {
  nn::Linear layer(2, 1, {.bias = false, .dtype = float64});
  train::EarlyStopping early({.monitor = "val_loss", .patience = 3, .restore_best = true});
  set_weight(layer, 5.0);
  BOOST_TEST(drive(early, "val_loss", {2.0, 1.0}, &layer) == 0u);
  set_weight(layer, 6.0);  // changed after the last (best) epoch's snapshot, still left alone
  early.on_train_end(train::History());
  BOOST_TEST(!early.restored());
  BOOST_TEST(layer.weight.at({0, 0}) == 6.0);
}

BOOST_AUTO_TEST_CASE(missing_metric_is_an_error) {
  train::EarlyStopping early;
  bool stop = false;
  check_error([&] { early.on_epoch_end(1, {{"loss", 1.0}, {"lr", 0.1}}, stop); },
              "EarlyStopping: no metric \"val_loss\" at epoch 1 (have: loss, lr); val_ metrics need a validation loader");
  check_error([] { train::EarlyStopping({.restore_best = true}).on_train_begin({}); },
              "EarlyStopping: restore_best needs the model");
  check_error([] { train::EarlyStopping({.min_delta = -1}); }, "EarlyStopping: min_delta must be >= 0");
}

BOOST_AUTO_TEST_CASE(scheduler_callback_steps_lr) {
  nn::Linear layer(2, 1, {.dtype = float64});
  optim::SGD opt(layer.parameters(), {.lr = 0.1});
  optim::StepLR schedule(opt, 1, 0.5);
  train::LRSchedulerCallback callback(schedule);
  drive(callback, "val_loss", {1, 1});
  BOOST_TEST(opt.lr(0) == 0.025);
  BOOST_TEST(schedule.last_epoch() == 2);
}

BOOST_AUTO_TEST_CASE(scheduler_callback_plateau) {
  nn::Linear layer(2, 1, {.dtype = float64});
  optim::SGD opt(layer.parameters(), {.lr = 0.1});
  optim::ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 0});
  train::LRSchedulerCallback callback(plateau, "val_loss");
  drive(callback, "val_loss", {1.0, 0.5});
  BOOST_TEST(opt.lr(0) == 0.1);
  drive(callback, "val_loss", {0.6});  // no improvement on 0.5, patience 0: halved
  BOOST_TEST(opt.lr(0) == 0.05);
  bool stop = false;
  check_error([&] { callback.on_epoch_end(4, {{"loss", 1}}, stop); }, "LRSchedulerCallback: no metric \"val_loss\"");
}

BOOST_AUTO_TEST_CASE(checkpoint_on_improvement_only) {
  std::vector<std::string> saved;
  train::ModelCheckpoint checkpoint([&](const std::string& path) { saved.push_back(path); },
                                    {.path = "ckpt-{epoch}.bin", .monitor = "val_loss"});
  drive(checkpoint, "val_loss", {1.0, 0.9, 0.95, 0.9, 0.8});
  BOOST_TEST((saved == std::vector<std::string>{"ckpt-1.bin", "ckpt-2.bin", "ckpt-5.bin"}));
  BOOST_TEST(checkpoint.saves() == 3u);
  BOOST_TEST(checkpoint.last_saved_epoch() == 5u);
  BOOST_TEST(checkpoint.best_epoch() == 5u);
}

BOOST_AUTO_TEST_CASE(checkpoint_every_epoch) {
  std::vector<std::string> saved;
  train::ModelCheckpoint checkpoint([&](const std::string& path) { saved.push_back(path); },
                                    {.path = "last.bin", .monitor = "val_accuracy", .save_best_only = false});
  drive(checkpoint, "val_accuracy", {0.5, 0.4});
  BOOST_TEST((saved == std::vector<std::string>{"last.bin", "last.bin"}));
  check_error([] { train::ModelCheckpoint(nullptr); }, "ModelCheckpoint: no saver given");
}

BOOST_AUTO_TEST_SUITE_END()
