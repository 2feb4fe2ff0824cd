// The node patterns the exporter writes for ops descent computes in one fused kernel, put back
// together on import (fuse_patterns, import_graph.hpp), so that descent → ONNX → descent computes
// what the original model did, bit for bit, and as fast:
//   gelu       Mul(Mul(x, ½), Add(Erf(Div(x, √2)), 1))         (the exporter's; torch.onnx's
//              Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), ½) too)
//              Mul(Mul(x, ½), Add(Tanh(Mul(Add(x, Mul(Pow(x, 3), κ)), β)), 1))   (approximate "tanh")
//   attention  MatMul(Softmax(Mul(MatMul(Q, Transpose(K)), scale) [+ mask | Where(mask, ·, -inf)]), V)
// A pattern is fused only where nothing else reads its intermediate values, its constants are the
// exporter's (scalars equal to the value in their dtype), and its operands fit the fused op;
// otherwise its nodes run one by one.
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

#include "descent/error.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/attention.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "import_graph.hpp"

namespace descent::onnx::detail {

namespace {

using Outputs = std::vector<Tensor>;

// The fused nodes' implementations. Their inputs are the pattern's outer values, in the order
// fuse_patterns gives them.

/// inputs: x; attribute approximate ("none" or "tanh").
Outputs fused_gelu(const NodeArgs& a) { return {gelu(a.input(0), a.get_string("approximate", "none"))}; }

/// inputs: q, k, v, scale (a scalar constant), mask (optional) and, for mask "where", the -inf
/// constant; attributes mask ("none", "add" or "where") and is_causal (the added mask is the causal
/// constant). Where the mask would broadcast the scores to a larger shape, which the fused op does
/// not, the pattern's own ops.
Outputs fused_attention(const NodeArgs& a) {
  const Tensor &q = a.input(0), &k = a.input(1), &v = a.input(2), &scale = a.input(3);
  const std::string mask_kind = a.get_string("mask", "none");
  const bool causal = a.get_int("is_causal", 0) != 0;
  const Tensor mask = mask_kind == "none" || causal ? Tensor() : a.input(4);
  bool fits = q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2 && q.dtype() == k.dtype() && q.dtype() == v.dtype() &&
              scale.dtype() == q.dtype();
  // the causal constant was traced for one (L, S): other lengths are the graph's Add's error, as in ONNX
  if (fits && causal) fits = a.input(4).size(0) == q.size(-2) && a.input(4).size(1) == k.size(-2);
  if (fits && mask.defined()) {
    // the scores' shape: MatMul's broadcast batch, (L, S)
    Shape batch_q(q.shape().begin(), q.shape().end() - 2), batch_k(k.shape().begin(), k.shape().end() - 2);
    Shape scores = broadcast_shapes(a.where().c_str(), batch_q, batch_k);
    scores.push_back(q.size(-2));
    scores.push_back(k.size(-2));
    fits = mask.dim() <= scores.size() && broadcast_shapes(a.where().c_str(), scores, mask.shape()) == scores &&
           mask.dtype() == (mask_kind == "where" ? Dtype::boolean : q.dtype());
  }
  if (fits)
    return {scaled_dot_product_attention(q, k, v, mask, 0.0, causal, scale.to(Dtype::float64).item<double>())};
  Tensor logits = matmul(q, transpose(k, -2, -1)) * scale;
  if (mask_kind == "add") logits = logits + a.input(4);
  if (mask_kind == "where") logits = where(a.input(4), logits, a.input(5));
  return {matmul(softmax(logits, -1), v)};
}

/// The graph's nodes seen from their values: who writes each slot, how many read it, and the
/// scalar constants.
class Patterns {
 public:
  explicit Patterns(ImportedGraph& g) : g_(g), producer_(g.slot_names.size(), -1), readers_(g.slot_names.size(), 0),
                                        initializer_(g.slot_names.size(), nullptr) {
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      for (int s : g.nodes[n].inputs)
        if (s >= 0) ++readers_[std::size_t(s)];
      for (int s : g.nodes[n].outputs)
        if (s >= 0) producer_[std::size_t(s)] = int(n);
    }
    for (int s : g.output_slots) ++readers_[std::size_t(s)];  // a graph output is never private
    for (auto& init : g.initializers) initializer_[std::size_t(init.slot)] = &init;
    fused_.assign(g.nodes.size(), false);
  }

