// The backward pass: one loop for backward() (into leaves' .grad) and grad() (returned). Nodes are
// visited latest first (the global recording order: every node comes after its inputs' nodes), each
// once all gradients reaching it are summed. Under create_graph the loop runs with grad mode on, so
// the rules, the sums and the accumulations are recorded like any forward op.
#include "descent/autograd/engine.hpp"

#include <queue>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "autograd/running_hooks.hpp"
#include "autograd/running_node.hpp"
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

// sum += addend, both contiguous of one shape and floating dtype.
void add_in_place(const Tensor& sum, const Tensor& addend) {
  detail::dispatch_floating("backward", sum.dtype(), [&](auto e) {
    using T = decltype(e);
    T* d = sum.data<T>();
    const T* s = addend.data<T>();
    for (std::size_t i = 0, n = sum.numel(); i < n; ++i) d[i] += s[i];
  });
}

// Adds `grad` into a tensor's accumulated .grad(): the first time, the gradient itself when nothing
// else refers to it (no copy), else a private copy; then in place, unless the sum must be recorded
// (create_graph) or the accumulated gradient is itself part of a graph: then out of place.
void accumulate(TensorImpl& into, Tensor grad) {
  if (!into.grad) {
    into.grad = exclusively_owned(grad) ? grad.impl_ptr() : grad.clone().impl_ptr();
    return;
  }
  Tensor sum(into.grad);
  if (is_grad_enabled() || sum.requires_grad()) {
    into.grad = (sum + grad).impl_ptr();
    return;
  }
  add_in_place(sum, grad.contiguous());
  sum.bump_version();
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

// The gradient summed so far for a node plus `grad`. Without create_graph, in place into whichever
// of the two nothing else refers to (a residual stream sums many; no new tensor for each).
Tensor add_gradients(Tensor sum, Tensor grad) {
  if (!sum.defined()) return grad;
  if (!is_grad_enabled() && sum.shape() == grad.shape() && sum.dtype() == grad.dtype()) {
    if (!exclusively_owned(sum) && exclusively_owned(grad)) std::swap(sum, grad);
    if (exclusively_owned(sum) && grad.is_contiguous()) {
      add_in_place(sum, grad);
      return sum;
    }
  }
  return sum + grad;
}

// A node whose gradient is zero outside a part of its one input (narrow) adds it into the input's
// gradient summed so far, in place, when nothing else refers to that sum (without create_graph):
// then the pieces of a split cost their own size, not a zero-filled whole input each.
bool added_in_place(Node& node, const Tensor& grad_output) {
  if (node.edges.size() != 1 || is_grad_enabled() || is_anomaly_enabled()) return false;
  const Edge& edge = node.edges[0];
  if (!edge.node) return false;
  const Tensor& sum = edge.node->pending_grad;
  if (!sum.defined() || !exclusively_owned(sum) || sum.shape() != edge.shape || sum.dtype() != edge.dtype) return false;
  return node.add_gradient_into(grad_output, edge.node->pending_grad);
}

// After a node's backward: frees its saved tensors and edges unless the graph is retained.
void release(Node& node, bool retain_graph) {
  if (retain_graph) return;
  node.release_saved();
  node.edges.clear();
  node.released = true;
}

struct LaterFirst {
  bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
    return a->sequence() < b->sequence();
  }
};

using Deliveries = std::vector<std::pair<std::shared_ptr<TensorImpl>, Tensor>>;
thread_local Deliveries spare_deferred;  // the last pass's buffer, kept for the next one

