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

}  // namespace descent::autograd

namespace descent {
using autograd::NoGradGuard;
}
