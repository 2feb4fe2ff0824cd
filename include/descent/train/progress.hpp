#pragma once
// Progress output of fit() (verbose = true), as a callback. On a terminal, one line redrawn with '\r'
// (at most 10 times a second):
//   epoch 3/10 [=========>                    ] 312/469  1.2e4 samples/s  ETA 0:04  loss 0.3412
// and at the end of each epoch the full bar with the epoch's metrics and time. Elsewhere (a pipe, a
// log file) one plain line per epoch:
//   epoch 3/10  loss 0.3412  accuracy 0.8812  val_loss 0.3611  val_accuracy 0.8712  3.2s
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>

#include "descent/train/callbacks.hpp"

namespace descent::train {

struct ProgressOptions {
  /// Where to write; nullptr means std::cout.
  std::ostream* out = nullptr;
  /// Draw the redrawn bar (true) or plain lines (false); unset: bar if `out` is std::cout and
  /// stdout is a terminal.
  std::optional<bool> tty{};
  /// Smallest time between two redraws of the bar, in seconds.
  double min_interval = 0.1;
  /// Width of the bar in characters.
  std::size_t width = 30;
};

class ProgressBar : public Callback {
 public:
  explicit ProgressBar(ProgressOptions options = {});
  void on_train_begin(const TrainBegin& begin) override;
  void on_epoch_begin(std::size_t epoch) override;
  void on_batch_end(std::size_t batch, std::size_t batch_size, const Metrics& running) override;
  void on_epoch_end(std::size_t epoch, const Metrics& metrics, bool& stop) override;

  bool tty() const { return tty_; }
  /// Replaces the clock (std::chrono::steady_clock) by a function giving seconds: for tests.
  void set_clock(std::function<double()> clock) { clock_ = std::move(clock); }

 private:
  double now() const;
  void draw(const std::string& line, bool final);
  std::string bar(std::size_t done) const;

  ProgressOptions options_;
  std::function<double()> clock_;
  std::ostream* out_;
  bool tty_;
  std::size_t epochs_ = 0, steps_ = 0, epoch_ = 0, samples_ = 0, last_length_ = 0;
  double epoch_start_ = 0, last_draw_ = 0;
  bool drawn_ = false;
};

/// A metric as progress lines print it: 4 decimals, or 3 significant digits in scientific form
/// for tiny values ("0.3412", "1.235e-05").
std::string format_metric(double value);
/// Seconds as "0:04", "12:05" or "1:02:03".
std::string format_duration(double seconds);
/// A rate as "812", "8312" or "1.2e4".
std::string format_rate(double per_second);

}  // namespace descent::train
