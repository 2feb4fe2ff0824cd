#pragma once
// The node whose backward rule runs on this thread, set by the engine around Node::apply(): what a
// saved output is linked back to, and the op a stale saved tensor is reported against.
#include <memory>

#include "descent/autograd/node.hpp"

namespace descent::autograd {

/// The running node, or nullptr outside a backward rule.
const std::shared_ptr<Node>* running_node();

/// Makes `node` the running node for its lifetime (restoring the previous one: rules may nest).
class RunningNode {
 public:
  explicit RunningNode(const std::shared_ptr<Node>& node);
  ~RunningNode();
  RunningNode(const RunningNode&) = delete;
  RunningNode& operator=(const RunningNode&) = delete;

 private:
  const std::shared_ptr<Node>* previous_;
};

}  // namespace descent::autograd
