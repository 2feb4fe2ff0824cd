#pragma once
// What fit() measured, epoch by epoch: named metrics ("loss", "accuracy", "val_loss", "val_accuracy",
// "lr", "seconds", ...) kept in the order they were first recorded, like the History of Keras.
//
//   train::History history = train::fit(...);
//   history.write_csv("history.csv");    // epoch,loss,accuracy,...   one row per epoch
//   history.write_json("history.json");  // {"epochs": [{"epoch": 1, "loss": 0.52, ...}, ...]}
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace descent::train {

/// Ordered name -> value pairs: the metrics of one epoch (or the running metrics of one batch).
class Metrics {
 public:
  Metrics() = default;
  Metrics(std::initializer_list<std::pair<std::string, double>> items);

  /// Sets a metric: replaces its value, or appends it if it is new.
  void set(const std::string& name, double value);
  /// The value of a metric; throws descent::Error naming the metrics there are if it is missing.
  double at(const std::string& name) const;
  /// A pointer to the value, or nullptr if there is no such metric.
  const double* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  /// "loss, accuracy, lr" (for messages).
  std::string names() const;

  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, double>> items_;
};

/// One epoch's record: its number (from 1) and its metrics.
struct EpochRecord {
  std::size_t epoch = 0;
  Metrics metrics;
};

class History {
 public:
  /// Appends the record of an epoch.
  void add(std::size_t epoch, Metrics metrics);
  const std::vector<EpochRecord>& epochs() const { return epochs_; }
  std::size_t size() const { return epochs_.size(); }
  bool empty() const { return epochs_.empty(); }
  const EpochRecord& back() const;

  /// Every metric name, in the order first seen.
  std::vector<std::string> names() const;
  /// One metric over the epochs (NaN where an epoch lacks it).
  std::vector<double> values(const std::string& name) const;

  /// CSV: a header "epoch,<names...>" and one row per epoch; numbers in their shortest exact form,
  /// an empty field where an epoch lacks a metric, nan / inf / -inf for non-finite values.
  std::string to_csv() const;
  /// JSON: {"epochs": [{"epoch": 1, "loss": ...}, ...]} with one epoch per line; NaN and Inf as null.
  std::string to_json() const;
  /// Write to_csv() / to_json() atomically: to a temporary file in the same folder, then renamed.
  void write_csv(const std::filesystem::path& path) const;
  void write_json(const std::filesystem::path& path) const;

 private:
  std::vector<EpochRecord> epochs_;
};

}  // namespace descent::train
