#include "descent/autograd/engine.hpp"

#include <queue>

#include "descent/autograd/anomaly.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "detail/dispatch.hpp"

namespace descent::autograd {

namespace {

// True when nothing but this handle refers to `t`'s values: it can become a leaf's gradient as is.
bool exclusively_owned(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl().owner.use_count() == 1 && t.is_contiguous() &&
         !t.requires_grad();
}

// Adds `grad` into a leaf's accumulated gradient: the first time, the gradient itself when nothing
// else refers to it (no copy), else a private copy; in place after that.
void accumulate(TensorImpl& leaf, Tensor grad) {
  if (!leaf.grad) {
    leaf.grad = exclusively_owned(grad) ? grad.impl_ptr() : grad.clone().impl_ptr();
    return;
  }
  Tensor into(leaf.grad);
  Tensor from = grad.contiguous();
  detail::dispatch_floating("backward", into.dtype(), [&](auto e) {
    using T = decltype(e);
    T* d = into.data<T>();
    const T* s = from.data<T>();
    for (std::size_t i = 0, n = into.numel(); i < n; ++i) d[i] += s[i];
  });
}

// The gradient for an input: summed over broadcast axes, checked against what the input was.
Tensor fit_to_input(const Node& node, Tensor grad, const Edge& edge) {
  DESCENT_CHECK(grad.dtype() == edge.dtype, "backward",
                "the backward of ", node.name(), " returned a ", to_string(grad.dtype()), " gradient for a ",
                to_string(edge.dtype), " input");
  if (grad.shape() == edge.shape) return grad;
  const Shape target = broadcast_shapes("backward", grad.shape(), edge.shape);
  DESCENT_CHECK(target == grad.shape(), "backward", "the backward of ", node.name(), " returned a gradient of shape ",
                to_string(grad.shape()), " for an input of shape ", to_string(edge.shape));
  return sum_to(grad, edge.shape);
}

struct LaterFirst {
  bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
    return a->sequence() < b->sequence();
  }
};

}  // namespace

void backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  DESCENT_CHECK(root.defined(), "backward", "called on an undefined tensor");
  DESCENT_CHECK(root.requires_grad(), "backward",
                "the tensor does not require grad and has no grad_fn (shape ", to_string(root.shape()), ")");
  Tensor grad = gradient;
  if (!grad.defined()) {
    DESCENT_CHECK(root.numel() == 1, "backward", "a gradient can be implied only for a scalar, got shape ",
                  to_string(root.shape()), ": pass the gradient of the output, e.g. y.backward(ones_like(y))");
    grad = ones(root.shape(), root.dtype());
  } else {
    DESCENT_CHECK(grad.shape() == root.shape() && grad.dtype() == root.dtype(), "backward", "gradient ",
                  to_string(grad.dtype()), " ", to_string(grad.shape()), " does not match the tensor ",
                  to_string(root.dtype()), " ", to_string(root.shape()));
  }

  if (is_anomaly_enabled()) check_root_gradient(grad);

  NoGradGuard no_grad;
  if (root.is_leaf()) {
    accumulate(root.impl(), std::move(grad));  // the caller's gradient is shared, so copied
    return;
  }
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, LaterFirst> queue;
  root.grad_fn()->pending_grad = grad;
  queue.push(root.grad_fn());
  while (!queue.empty()) {
    std::shared_ptr<Node> node = queue.top();
    queue.pop();
    Tensor grad_output = std::move(node->pending_grad);
    node->pending_grad = Tensor();
    DESCENT_CHECK(!node->released, "backward", "trying to backward through the graph a second time (at ",
                  node->name(), "): its saved values were freed by the first backward; pass retain_graph=true "
                  "to the first call if you need to");
    std::vector<Tensor> grads = node->apply(grad_output);
    DESCENT_CHECK(grads.size() == node->edges.size(), "backward", "the backward of ", node->name(), " returned ",
                  grads.size(), " gradients for ", node->edges.size(), " inputs");
    if (is_anomaly_enabled()) check_backward(*node, grad_output, grads);
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const Edge& edge = node->edges[i];
      if (!edge.needed() || !grads[i].defined()) continue;
      Tensor g = fit_to_input(*node, std::move(grads[i]), edge);
      if (edge.leaf) {
        accumulate(*edge.leaf, std::move(g));
      } else if (!edge.node->pending_grad.defined()) {
        edge.node->pending_grad = std::move(g);
        queue.push(edge.node);
      } else {
        edge.node->pending_grad = edge.node->pending_grad + g;
      }
    }
    if (!retain_graph) {
      node->release_saved();
      node->edges.clear();
      node->released = true;
    }
  }
}

}  // namespace descent::autograd
