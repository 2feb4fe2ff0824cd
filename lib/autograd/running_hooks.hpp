#pragma once
// What the engine does with hooks (autograd/hooks.hpp): runs a tensor's gradient hooks, and keeps the
// callbacks queued during a pass until it has finished.
#include <functional>
#include <vector>

#include "descent/autograd/hooks.hpp"
#include "descent/tensor.hpp"

namespace descent::autograd {

/// `grad` passed through each gradient hook in turn (a hook returning a tensor replaces it); `what`
/// names the tensor in the error when a hook returns the wrong shape or dtype.
Tensor run_grad_hooks(const TensorHooks& hooks, Tensor grad, const char* what);
/// Calls each post-accumulate hook with the leaf.
void run_post_accumulate_hooks(const TensorHooks& hooks, const Tensor& leaf);

/// The callbacks queue_callback() adds while this object is the pass running on this thread (passes
/// may nest: the previous one is restored).
class PassCallbacks {
 public:
  PassCallbacks();
  ~PassCallbacks();
  PassCallbacks(const PassCallbacks&) = delete;
  PassCallbacks& operator=(const PassCallbacks&) = delete;
  /// Runs the queued callbacks in order, also those they queue; called when the pass has succeeded.
  void run();

 private:
  friend void queue_callback(std::function<void()> callback);
  std::vector<std::function<void()>> queued_;
  PassCallbacks* previous_;
};

}  // namespace descent::autograd
