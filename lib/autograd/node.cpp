#include "descent/autograd/node.hpp"

#include <atomic>

namespace descent::autograd {

namespace {
std::atomic<std::uint64_t> next_sequence{0};  // recording order, across threads
}

Node::Node(const char* name) : name_(name), sequence_(next_sequence.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Each node held only by the one being destroyed is moved to a stack and emptied there (its saved
  // tensors first: they may hold the last other reference to an input's node), so no destructor
  // ever destroys another node: the stack, not the call stack, holds the chain.
  std::vector<std::shared_ptr<Node>> stack;
  const auto take_inputs = [&stack](std::vector<Edge>& from) {
    for (Edge& edge : from)
      if (edge.node && edge.node.use_count() == 1) stack.push_back(std::move(edge.node));
    from.clear();
  };
  take_inputs(edges);
  while (!stack.empty()) {
    std::shared_ptr<Node> node = std::move(stack.back());
    stack.pop_back();
    node->release_saved();
    node->pending_grad = Tensor();
    take_inputs(node->edges);
  }  // `node` goes here, with nothing left below it
}

}  // namespace descent::autograd
