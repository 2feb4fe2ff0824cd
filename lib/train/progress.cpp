#include "descent/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <utility>

namespace descent::train {

std::string format_metric(double value) {
  char buffer[48];
  const bool tiny = value != 0 && std::isfinite(value) && std::abs(value) < 1e-3;
  std::snprintf(buffer, sizeof buffer, tiny ? "%.3e" : "%.4f", value);
  return buffer;
}

std::string format_duration(double seconds) {
  const long total = std::isfinite(seconds) && seconds > 0 ? std::lround(seconds) : 0;
  char buffer[48];
  if (total >= 3600)
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  return buffer;
}

std::string format_rate(double per_second) {
  char buffer[48];
  if (!std::isfinite(per_second) || per_second < 0) return "?";
  if (per_second < 1e4) {
    std::snprintf(buffer, sizeof buffer, "%.0f", per_second);
  } else {
    int exponent = static_cast<int>(std::floor(std::log10(per_second)));
    double mantissa = per_second / std::pow(10.0, exponent);
    if (std::round(mantissa * 10) >= 100) {  // 9.96e4 rounds to 10.0e4: write 1.0e5
      mantissa /= 10;
      ++exponent;
    }
    std::snprintf(buffer, sizeof buffer, "%.1fe%d", mantissa, exponent);
  }
  return buffer;
}

namespace {

/// "  loss 0.3412  accuracy 0.8812": every metric but lr and seconds.
std::string metrics_text(const Metrics& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics)
    if (name != "lr" && name != "seconds") out += "  " + name + " " + format_metric(value);
  return out;
}

}  // namespace

ProgressBar::ProgressBar(ProgressOptions options) : options_(std::move(options)) {
  out_ = options_.out ? options_.out : &std::cout;
  tty_ = options_.tty ? *options_.tty : out_ == &std::cout && ::isatty(::fileno(stdout));
}

double ProgressBar::now() const {
  if (clock_) return clock_();
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

void ProgressBar::on_train_begin(const TrainBegin& begin) {
  epochs_ = begin.epochs;
  steps_ = begin.steps_per_epoch;
}

void ProgressBar::on_epoch_begin(std::size_t epoch) {
  epoch_ = epoch;
  samples_ = 0;
  last_length_ = 0;
  drawn_ = false;
  epoch_start_ = now();
}

std::string ProgressBar::bar(std::size_t done) const {
  const std::size_t width = options_.width;
  const std::size_t filled = steps_ ? std::min(width, width * done / steps_) : width;
  std::string out;  // appended piece by piece: "[" + std::string(...) trips GCC 12's -Wrestrict
  out += '[';
  out.append(filled, '=');
  if (filled < width) {
    out += '>';
    out.append(width - filled - 1, ' ');
  }
  out += ']';
  return out;
}

void ProgressBar::draw(const std::string& line, bool final) {
  // '\r' goes back to the line's start; spaces cover what a longer previous line left.
  std::string text = "\r" + line;
  if (line.size() < last_length_) text += std::string(last_length_ - line.size(), ' ');
  last_length_ = line.size();
  if (final) text += "\n";
  *out_ << text << std::flush;
}

void ProgressBar::on_batch_end(std::size_t batch, std::size_t batch_size, const Metrics& running) {
  samples_ += batch_size;
  if (!tty_) return;
  const double t = now();
  if (drawn_ && t - last_draw_ < options_.min_interval) return;  // at most 1 / min_interval redraws a second
  drawn_ = true;
  last_draw_ = t;
  const double elapsed = t - epoch_start_;
  const std::string rate = elapsed > 0 ? format_rate(static_cast<double>(samples_) / elapsed) : "?";
  const double eta = batch ? elapsed / static_cast<double>(batch) * static_cast<double>(steps_ - std::min(batch, steps_)) : 0;
  const std::string line = "epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_) + " " + bar(batch) +
                           " " + std::to_string(batch) + "/" + std::to_string(steps_) + "  " + rate +
                           " samples/s  ETA " + format_duration(eta) + metrics_text(running);
  draw(line, false);
}

void ProgressBar::on_epoch_end(std::size_t epoch, const Metrics& metrics, bool&) {
  const double* recorded = metrics.find("seconds");
  const double seconds = recorded ? *recorded : now() - epoch_start_;
  char time[32];
  std::snprintf(time, sizeof time, "%.1fs", seconds);
  const std::string head = "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs_);
  if (!tty_) {
    *out_ << head << metrics_text(metrics) << "  " << time << "\n" << std::flush;
    return;
  }
  const std::string rate = seconds > 0 ? format_rate(static_cast<double>(samples_) / seconds) : "?";
  draw(head + " " + bar(steps_) + " " + std::to_string(steps_) + "/" + std::to_string(steps_) + "  " + rate +
           " samples/s  " + time + metrics_text(metrics),
       true);
}

}  // namespace descent::train