/// Where gradients go: into every leaf's .grad (backward), or only into chosen tensors, whose
/// gradients are accumulated (backward with inputs) or returned (grad).
class Targets {
 public:
  Targets(const std::vector<Tensor>& inputs, bool capture) : capture_(capture), grads_(inputs.size()) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& t = inputs[i];
      DESCENT_CHECK(t.defined(), capture ? "grad" : "backward", "input ", i, " is an undefined tensor");
      DESCENT_CHECK(t.requires_grad(), capture ? "grad" : "backward", "input ", i, " (shape ",
                    to_string(t.shape()), ") does not require grad");
      if (t.is_leaf()) leaves_.emplace(t.impl_ptr().get(), i);
      else nodes_.emplace(t.grad_fn().get(), i);
      impls_.push_back(t.impl_ptr());
    }
    deferred_.swap(spare_deferred);  // no allocation per pass (a nested pass gets an empty one)
  }
  ~Targets() {
    deferred_.clear();
    if (spare_deferred.capacity() < deferred_.capacity()) deferred_.swap(spare_deferred);
  }
  Targets(const Targets&) = delete;
  Targets& operator=(const Targets&) = delete;
  bool all_leaves() const { return impls_.empty(); }
  bool is_target(const Node* node) const { return nodes_.count(node) != 0; }
  bool is_target_leaf(const TensorImpl* leaf) const { return all_leaves() || leaves_.count(leaf) != 0; }

  /// Expects one more gradient (or undefined tensor) for `leaf` in this pass, if it has hooks and
  /// is a target: its hooks then run once, with the sum, when the last one has arrived.
  void expect(const std::shared_ptr<TensorImpl>& leaf) {
    if (!leaf->hooks || leaf->hooks->empty() || !is_target_leaf(leaf.get())) return;
    auto [it, added] = hooked_index_.emplace(leaf.get(), hooked_.size());
    if (added) hooked_.push_back({leaf, 0, Tensor()});
    ++hooked_[it->second].remaining;
  }

  /// A gradient reaching a leaf along one edge (undefined: the edge's node gave it none).
  void leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor grad) {
    if (!hooked_.empty()) {
      auto it = hooked_index_.find(leaf.get());
      if (it != hooked_index_.end()) {
        Hooked& hooked = hooked_[it->second];
        if (grad.defined()) hooked.sum = add_gradients(std::move(hooked.sum), std::move(grad));
        if (--hooked.remaining == 0 && hooked.sum.defined()) complete(leaf, std::move(hooked.sum));
        return;
      }
    }
    if (grad.defined()) deliver_leaf(leaf, std::move(grad));
  }
  /// Accumulates into .grad what the pass delivered: only once it has succeeded, so that a pass
  /// stopped by an error (a stale saved tensor) leaves every .grad as it was (but hooked leaves').
  /// A hooked leaf still waiting (a node above it got no gradient, so it never ran) completes here.
  void flush() {
    for (Hooked& hooked : hooked_)
      if (hooked.remaining != 0 && hooked.sum.defined()) {
        hooked.remaining = 0;
        complete(hooked.leaf, std::move(hooked.sum));
      }
    for (auto& [impl, grad] : deferred_) accumulate(*impl, std::move(grad));
    deferred_.clear();
  }
  /// The summed gradient of a target node's output, when the node is reached.
  void node(const Node* node, const Tensor& grad) {
    auto range = nodes_.equal_range(node);
    for (auto it = range.first; it != range.second; ++it) deliver(it->second, grad);
  }
  std::vector<Tensor>& grads() { return grads_; }

 private:
  struct Hooked {
    std::shared_ptr<TensorImpl> leaf;
    std::size_t remaining = 0;  ///< edges (and roots) still to deliver
    Tensor sum;
  };

  /// A hooked leaf's whole gradient of the pass: through its gradient hooks, then returned (grad()),
  /// or accumulated now and shown to its post-accumulate hooks, or delivered like any other.
  void complete(const std::shared_ptr<TensorImpl>& leaf, Tensor grad) {
    const std::shared_ptr<TensorHooks> hooks = leaf->hooks;  // a hook may remove itself
    grad = run_grad_hooks(*hooks, std::move(grad), "a leaf");
    if (capture_ || hooks->post_accumulate.empty()) {
      deliver_leaf(leaf, std::move(grad));
      return;
    }
    accumulate(*leaf, std::move(grad));
    run_post_accumulate_hooks(*hooks, Tensor(leaf));
  }

  void deliver_leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor grad) {
    if (all_leaves()) {
      deferred_.emplace_back(leaf, std::move(grad));
      return;
    }
    auto it = leaves_.find(leaf.get());
    if (it != leaves_.end()) deliver(it->second, std::move(grad));
  }

  void deliver(std::size_t i, Tensor grad) {
    if (capture_) grads_[i] = add_gradients(std::move(grads_[i]), std::move(grad));
    else deferred_.emplace_back(impls_[i], std::move(grad));
  }

  bool capture_;
  std::unordered_multimap<const TensorImpl*, std::size_t> leaves_;
  std::unordered_multimap<const Node*, std::size_t> nodes_;
  std::vector<std::shared_ptr<TensorImpl>> impls_;
  std::vector<Tensor> grads_;
  Deliveries deferred_;
  std::vector<Hooked> hooked_;  // in the order first reached
  std::unordered_map<const TensorImpl*, std::size_t> hooked_index_;
};

