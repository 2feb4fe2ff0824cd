#include "support/check.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "descent/train.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

/// y = 2·x0 - 3·x1 + 1 on 64 random points.
data::TensorDataset regression_data() {
  Generator gen(7);
  const Tensor x = randn({64, 2}, gen, float64);
  const Tensor y = sum(x * tensor({2.0, -3.0}, float64), {1}, true) + 1.0;
  return data::TensorDataset(x, y);
}

/// Three Gaussian blobs in the plane, 30 points each, int64 labels.
data::TensorDataset blobs() {
  Generator gen(3);
  const xt::xarray<double> centers = {{0.0, 3.0}, {3.0, 0.0}, {-3.0, -3.0}};
  xt::xarray<double> means = xt::zeros<double>({90, 2});
  xt::xarray<double> labels = xt::zeros<double>({90});
  for (std::size_t i = 0; i < 90; ++i) {
    means(i, 0) = centers(i % 3, 0);
    means(i, 1) = centers(i % 3, 1);
    labels(i) = static_cast<double>(i % 3);
  }
  return data::TensorDataset(randn({90, 2}, gen, float64) * 0.5 + tensor(means, float64), tensor(labels, int64));
}

/// Records the calls it receives.
struct Recorder : train::Callback {
  std::vector<std::string> events;
  std::size_t stop_at = 0;
  void on_train_begin(const train::TrainBegin& b) override {
    events.push_back("train_begin " + std::to_string(b.epochs) + " " + std::to_string(b.steps_per_epoch));
  }
  void on_epoch_begin(std::size_t epoch) override { events.push_back("epoch_begin " + std::to_string(epoch)); }
  void on_batch_end(std::size_t batch, std::size_t size, const train::Metrics& running) override {
    events.push_back("batch_end " + std::to_string(batch) + " " + std::to_string(size) + " " + running.names());
  }
  void on_epoch_end(std::size_t epoch, const train::Metrics& m, bool& stop) override {
    events.push_back("epoch_end " + std::to_string(epoch) + " " + m.names());
    if (epoch == stop_at) stop = true;
  }
  void on_train_end(const train::History& h) override { events.push_back("train_end " + std::to_string(h.size())); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fit)

BOOST_AUTO_TEST_CASE(linear_regression) {
  Generator gen(1);
  nn::Linear model(2, 1, {.dtype = float64}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  data::DataLoader loader(regression_data(), {.batch_size = 16, .shuffle = true}, 0);
  const train::History history = train::fit(model, opt, nn::MSELoss{}, loader, {.epochs = 20, .verbose = false});
  BOOST_TEST(history.size() == 20u);
  BOOST_TEST((history.names() == std::vector<std::string>{"loss", "lr", "seconds"}));
  BOOST_TEST(history.epochs()[4].epoch == 5u);
  const std::vector<double> loss = history.values("loss");
  for (std::size_t i = 1; i < 5; ++i) BOOST_TEST(loss[i] < loss[i - 1]);
  BOOST_TEST(loss.back() < 1e-4 * loss.front());
  testing::check_values(model.weight, {{2.0, -3.0}}, 0, 1e-2);
  testing::check_values(model.bias, {1.0}, 0, 1e-2);
  BOOST_TEST(history.values("lr")[19] == 0.1);
}

// A learning rate far too large: without detection fit runs on into Inf/NaN losses; with it, fit
// stops at the first non-finite value, saying when (epoch, batch) and which op.
BOOST_AUTO_TEST_CASE(detect_anomaly_stops_a_diverging_run) {
  auto run = [](bool detect) {
    Generator gen(1);
    nn::Linear model(2, 1, {.dtype = float64}, gen);
    optim::SGD opt(model.parameters(), {.lr = 1e4});
    data::DataLoader loader(regression_data(), {.batch_size = 16, .shuffle = true}, 0);
    return train::fit(model, opt, nn::MSELoss{}, loader, {.epochs = 60, .verbose = false, .detect_anomaly = detect});
  };
  const std::vector<double> loss = run(false).values("loss");
  BOOST_TEST(!std::isfinite(loss.back()));
  const std::string message = testing::error_of([&] { run(true); });
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.rfind("fit: epoch ", 0) == 0);
  BOOST_TEST(message.find(", batch ") != std::string::npos);
  BOOST_TEST(message.find(": detect_anomaly: the ") != std::string::npos);
  BOOST_CHECK_THROW(run(true), autograd::AnomalyError);
  BOOST_TEST(!autograd::is_anomaly_enabled());  // put back when fit ends, even by an exception
}

BOOST_AUTO_TEST_CASE(classifier_with_validation_and_accuracy) {
  Generator gen(2);
  nn::Sequential model(nn::Linear(2, 8, {.dtype = float64}, gen), nn::ReLU(), nn::Linear(8, 3, {.dtype = float64}, gen));
  optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  data::DataLoader loader(blobs(), {.batch_size = 16, .shuffle = true}, 0);
  data::DataLoader validation(blobs(), {.batch_size = 50});
  std::ostringstream out;
  model.eval();
  const train::History history =
      train::fit(model, opt, nn::CrossEntropyLoss{}, loader,
                 {.epochs = 10, .validation = &validation, .metrics = {"accuracy"}, .progress = {.out = &out}});
  BOOST_TEST(!model.is_training());  // the mode it had before
  BOOST_TEST(history.size() == 10u);
  BOOST_TEST((history.names() ==
              std::vector<std::string>{"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}));
  const std::vector<double> loss = history.values("loss");
  BOOST_TEST(loss.back() < 0.5 * loss.front());
  BOOST_TEST(history.values("val_accuracy").back() > 0.95);
  BOOST_TEST(history.values("accuracy").back() > 0.9);
  // Not a terminal: one plain line per epoch.
  std::istringstream lines(out.str());
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    ++count;
    BOOST_TEST(line.rfind("epoch " + std::to_string(count) + "/10  loss ", 0) == 0u, line);
    BOOST_TEST(line.find("  val_accuracy ") != std::string::npos, line);
    BOOST_TEST(line.back() == 's', line);
  }
  BOOST_TEST(count == 10u);
  // evaluate() agrees with the last val_ metrics (nothing changed since).
  const train::Metrics metrics = train::evaluate(model, nn::CrossEntropyLoss{}, validation, {"accuracy"});
  BOOST_TEST(metrics.at("loss") == history.values("val_loss").back(), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(metrics.at("accuracy") == history.values("val_accuracy").back());
}

BOOST_AUTO_TEST_CASE(callbacks_in_order_and_stop) {
  Generator gen(1);
  nn::Linear model(2, 1, {.dtype = float64}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  data::DataLoader loader(regression_data(), {.batch_size = 32});
  Recorder recorder;
  recorder.stop_at = 2;
  const train::History history =
      train::fit(model, opt, nn::MSELoss{}, loader, {.epochs = 5, .verbose = false, .callbacks = {&recorder}});
  BOOST_TEST(history.size() == 2u);
  const std::vector<std::string> expected = {"train_begin 5 2",        "epoch_begin 1",
                                             "batch_end 1 32 loss",    "batch_end 2 32 loss",
                                             "epoch_end 1 loss, lr, seconds", "epoch_begin 2",
                                             "batch_end 1 32 loss",    "batch_end 2 32 loss",
                                             "epoch_end 2 loss, lr, seconds", "train_end 2"};
  BOOST_TEST(recorder.events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(early_stopping_and_scheduler_in_fit) {
  Generator gen(1);
  nn::Linear model(2, 1, {.dtype = float64}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  optim::StepLR schedule(opt, 1, 0.5);
  train::LRSchedulerCallback step_lr(schedule);
  // The lr halves every epoch, so "lr" monitored in max mode never improves after epoch 1: with
  // patience 2, training stops at epoch 3.
  train::EarlyStopping early({.monitor = "lr", .mode = train::Mode::max, .patience = 2});
  data::DataLoader loader(regression_data(), {.batch_size = 64});
  const train::History history = train::fit(model, opt, nn::MSELoss{}, loader,
                                            {.epochs = 10, .verbose = false, .callbacks = {&step_lr, &early}});
  BOOST_TEST(history.size() == 3u);
  BOOST_TEST(early.stopped_epoch() == 3u);
  BOOST_TEST((history.values("lr") == std::vector<double>{0.1, 0.05, 0.025}));
  BOOST_TEST(opt.lr(0) == 0.0125);
}

BOOST_AUTO_TEST_CASE(errors) {
  Generator gen(1);
  nn::Linear model(2, 1, {.dtype = float64}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  data::DataLoader loader(regression_data(), {.batch_size = 64});
  check_error([&] { train::fit(model, opt, nn::MSELoss{}, loader, {.metrics = {"f1"}, .verbose = false}); },
              "fit: unknown metric \"f1\" (known: accuracy)");
  check_error([&] { train::fit(model, opt, nn::MSELoss{}, loader, {.metrics = {"accuracy"}, .verbose = false}); },
              "fit: metric \"accuracy\": count_correct: target must be int64 class labels, got (64,1) float64");
  check_error([&] { train::fit(model, opt, nullptr, loader, {.verbose = false}); }, "fit: no loss function given");
  train::EarlyStopping early;  // val_loss without a validation loader
  check_error([&] { train::fit(model, opt, nn::MSELoss{}, loader, {.verbose = false, .callbacks = {&early}}); },
              "EarlyStopping: no metric \"val_loss\" at epoch 1");
}

BOOST_AUTO_TEST_CASE(a_loader_without_batches_is_an_error_not_a_nan_loss) {
  Generator gen(1);
  nn::Linear model(2, 1, {.dtype = float64}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  data::DataLoader loader(regression_data(), {.batch_size = 16});
  data::DataLoader too_small(regression_data(), {.batch_size = 100, .drop_last = true});
  const std::string why = "loader yields no batch: its dataset has 64 examples, fewer than batch_size 100, and drop_last is set";
  check_error([&] { train::fit(model, opt, nn::MSELoss{}, too_small, {.verbose = false}); }, "fit: the training " + why);
  check_error([&] { train::fit(model, opt, nn::MSELoss{}, loader, {.validation = &too_small, .verbose = false}); },
              "fit: the validation " + why);
  check_error([&] { train::evaluate(model, nn::MSELoss{}, too_small); }, "evaluate: the given " + why);
}

BOOST_AUTO_TEST_SUITE_END()
