#pragma once
// A node of the tape: one recorded operation, the edges to its inputs and its backward rule.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::autograd {

struct RecordSite;

/// Where an input's gradient goes: to the node that produced it, or into a leaf's grad.
/// Both are empty when the input does not require a gradient.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  Shape shape;  ///< the input's shape: broadcast gradients are summed back to it
  Dtype dtype = Dtype::float32;
  bool needed() const { return node || leaf; }
};

class Node {
 public:
  explicit Node(const char* name);
  /// Releases the nodes below iteratively: dropping a chain of 10^7 nodes must not recurse.
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name() const { return name_; }
  /// Recording order, one sequence for all threads: a node's inputs always have lower numbers, and
  /// backward visits nodes from the highest number down.
  std::uint64_t sequence() const { return sequence_; }

  /// Gradients with respect to each input (undefined where there is none), given the gradient
  /// with respect to the output. Runs with grad mode off, or on (recording) under create_graph.
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  /// For a node whose gradient is zero outside a part of its one input (narrow): adds that
  /// gradient for grad_output into `sum`, the input's gradient summed so far, in place, and returns
  /// true; false to have apply() run instead. The engine calls it only without create_graph, with a
  /// contiguous `sum` of the input's shape that nothing else refers to.
  virtual bool add_gradient_into(const Tensor& /*grad_output*/, Tensor& /*sum*/) { return false; }
  /// Frees what apply() needs; called after backward unless the graph is retained.
  virtual void release_saved() = 0;

  std::vector<Edge> edges;
  Tensor pending_grad;  ///< the gradient summed so far during a backward pass
  std::shared_ptr<TensorHooks> hooks;  ///< the hooks registered on this node's result (hooks.hpp)
  bool released = false;
  /// Where the op was recorded, for anomaly reports; kept only in anomaly mode (see anomaly.hpp).
  std::shared_ptr<const RecordSite> recorded_at;

 private:
  const char* name_;
  std::uint64_t sequence_;
};

/// A node whose backward rule is a callable: std::vector<Tensor>(const Tensor& grad_output).
template <class Backward> class LambdaNode final : public Node {
 public:
  LambdaNode(const char* name, Backward backward) : Node(name), backward_(std::move(backward)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override { return (*backward_)(grad_output); }
  void release_saved() override { backward_.reset(); }  // frees the captured tensors

 private:
  std::optional<Backward> backward_;
};

}  // namespace descent::autograd
