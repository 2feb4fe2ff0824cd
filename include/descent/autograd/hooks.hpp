#pragma once
// Hooks into the backward pass, with PyTorch's names and semantics:
//
//   w.register_hook([](const Tensor& g) { return clamp(g, -1, 1); });   // sees (and may replace) w's gradient
//   w.register_post_accumulate_grad_hook([](const Tensor& w) { ... w.grad() ... });  // after w.grad() is final
//   autograd::queue_callback([] { ... });   // from a hook: runs once the current pass has finished
//
// A gradient hook (Tensor::register_hook) runs with a tensor's whole gradient of the pass — the sum
// over all its uses, once every node that contributes to it has run — and may return a replacement
// (same shape and dtype) or an undefined tensor to keep it. On a leaf it runs in backward() and in
// grad(); on a recorded result, before its node's backward rule. A post-accumulate hook (leaves only)
// runs in backward() as soon as the leaf's .grad() has received this pass's gradient, while the rest of
// the pass goes on: what distributed::DataParallel starts reducing a bucket of gradients from. Such a
// leaf's .grad() is accumulated there and then, not when the pass ends, so an error later in the pass
// (a stale saved tensor) leaves it changed — unlike every other leaf's.
//
// Hooks run on the thread running backward, in registration order. Register and remove them while no
// backward pass uses the tensor.
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace descent {
class Tensor;
}

namespace descent::autograd {

using GradHook = std::function<Tensor(const Tensor& grad)>;
using PostAccumulateGradHook = std::function<void(const Tensor& tensor)>;

/// The hooks of one tensor: held by its TensorImpl (a leaf) or by its node (a recorded result).
struct TensorHooks {
  TensorHooks();
  ~TensorHooks();
  TensorHooks(const TensorHooks&) = delete;
  TensorHooks& operator=(const TensorHooks&) = delete;
  bool empty() const { return grad.empty() && post_accumulate.empty(); }
  /// How many hooks are registered (on tensors that live, not removed): the engine looks for
  /// hooked leaves only when there are some.
  static std::size_t live();

  std::vector<std::pair<std::uint64_t, GradHook>> grad;
  std::vector<std::pair<std::uint64_t, PostAccumulateGradHook>> post_accumulate;
};

/// What register_hook returns: remove() takes the hook off again (PyTorch's RemovableHandle).
/// Dropping the handle keeps the hook.
class RemovableHandle {
 public:
  RemovableHandle() = default;
  RemovableHandle(std::weak_ptr<TensorHooks> hooks, std::uint64_t id) : hooks_(std::move(hooks)), id_(id) {}
  /// Removes the hook; a no-op when it is gone already (removed, or its tensor destroyed).
  void remove();

 private:
  std::weak_ptr<TensorHooks> hooks_;
  std::uint64_t id_ = 0;
};

/// Runs `callback` on this thread once the backward pass running now has finished (after every
/// leaf's .grad() is accumulated), in the order queued; a pass stopped by an error drops them.
/// Callable only during a backward pass (from a hook or a backward rule), like PyTorch's
/// Variable._execution_engine.queue_callback.
void queue_callback(std::function<void()> callback);

}  // namespace descent::autograd
