// Recording: attach() links a new node to its inputs' nodes (or leaves) and to its result.
#include "descent/autograd/function.hpp"

namespace descent::autograd {

namespace {
template <class Inputs> void attach_edges(Tensor& result, const Inputs& inputs, std::shared_ptr<Node> node) {
  node->edges.reserve(inputs.size());
  for (const Tensor& input : inputs) {
    Edge edge;
    if (input.defined() && input.requires_grad()) {
      if (input.grad_fn()) edge.node = input.grad_fn();
      else edge.leaf = input.impl_ptr();
      edge.shape = input.shape();
      edge.dtype = input.dtype();
    }
    node->edges.push_back(std::move(edge));
  }
  if (is_anomaly_enabled()) node->recorded_at = capture_record_site();
  result.impl().grad_fn = std::move(node);
  result.impl().requires_grad = true;
}
}  // namespace

void attach(Tensor& result, std::initializer_list<Tensor> inputs, std::shared_ptr<Node> node) {
  attach_edges(result, inputs, std::move(node));
}

void attach(Tensor& result, const std::vector<Tensor>& inputs, std::shared_ptr<Node> node) {
  attach_edges(result, inputs, std::move(node));
}

}  // namespace descent::autograd
