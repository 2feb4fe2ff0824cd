#pragma once
// Line charts (metric histories) and scatter plots with fitted lines, written as standalone SVG:
// no runtime dependency. Non-finite points are skipped (a line breaks there), an empty chart or a
// constant series still gets sensible axes, and tick labels are short (0.25, 2.5k, 1e-05).
//
//   plot::LineChart chart{.title = "loss", .x_label = "epoch", .y_label = "loss"};
//   chart.add("train", epochs, train_loss).add("validation", epochs, val_loss);
//   chart.save("loss.svg");
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace descent::plot {

/// A named set of (x, y) points.
struct Series {
  std::string name{};
  std::vector<double> x{}, y{};
};

/// One or more named series drawn as lines (with markers when they have few points).
struct LineChart {
  std::string title{}, x_label{}, y_label{};
  bool log_y = false;  // log-scale y: values <= 0 are skipped like NaN
  double width = 800, height = 500;
  std::vector<Series> series{};

  /// Adds a series; x and y must have the same length.
  LineChart& add(std::string name, std::vector<double> x, std::vector<double> y);
  /// Adds a series with x = 1, 2, ..., n.
  LineChart& add(std::string name, std::vector<double> y);
  std::string to_svg() const;
  void save(const std::filesystem::path& path) const;
};

/// A straight line y = slope * x + intercept, drawn across the chart's x range.
struct FittedLine {
  double slope = 0, intercept = 0;
  std::string label{};
};

/// Points as dots, and straight lines (e.g. a fitted model) across them.
struct ScatterChart {
  std::string title{}, x_label{}, y_label{};
  double width = 800, height = 500;
  std::vector<Series> points{};
  std::vector<FittedLine> lines{};

  /// Adds a set of points; x and y must have the same length.
  ScatterChart& add(std::string name, std::vector<double> x, std::vector<double> y);
  ScatterChart& add_line(double slope, double intercept, std::string label);
  std::string to_svg() const;
  void save(const std::filesystem::path& path) const;
};

/// Metric histories (one value per epoch, x = 1..n) as a line chart saved to `path`.
void curves(const std::vector<std::pair<std::string, std::vector<double>>>& series_by_epoch, const std::string& title,
            const std::filesystem::path& path, bool log_y = false);

}  // namespace descent::plot
