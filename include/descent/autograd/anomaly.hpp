#pragma once
// Anomaly detection, like torch.autograd.detect_anomaly: while it is on (per thread), every op
// checks its forward result and every backward step checks the gradients it returns for NaN and
// Inf. The first one found throws AnomalyError naming the op, what it produced, and where the op
// was recorded (the call stack at recording time). It costs a pass over every value and a stack
// capture per recorded op: a debugging tool, off by default.
//
//   {
//     autograd::DetectAnomaly detect;              // on for this scope
//     Tensor loss = nn::mse_loss(model(x), y);     // throws at the first op producing NaN/Inf
//     loss.backward();                             // throws at the first backward returning one
//   }
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "descent/error.hpp"
#include "descent/tensor.hpp"

namespace descent::autograd {

class Node;

bool is_anomaly_enabled();
void set_detect_anomaly(bool enabled);

/// Turns anomaly detection on for its lifetime on this thread.
class DetectAnomaly {
 public:
  DetectAnomaly() : previous_(is_anomaly_enabled()) { set_detect_anomaly(true); }
  ~DetectAnomaly() { set_detect_anomaly(previous_); }
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

 private:
  bool previous_;
};

/// What anomaly detection throws: a descent::Error, so one catch handles both.
class AnomalyError : public Error {
 public:
  using Error::Error;
};

/// The call stack where a node was recorded; kept by nodes only in anomaly mode.
struct RecordSite;
std::shared_ptr<const RecordSite> capture_record_site();

/// Throws AnomalyError if `result` of op `name` holds NaN or Inf (called by record()).
void check_forward(const char* name, const Tensor& result, std::span<const Tensor> inputs);
/// Throws AnomalyError if a gradient `node`'s backward returned (for input i) holds NaN or Inf.
void check_backward(const Node& node, const Tensor& grad_output, std::span<const Tensor> grads);
/// Throws AnomalyError if the gradient given to backward() holds NaN or Inf.
void check_root_gradient(const Tensor& gradient);

}  // namespace descent::autograd

namespace descent {
using autograd::DetectAnomaly;
}
