#include "descent/autograd/hooks.hpp"

#include <algorithm>
#include <atomic>

#include "autograd/running_hooks.hpp"
#include "descent/autograd/node.hpp"

namespace descent::autograd {

namespace {
std::atomic<std::size_t> live_hooks{0};  // hooks registered and not removed, on live tensors
std::atomic<std::uint64_t> next_hook_id{1};
thread_local PassCallbacks* current_pass = nullptr;

/// The hooks of `t`: its own if a leaf, its node's if a recorded result (created on first use).
TensorHooks& hooks_of(const Tensor& t, const char* op) {
  DESCENT_CHECK(t.requires_grad(), op, "cannot register a hook on a tensor that does not require grad (shape ",
                to_string(t.shape()), ")");
  std::shared_ptr<TensorHooks>& hooks = t.is_leaf() ? t.impl().hooks : t.grad_fn()->hooks;
  if (!hooks) hooks = std::make_shared<TensorHooks>();
  return *hooks;
}

template <class Hooks> RemovableHandle add(const Tensor& t, Hooks TensorHooks::*list, typename Hooks::value_type::second_type hook,
                                           const char* op) {
  DESCENT_CHECK(static_cast<bool>(hook), op, "the hook is empty");
  TensorHooks& hooks = hooks_of(t, op);
  const std::uint64_t id = next_hook_id.fetch_add(1, std::memory_order_relaxed);
  (hooks.*list).emplace_back(id, std::move(hook));
  live_hooks.fetch_add(1, std::memory_order_relaxed);
  const std::shared_ptr<TensorHooks>& owner = t.is_leaf() ? t.impl().hooks : t.grad_fn()->hooks;
  return RemovableHandle(owner, id);
}

template <class Hooks> void erase_id(Hooks& hooks, std::uint64_t id) {
  const std::size_t erased = std::erase_if(hooks, [id](const auto& entry) { return entry.first == id; });
  live_hooks.fetch_sub(erased, std::memory_order_relaxed);
}
}  // namespace

TensorHooks::TensorHooks() = default;
TensorHooks::~TensorHooks() { live_hooks.fetch_sub(grad.size() + post_accumulate.size(), std::memory_order_relaxed); }
std::size_t TensorHooks::live() { return live_hooks.load(std::memory_order_relaxed); }

void RemovableHandle::remove() {
  if (auto hooks = hooks_.lock()) {
    erase_id(hooks->grad, id_);
    erase_id(hooks->post_accumulate, id_);
  }
  hooks_.reset();
}

Tensor run_grad_hooks(const TensorHooks& hooks, Tensor grad, const char* what) {
  const auto now = hooks.grad;  // a copy: a hook may remove itself (or another) while it runs
  for (const auto& [id, hook] : now) {
    Tensor replaced = hook(grad);
    if (!replaced.defined()) continue;
    DESCENT_CHECK(replaced.shape() == grad.shape() && replaced.dtype() == grad.dtype(), "backward",
                  "a hook registered on ", what, " returned a ", to_string(replaced.dtype()), " ",
                  to_string(replaced.shape()), " gradient for a ", to_string(grad.dtype()), " ", to_string(grad.shape()),
                  " one: a hook must keep the gradient's shape and dtype");
    grad = std::move(replaced);
  }
  return grad;
}

void run_post_accumulate_hooks(const TensorHooks& hooks, const Tensor& leaf) {
  const auto now = hooks.post_accumulate;  // a copy, as above
  for (const auto& [id, hook] : now) hook(leaf);
}

PassCallbacks::PassCallbacks() : previous_(current_pass) { current_pass = this; }
PassCallbacks::~PassCallbacks() { current_pass = previous_; }

void PassCallbacks::run() {
  for (std::size_t i = 0; i < queued_.size(); ++i) {  // by index: a callback may queue more
    std::function<void()> callback = std::move(queued_[i]);
    callback();
  }
  queued_.clear();
}

void queue_callback(std::function<void()> callback) {
  DESCENT_CHECK(current_pass != nullptr, "queue_callback", "called outside a backward pass (call it from a hook)");
  DESCENT_CHECK(static_cast<bool>(callback), "queue_callback", "the callback is empty");
  current_pass->queued_.push_back(std::move(callback));
}

}  // namespace descent::autograd

namespace descent {

autograd::RemovableHandle Tensor::register_hook(std::function<Tensor(const Tensor& grad)> hook) const {
  return autograd::add(*this, &autograd::TensorHooks::grad, std::move(hook), "register_hook");
}

autograd::RemovableHandle Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor& tensor)> hook) const {
  DESCENT_CHECK(is_leaf(), "register_post_accumulate_grad_hook",
                "post-accumulate-grad hooks can only be registered on leaf tensors (this one was produced by ",
                grad_fn()->name(), ")");
  return autograd::add(*this, &autograd::TensorHooks::post_accumulate, std::move(hook),
                       "register_post_accumulate_grad_hook");
}

}  // namespace descent