  /// Rewrites every match and drops the nodes it absorbed.
  void fuse() {
    for (std::size_t n = 0; n < g_.nodes.size(); ++n)
      if (!fuse_gelu(n) && !fuse_gelu_torch(n) && !fuse_gelu_tanh(n)) fuse_attention(n);
    std::vector<ImportedNode> kept;
    for (std::size_t n = 0; n < g_.nodes.size(); ++n)
      if (!fused_[n]) kept.push_back(std::move(g_.nodes[n]));
    g_.nodes = std::move(kept);
  }

 private:
  using Node = ImportedNode;

  const std::string& op(const Node& n) const { return n.proto->op_type(); }
  /// The node writing `slot` if it is an op_type node with `arity` inputs, whose only output
  /// nothing but the pattern reads, and not yet in a pattern.
  Node* inner(int slot, const char* op_type, std::size_t arity) {
    if (slot < 0 || producer_[std::size_t(slot)] < 0 || readers_[std::size_t(slot)] != 1) return nullptr;
    Node& n = g_.nodes[std::size_t(producer_[std::size_t(slot)])];
    if (fused_[std::size_t(producer_[std::size_t(slot)])] || op(n) != op_type || n.inputs.size() != arity ||
        n.outputs.size() != 1)
      return nullptr;
    return &n;
  }
  /// The value of `slot` if it is a constant initializer (a scalar, or an integer tensor).
  const Tensor* constant(int slot) const {
    const ImportedInitializer* init = slot >= 0 ? initializer_[std::size_t(slot)] : nullptr;
    return init && init->kind == InitializerKind::constant ? &init->value : nullptr;
  }
  /// Whether `slot` is a one-element floating constant equal to `value` in its dtype.
  bool is_scalar(int slot, double value) const {
    const Tensor* t = constant(slot);
    if (!t || t->numel() != 1 || t->dim() > 1) return false;
    if (t->dtype() == Dtype::float32) return t->item<float>() == static_cast<float>(value);
    return t->dtype() == Dtype::float64 && t->item<double>() == value;
  }
  bool is_scalar_constant(int slot) const {
    const Tensor* t = constant(slot);
    return t && t->numel() == 1 && t->dim() <= 1 && (t->dtype() == Dtype::float32 || t->dtype() == Dtype::float64);
  }
  /// For a commutative binary node, the operand that is not the scalar `value` (-2 if neither is).
  int other_than_scalar(const Node& n, double value) const {
    if (is_scalar(n.inputs[1], value)) return n.inputs[0];
    if (is_scalar(n.inputs[0], value)) return n.inputs[1];
    return -2;
  }

  /// Replaces node `last` (and the absorbed ones) by one node running `impl` on `inputs`.
  void replace(std::size_t last, std::vector<Node*> absorbed, const char* name, OpImpl impl, std::vector<int> inputs,
               const std::vector<std::pair<const char*, std::string>>& strings = {},
               const std::vector<std::pair<const char*, std::int64_t>>& ints = {}) {
    ::onnx::NodeProto& proto = g_.fused_nodes.emplace_back();
    proto.set_name(g_.nodes[last].proto->name());
    proto.set_op_type(std::string(name) + ", fused from " + std::to_string(absorbed.size() + 1) + " nodes");
    for (const auto& [key, value] : strings) {
      auto* attr = proto.add_attribute();
      attr->set_name(key);
      attr->set_type(::onnx::AttributeProto::STRING);
      attr->set_s(value);
    }
    for (const auto& [key, value] : ints) {
      auto* attr = proto.add_attribute();
      attr->set_name(key);
      attr->set_type(::onnx::AttributeProto::INT);
      attr->set_i(value);
    }
    for (Node* n : absorbed) fused_[std::size_t(n - g_.nodes.data())] = true;
    Node& out = g_.nodes[last];
    out.proto = &proto;
    out.impl = impl;
    out.inputs = std::move(inputs);
  }