/// The nodes from which a target is reachable (only these need to run when targets are chosen),
/// by an iterative depth-first walk.
std::unordered_map<const Node*, bool> nodes_leading_to(const std::vector<std::shared_ptr<Node>>& roots,
                                                       const Targets& targets) {
  std::unordered_map<const Node*, bool> leads;
  std::vector<std::pair<Node*, std::size_t>> stack;  // node, next edge to visit
  for (const auto& root : roots) {
    if (leads.count(root.get())) continue;
    leads[root.get()] = false;
    stack.emplace_back(root.get(), 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->edges.size()) {
        const Edge& edge = node->edges[next++];
        if (edge.leaf) {
          if (targets.is_target_leaf(edge.leaf.get())) leads[node] = true;
        } else if (edge.node) {
          Node* child = edge.node.get();
          auto it = leads.find(child);
          if (it == leads.end()) {
            leads[child] = false;
            stack.emplace_back(child, 0);
          } else if (it->second || targets.is_target(child)) {
            leads[node] = true;
          }
        }
        continue;
      }
      const bool reaches = leads[node] || targets.is_target(node);
      stack.pop_back();
      if (reaches && !stack.empty()) leads[stack.back().first] = true;
    }
  }
  return leads;
}

/// Tells `targets` how many gradients each hooked leaf will receive: one per edge into it from a node
/// that will run (every node reachable from `starts`, or those leading to a target when pruned).
void expect_hooked_leaves(const std::vector<std::shared_ptr<Node>>& starts, Targets& targets,
                          const std::unordered_map<const Node*, bool>* leads) {
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> stack;
  for (const auto& start : starts)
    if (seen.insert(start.get()).second) stack.push_back(start.get());
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    if (leads && !leads->at(node)) continue;  // never runs
    for (const Edge& edge : node->edges) {
      if (edge.leaf) targets.expect(edge.leaf);
      else if (edge.node && seen.insert(edge.node.get()).second) stack.push_back(edge.node.get());
    }
  }
}

/// The gradient of root i: `given` checked against it, or ones for a scalar when none is given.
Tensor root_gradient(const char* op, std::span<const Tensor> roots, std::size_t i, const Tensor& given) {
  const Tensor& root = roots[i];
  DESCENT_CHECK(root.defined(), op, "output ", i, " is an undefined tensor");
  DESCENT_CHECK(root.requires_grad(), op, "the tensor does not require grad and has no grad_fn (shape ",
                to_string(root.shape()), (roots.size() > 1 ? detail::concat(", output ", i) : std::string()), ")");
  Tensor grad = given;
  if (!grad.defined()) {
    DESCENT_CHECK(root.numel() == 1, op, "a gradient can be implied only for a scalar, got shape ",
                  to_string(root.shape()), ": pass the gradient of the output, e.g. y.backward(ones_like(y))");
    grad = ones(root.shape(), root.dtype());
  } else {
    DESCENT_CHECK(grad.shape() == root.shape() && grad.dtype() == root.dtype(), op, "gradient ",
                  to_string(grad.dtype()), " ", to_string(grad.shape()), " does not match the tensor ",
                  to_string(root.dtype()), " ", to_string(root.shape()));
  }
  if (is_anomaly_enabled()) check_root_gradient(grad);
  return grad;
}

using Queue = std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, LaterFirst>;

/// Forgets the gradients of nodes left in the queue when a backward rule throws, so that the next
/// pass does not start from them.
struct DrainOnError {
  Queue& queue;
  ~DrainOnError() {
    for (; !queue.empty(); queue.pop()) queue.top()->pending_grad = Tensor();
  }
};

