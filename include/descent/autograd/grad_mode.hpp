#pragma once
// Grad mode: whether operations are recorded on the tape. Per thread, on by default.

namespace descent::autograd {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Turns recording off for its lifetime on this thread (optimizers update under it).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Sets grad mode to `enabled` for its lifetime on this thread (PyTorch's AutoGradMode): the
/// engine turns it on while it records a create_graph pass, off otherwise.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~AutoGradMode() { set_grad_enabled(previous_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

}  // namespace descent::autograd

namespace descent {
using autograd::AutoGradMode;
using autograd::NoGradGuard;
}