  /// y = Mul(Mul(x, ½), Add(inner, 1)) (in either order each) with y's operand `side` the first
  /// Mul: x, inner and the two nodes; x < 0 where y is not that.
  struct HalfXTimesOnePlus {
    int x = -2, inner = -2;
    Node *half = nullptr, *plus = nullptr;
  };
  HalfXTimesOnePlus half_x_times_one_plus(const Node& y, int side) {
    HalfXTimesOnePlus m;
    if (op(y) != "Mul" || y.inputs.size() != 2) return m;
    m.half = inner(y.inputs[std::size_t(side)], "Mul", 2);
    m.plus = inner(y.inputs[std::size_t(1 - side)], "Add", 2);
    if (!m.half || !m.plus) return {};
    m.x = other_than_scalar(*m.half, 0.5);
    m.inner = other_than_scalar(*m.plus, 1.0);
    return m;
  }

  /// The exporter's: Mul(Mul(x, ½), Add(Erf(Div(x, √2)), 1)).
  bool fuse_gelu(std::size_t last) {
    for (int side = 0; side < 2; ++side) {
      const auto [x, erf_value, half, plus] = half_x_times_one_plus(g_.nodes[last], side);
      Node* e = x >= 0 ? inner(erf_value, "Erf", 1) : nullptr;
      Node* d = e ? inner(e->inputs[0], "Div", 2) : nullptr;
      if (!d || d->inputs[0] != x || !is_scalar(d->inputs[1], std::numbers::sqrt2)) continue;
      replace(last, {half, plus, e, d}, "Gelu", fused_gelu, {x}, {{"approximate", "none"}});
      return true;
    }
    return false;
  }

  /// torch.onnx's (opsets 9 to 19): Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), ½).
  bool fuse_gelu_torch(std::size_t last) {
    const Node& y = g_.nodes[last];
    if (op(y) != "Mul" || y.inputs.size() != 2) return false;
    Node* times = inner(other_than_scalar(y, 0.5), "Mul", 2);
    if (!times) return false;
    for (int side = 0; side < 2; ++side) {
      const int x = times->inputs[std::size_t(side)];
      Node* plus = inner(times->inputs[std::size_t(1 - side)], "Add", 2);
      Node* e = plus ? inner(other_than_scalar(*plus, 1.0), "Erf", 1) : nullptr;
      Node* d = e ? inner(e->inputs[0], "Div", 2) : nullptr;
      if (!d || d->inputs[0] != x || !is_scalar(d->inputs[1], std::numbers::sqrt2)) continue;
      replace(last, {times, plus, e, d}, "Gelu", fused_gelu, {x}, {{"approximate", "none"}});
      return true;
    }
    return false;
  }

  /// The exporter's tanh form: Mul(Mul(x, ½), Add(Tanh(Mul(Add(x, Mul(Pow(x, 3), κ)), β)), 1)).
  bool fuse_gelu_tanh(std::size_t last) {
    for (int side = 0; side < 2; ++side) {
      const auto [x, tanh_value, half, plus] = half_x_times_one_plus(g_.nodes[last], side);
      Node* t = x >= 0 ? inner(tanh_value, "Tanh", 1) : nullptr;
      Node* u = t ? inner(t->inputs[0], "Mul", 2) : nullptr;
      Node* s = u ? inner(other_than_scalar(*u, std::sqrt(2.0 / std::numbers::pi)), "Add", 2) : nullptr;
      if (!s) continue;
      const int cubic = s->inputs[0] == x ? s->inputs[1] : s->inputs[1] == x ? s->inputs[0] : -2;
      Node* m = inner(cubic, "Mul", 2);
      Node* c = m ? inner(other_than_scalar(*m, 0.044715), "Pow", 2) : nullptr;
      if (!c || c->inputs[0] != x || !is_scalar(c->inputs[1], 3.0)) continue;
      replace(last, {half, plus, t, u, s, m, c}, "Gelu", fused_gelu, {x}, {{"approximate", "tanh"}});
      return true;
    }
    return false;
  }