void run_backward(const char* op, std::span<const Tensor> roots, std::span<const Tensor> root_grads,
                  bool retain_graph, bool create_graph, Targets& targets) {
  DESCENT_CHECK(!roots.empty(), op, "expected at least one output to differentiate");
  DESCENT_CHECK(root_grads.empty() || root_grads.size() == roots.size(), op, "got ", root_grads.size(),
                " gradients for ", roots.size(), " outputs");
  const bool grad_mode_outside = is_grad_enabled();
  PassCallbacks callbacks;
  AutoGradMode mode(create_graph);
  Queue queue;
  DrainOnError drain{queue};
  const bool pruned = !targets.all_leaves();
  const bool hooks = TensorHooks::live() > 0;  // then hooked leaves need their gradients counted
  std::vector<std::shared_ptr<Node>> starts;  // for pruning and hooks only
  std::vector<Tensor> leaf_roots;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    Tensor grad = root_gradient(op, roots, i, root_grads.empty() ? Tensor() : root_grads[i]);
    if (root.is_leaf()) {
      if (hooks) targets.expect(root.impl_ptr());
      leaf_roots.push_back(std::move(grad));  // delivered once every hooked leaf is counted
      continue;
    }
    Node& node = *root.grad_fn();
    if (!node.pending_grad.defined()) {
      queue.push(root.grad_fn());
      if (pruned || hooks) starts.push_back(root.grad_fn());
    }
    node.pending_grad = add_gradients(std::move(node.pending_grad), std::move(grad));
  }
  const auto leads = pruned ? nodes_leading_to(starts, targets) : std::unordered_map<const Node*, bool>{};
  if (hooks) expect_hooked_leaves(starts, targets, pruned ? &leads : nullptr);
  for (std::size_t i = 0, next = 0; i < roots.size(); ++i)  // the caller's gradient is shared: copied when kept
    if (roots[i].is_leaf()) targets.leaf(roots[i].impl_ptr(), std::move(leaf_roots[next++]));
  while (!queue.empty()) {
    std::shared_ptr<Node> node = queue.top();
    queue.pop();
    Tensor grad_output = std::move(node->pending_grad);
    node->pending_grad = Tensor();
    DESCENT_CHECK(!node->released, op, "trying to backward through the graph a second time (at ", node->name(),
                  "): its saved values were freed by the first backward; pass retain_graph=true to the first call "
                  "if you need to");
    if (node->hooks && !node->hooks->grad.empty()) {
      const std::shared_ptr<TensorHooks> node_hooks = node->hooks;  // a hook may remove itself
      grad_output = run_grad_hooks(*node_hooks, std::move(grad_output), node->name());
    }
    if (pruned) {
      targets.node(node.get(), grad_output);
      if (!leads.at(node.get())) continue;
    }
    std::vector<Tensor> input_grads;
    bool in_place = false;
    {
      RunningNode running(node);
      in_place = added_in_place(*node, grad_output);
      if (!in_place) input_grads = node->apply(grad_output);
    }
    if (in_place) {
      release(*node, retain_graph);
      continue;
    }
    DESCENT_CHECK(input_grads.size() == node->edges.size(), op, "the backward of ", node->name(), " returned ",
                  input_grads.size(), " gradients for ", node->edges.size(), " inputs");
    if (is_anomaly_enabled()) check_backward(*node, grad_output, input_grads);
    for (std::size_t i = 0; i < input_grads.size(); ++i) {
      const Edge& edge = node->edges[i];
      if (edge.leaf && !input_grads[i].defined()) {
        targets.leaf(edge.leaf, Tensor());  // a hooked leaf counts it
        continue;
      }
      if (!edge.needed() || !input_grads[i].defined()) continue;
      Tensor g = fit_to_input(*node, std::move(input_grads[i]), edge);
      if (edge.leaf) {
        targets.leaf(edge.leaf, std::move(g));
        continue;
      }
      if (pruned && !leads.at(edge.node.get()) && !targets.is_target(edge.node.get())) continue;
      if (!edge.node->pending_grad.defined()) queue.push(edge.node);
      edge.node->pending_grad = add_gradients(std::move(edge.node->pending_grad), std::move(g));
    }
    release(*node, retain_graph);
  }
  targets.flush();
  AutoGradMode outside(grad_mode_outside);
  callbacks.run();
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, const GradOptions& options) {
  DESCENT_CHECK(!inputs.empty(), "grad", "expected at least one input to differentiate with respect to");
  Targets targets(inputs, true);
  run_backward("grad", outputs, grad_outputs, options.retain_graph.value_or(options.create_graph),
               options.create_graph, targets);
  std::vector<Tensor>& grads = targets.grads();
  for (std::size_t i = 0; i < grads.size(); ++i)
    DESCENT_CHECK(grads[i].defined() || options.allow_unused, "grad", "input ", i, " (shape ",
                  to_string(inputs[i].shape()), ") was not used to compute the outputs: pass "
                  "{.allow_unused = true} to get an undefined tensor for it");
  return std::move(grads);
}

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              const BackwardOptions& options) {
  Targets targets(options.inputs, false);
  run_backward("backward", tensors, grad_tensors, options.retain_graph.value_or(options.create_graph),
               options.create_graph, targets);
}

void backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  DESCENT_CHECK(root.defined(), "backward", "called on an undefined tensor");
  Targets every_leaf({}, false);
  run_backward("backward", {&root, 1}, {&gradient, 1}, retain_graph, false, every_leaf);
}

}  // namespace descent::autograd