  /// Whether `slot` is the exporter's causal mask: an initializer (L, S), 0 on and below the
  /// diagonal, -inf above it. (A float initializer of rank 2 is imported as a parameter otherwise.)
  bool is_causal_mask(int slot) const {
    const ImportedInitializer* init = slot >= 0 ? initializer_[std::size_t(slot)] : nullptr;
    const Tensor* t = init ? &init->value : nullptr;
    if (!t || t->dim() != 2 || (t->dtype() != Dtype::float32 && t->dtype() != Dtype::float64)) return false;
    const Tensor m = t->to(Dtype::float64).contiguous();
    const double* p = m.data<double>();
    const std::size_t L = m.size(0), S = m.size(1);
    for (std::size_t i = 0; i < L; ++i)
      for (std::size_t j = 0; j < S; ++j)
        if (p[i * S + j] != (j > i ? -std::numeric_limits<double>::infinity() : 0.0)) return false;
    return true;
  }

  /// MatMul(Softmax(Mul(MatMul(Q, Transpose(K)), scale) [+ mask | Where(mask, ·, -inf)], -1), V).
  bool fuse_attention(std::size_t last) {
    const Node& y = g_.nodes[last];
    if (op(y) != "MatMul" || y.inputs.size() != 2) return false;
    Node* softmax_node = inner(y.inputs[0], "Softmax", 1);
    if (!softmax_node) return false;
    const ::onnx::AttributeProto* axis = nullptr;
    for (const auto& attr : softmax_node->proto->attribute())
      if (attr.name() == "axis") axis = &attr;
    if (!axis || axis->i() != -1) return false;
    std::vector<Node*> absorbed{softmax_node};
    int logits = softmax_node->inputs[0], mask = -1, neg_inf = -1;
    std::string mask_kind = "none";
    if (Node* add = inner(logits, "Add", 2)) {
      absorbed.push_back(add);
      mask_kind = "add";
      const bool first = inner(add->inputs[0], "Mul", 2) != nullptr;  // the scaled scores' side
      logits = add->inputs[first ? 0 : 1];
      mask = add->inputs[first ? 1 : 0];
    } else if (Node* w = inner(logits, "Where", 3)) {
      if (!is_scalar(w->inputs[2], -std::numeric_limits<double>::infinity())) return false;
      absorbed.push_back(w);
      mask_kind = "where";
      mask = w->inputs[0];
      logits = w->inputs[1];
      neg_inf = w->inputs[2];
    }
    Node* scaled = inner(logits, "Mul", 2);
    if (!scaled || !is_scalar_constant(scaled->inputs[1])) return false;
    Node* scores = inner(scaled->inputs[0], "MatMul", 2);
    Node* kt = scores ? inner(scores->inputs[1], "Transpose", 1) : nullptr;
    if (!kt) return false;
    std::vector<std::int64_t> perm;
    for (const auto& attr : kt->proto->attribute())
      if (attr.name() == "perm") perm.assign(attr.ints().begin(), attr.ints().end());
    const auto r = std::int64_t(perm.size());
    bool swaps_last_two = r >= 2 && perm[std::size_t(r - 1)] == r - 2 && perm[std::size_t(r - 2)] == r - 1;
    for (std::int64_t i = 0; swaps_last_two && i + 2 < r; ++i) swaps_last_two = perm[std::size_t(i)] == i;
    if (!swaps_last_two) return false;
    absorbed.insert(absorbed.end(), {scaled, scores, kt});
    const bool causal = mask_kind == "add" && is_causal_mask(mask);
    // the causal mask is a constant of the graph, not a parameter to fine-tune (-inf has no gradient step)
    if (causal) initializer_[std::size_t(mask)]->kind = InitializerKind::constant;
    replace(last, absorbed, "Attention", fused_attention,
            {scores->inputs[0], kt->inputs[0], y.inputs[1], scaled->inputs[1], mask, neg_inf}, {{"mask", mask_kind}},
            {{"is_causal", causal ? 1 : 0}});
    return true;
  }

  ImportedGraph& g_;
  std::vector<int> producer_, readers_;
  std::vector<ImportedInitializer*> initializer_;
  std::vector<bool> fused_;
};

}  // namespace

void fuse_patterns(ImportedGraph& g) { Patterns(g).fuse(); }

}  // namespace descent::onnx::detail
