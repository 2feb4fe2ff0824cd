// The op table of the ONNX exporter: each traced descent op as ONNX nodes (opset 13-17). An op
// missing here is an error naming it; the README's "ONNX export" table lists what is here.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string_view>
#include <unordered_map>

#include "descent/error.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/indexing.hpp"
#include "descent/ops/reduce.hpp"
#include "graph_builder.hpp"

namespace descent::onnx::detail {

namespace {

using Ints = std::vector<std::int64_t>;
using Mapping = std::function<void(OpContext&)>;

constexpr const char* kOp = "onnx::export";

GraphBuilder& b(OpContext& c) { return *c.builder; }
std::int64_t rank(const Tensor& t) { return static_cast<std::int64_t>(t.dim()); }
std::int64_t positive_axis(std::int64_t axis, std::int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// One node reading the op's inputs (in order, optional ones kept as "") and writing its output.
::onnx::NodeProto& same_node(OpContext& c, const char* op_type) {
  std::vector<std::string> names = c.names;
  while (!names.empty() && names.back().empty()) names.pop_back();
  return b(c).node(op_type, names, {c.output_name});
}

Mapping direct(const char* op_type) {
  return [op_type](OpContext& c) { same_node(c, op_type); };
}

std::string scalar_for(OpContext& c, double v) { return b(c).scalar(v, c.inputs[0].dtype()); }

void reduction(OpContext& c, const char* op_type, bool axes_as_input) {
  const Ints axes = c.op.get<Ints>("axes", {});
  const bool keepdims = c.op.get<std::int64_t>("keepdims", 0) != 0;
  if (axes.empty() && c.inputs[0].dim() > 0 && c.inputs[0].shape() == c.output.shape()) {  // nothing reduced
    b(c).node("Identity", {c.names[0]}, {c.output_name});
    return;
  }
  if (c.inputs[0].dim() == 0) {  // a 0-d tensor reduces to itself
    b(c).node("Identity", {c.names[0]}, {c.output_name});
    return;
  }
  if (axes_as_input) {
    auto& n = b(c).node(op_type, {c.names[0], b(c).ints(axes, "axes")}, {c.output_name});
    set_attribute(n, "keepdims", std::int64_t(keepdims));
  } else {
    auto& n = b(c).node(op_type, {c.names[0]}, {c.output_name});
    set_attribute(n, "axes", axes);
    set_attribute(n, "keepdims", std::int64_t(keepdims));
  }
}

/// ONNX's Reshape target for a traced reshape: the traced shape, with dim 0 kept (0) or inferred
/// (-1) when the input depends on the symbolic batch: (N, C, H, W) -> (0, C·H·W), (N, T, D) ->
/// (-1, D) and back (N·T, D) -> (-1, T, D).
void reshape(OpContext& c) {
  Ints shape;
  for (auto n : c.output.shape()) shape.push_back(static_cast<std::int64_t>(n));
  const Tensor& x = c.inputs[0];
  if (b(c).dynamic_batch() && c.batched[0] && !shape.empty() && x.dim() > 0) {
    if (shape[0] == static_cast<std::int64_t>(x.size(0))) shape[0] = 0;  // the batch stays dim 0
    else shape[0] = -1;                                                   // folded into dim 0 (N*T, ...)
  }
  b(c).node("Reshape", {c.names[0], b(c).ints(shape, "shape")}, {c.output_name});
}

void transpose(OpContext& c) {
  const std::int64_t r = rank(c.inputs[0]);
  Ints perm(static_cast<std::size_t>(r));
  for (std::int64_t i = 0; i < r; ++i) perm[std::size_t(i)] = i;
  const Ints axes = c.op.get<Ints>("axes", {});
  DESCENT_CHECK(axes.size() == 2, kOp, "transpose was traced without its axes (", c.shapes(), ")");
  std::swap(perm[std::size_t(positive_axis(axes[0], r))], perm[std::size_t(positive_axis(axes[1], r))]);
  set_attribute(b(c).node("Transpose", {c.names[0]}, {c.output_name}), "perm", perm);
}

void permute(OpContext& c) {
  const std::int64_t r = rank(c.inputs[0]);
  Ints perm = c.op.get<Ints>("axes", {});
  DESCENT_CHECK(perm.size() == std::size_t(r), kOp, "permute was traced without its axes (", c.shapes(), ")");
  for (auto& a : perm) a = positive_axis(a, r);
  set_attribute(b(c).node("Transpose", {c.names[0]}, {c.output_name}), "perm", perm);
}

void narrow(OpContext& c) {
  const auto axis = c.op.get<std::int64_t>("axis", 0), start = c.op.get<std::int64_t>("start", 0);
  const auto length = c.op.get<std::int64_t>("length", 0);
  b(c).node("Slice",
            {c.names[0], b(c).ints({start}, "starts"), b(c).ints({start + length}, "ends"), b(c).ints({axis}, "axes")},
            {c.output_name});
}

void concat(OpContext& c) {
  set_attribute(same_node(c, "Concat"), "axis", c.op.get<std::int64_t>("axis", 0));
}

void stack(OpContext& c) {
  const auto axis = c.op.get<std::int64_t>("axis", 0);
  std::vector<std::string> pieces;
  for (const auto& name : c.names) {
    pieces.push_back(b(c).fresh("unsqueezed"));
    b(c).node("Unsqueeze", {name, b(c).ints({axis}, "axes")}, {pieces.back()});
  }
  set_attribute(b(c).node("Concat", pieces, {c.output_name}), "axis", axis);
}

void broadcast_to(OpContext& c) {
  Ints shape;
  for (auto n : c.output.shape()) shape.push_back(static_cast<std::int64_t>(n));
  // a batch carried through: 1 broadcasts to whatever the batch is
  if (b(c).dynamic_batch() && c.batched[0] && c.inputs[0].dim() == c.output.dim() && !shape.empty()) shape[0] = 1;
  b(c).node("Expand", {c.names[0], b(c).ints(shape, "shape")}, {c.output_name});
}

/// y = x·Wᵀ + b: Gemm(transB) for a matrix x, else MatMul with Wᵀ and Add.
/// x·Wᵀ + b as Gemm (transB). An input of another rank than 2 is folded into rows, (·, in), and
/// the result unfolded after, as descent's linear computes it (one GEMM over the rows, the bias its
/// initial value): the import gives back the same op, and the same values to the bit.
void linear(OpContext& c) {
  const Tensor& x = c.inputs[0];
  if (x.dim() == 2) {
    set_attribute(same_node(c, "Gemm"), "transB", std::int64_t(1));
    return;
  }
  const std::string rows = b(c).fresh("rows"), product = b(c).fresh("gemm");
  b(c).node("Reshape", {c.names[0], b(c).ints({-1, static_cast<std::int64_t>(x.size(-1))}, "shape")}, {rows});
  std::vector<std::string> inputs{rows, c.names[1]};
  if (c.names.size() > 2 && !c.names[2].empty()) inputs.push_back(c.names[2]);
  set_attribute(b(c).node("Gemm", inputs, {product}), "transB", std::int64_t(1));
  // Unfolded to x's leading dims, taken from x's shape in the graph (so they stay symbolic), then out.
  const std::string x_shape = b(c).fresh("shape"), lead = b(c).fresh("lead"), target = b(c).fresh("target");
  b(c).node("Shape", {c.names[0]}, {x_shape});
  b(c).node("Slice", {x_shape, b(c).ints({0}, "starts"), b(c).ints({-1}, "ends")}, {lead});
  set_attribute(b(c).node("Concat", {lead, b(c).ints({static_cast<std::int64_t>(c.output.size(-1))}, "out")}, {target}),
                "axis", std::int64_t(0));
  b(c).node("Reshape", {product, target}, {c.output_name});
}

void pow(OpContext& c) {
  if (c.names.size() == 2) {
    same_node(c, "Pow");
    return;
  }
  b(c).node("Pow", {c.names[0], scalar_for(c, c.op.get<double>("exponent", 1.0))}, {c.output_name});
}

/// x/2 · (1 + erf(x/√2)), or the tanh form x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))).
void gelu(OpContext& c) {
  const std::string& x = c.names[0];
  auto next = [&](const char* op_type, std::vector<std::string> inputs) {
    const std::string out = b(c).fresh("gelu");
    b(c).node(op_type, inputs, {out});
    return out;
  };
  std::string inner;
  if (c.op.get<std::string>("approximate", "none") == "tanh") {
    const std::string cube = next("Pow", {x, scalar_for(c, 3.0)});
    const std::string sum = next("Add", {x, next("Mul", {cube, scalar_for(c, 0.044715)})});
    inner = next("Tanh", {next("Mul", {sum, scalar_for(c, std::sqrt(2.0 / std::numbers::pi))})});
  } else {
    inner = next("Erf", {next("Div", {x, scalar_for(c, std::numbers::sqrt2)})});
  }
  const std::string half_x = next("Mul", {x, scalar_for(c, 0.5)});
  b(c).node("Mul", {half_x, next("Add", {inner, scalar_for(c, 1.0)})}, {c.output_name});
}

/// log(1 + exp(βx))/β; ONNX's Softplus for β = 1 (the threshold, where PyTorch returns x, differs
/// from log1p(exp(x)) by less than float precision past the default 20).
void softplus(OpContext& c) {
  const double beta = c.op.get<double>("beta", 1.0);
  if (beta == 1.0) {
    same_node(c, "Softplus");
    return;
  }
  const std::string scaled = b(c).fresh("softplus"), sp = b(c).fresh("softplus");
  b(c).node("Mul", {c.names[0], scalar_for(c, beta)}, {scaled});
  b(c).node("Softplus", {scaled}, {sp});
  b(c).node("Div", {sp, scalar_for(c, beta)}, {c.output_name});
}

void softmax(OpContext& c, const char* op_type) {
  set_attribute(same_node(c, op_type), "axis", c.op.get<std::int64_t>("axis", -1));
}

void conv2d(OpContext& c) {
  const Tensor &x = c.inputs[0], &w = c.inputs[1];
  DESCENT_CHECK(x.dim() == 4 && w.dim() == 4, kOp, "conv2d expects 4-D input and weight (", c.shapes(), ")");
  const Ints strides = c.op.get<Ints>("strides", {1, 1}), pads = c.op.get<Ints>("pads", {0, 0});
  const Ints dilations = c.op.get<Ints>("dilations", {1, 1});
  Ints all_pads = {pads[0], pads[1], 0, 0};
  // the padding after: what the traced output size needs ("same" with an even kernel pads one more after)
  for (std::size_t i = 0; i < 2; ++i) {
    const auto in = std::int64_t(x.size(2 + i)), out = std::int64_t(c.output.size(2 + i)), k = std::int64_t(w.size(2 + i));
    all_pads[2 + i] = std::max<std::int64_t>(0, (out - 1) * strides[i] + dilations[i] * (k - 1) + 1 - in - pads[i]);
  }
  auto& n = same_node(c, "Conv");
  set_attribute(n, "kernel_shape", Ints{std::int64_t(w.size(2)), std::int64_t(w.size(3))});
  set_attribute(n, "strides", strides);
  set_attribute(n, "pads", all_pads);
  set_attribute(n, "dilations", dilations);
  set_attribute(n, "group", c.op.get<std::int64_t>("group", 1));
}

/// max_pool / avg_pool (2-D, or 1-D as traced on (N, C, L)), regular or adaptive.
void pool(OpContext& c, bool is_max) {
  const Tensor& x = c.inputs[0];
  const bool two_d = c.op.name.find("2d") != std::string::npos;
  const std::size_t spatial = two_d ? 2 : 1;
  DESCENT_CHECK(x.dim() == spatial + 2, kOp, c.op.name, " of an unbatched input is not exported yet (", c.shapes(), ")");
  // the traced attributes are (h, w); a 1-D pooling uses w
  auto pick = [&](const char* key) {
    const Ints v = c.op.get<Ints>(key, {1, 1});
    return two_d ? v : Ints{v[1]};
  };
  Ints in_sizes, out_sizes;
  for (std::size_t i = 0; i < spatial; ++i) {
    in_sizes.push_back(std::int64_t(x.size(2 + i)));
    out_sizes.push_back(std::int64_t(c.output.size(2 + i)));
  }
  if (c.op.get<std::int64_t>("adaptive", 0)) {
    if (std::all_of(out_sizes.begin(), out_sizes.end(), [](auto n) { return n == 1; })) {
      same_node(c, is_max ? "GlobalMaxPool" : "GlobalAveragePool");
      return;
    }
    Ints kernel;
    for (std::size_t i = 0; i < spatial; ++i) {
      DESCENT_CHECK(in_sizes[i] % out_sizes[i] == 0, kOp, c.op.name,
                    " with an output size that does not divide the input is not exported (", c.shapes(), ")");
      kernel.push_back(in_sizes[i] / out_sizes[i]);
    }
    auto& n = same_node(c, is_max ? "MaxPool" : "AveragePool");
    set_attribute(n, "kernel_shape", kernel);
    set_attribute(n, "strides", kernel);
    return;
  }
  const Ints kernel = pick("kernel_shape"), strides = pick("strides"), pads = pick("pads"), dilations = pick("dilations");
  // ceil_mode from the traced output size: more windows than floor((in + 2p - span) / s) + 1
  bool ceil_mode = false;
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t span = dilations[i] * (kernel[i] - 1) + 1;
    ceil_mode = ceil_mode || out_sizes[i] != (in_sizes[i] + 2 * pads[i] - span) / strides[i] + 1;
  }
  Ints all_pads = pads;
  all_pads.insert(all_pads.end(), pads.begin(), pads.end());
  auto& n = same_node(c, is_max ? "MaxPool" : "AveragePool");
  set_attribute(n, "kernel_shape", kernel);
  set_attribute(n, "strides", strides);
  set_attribute(n, "pads", all_pads);
  set_attribute(n, "ceil_mode", std::int64_t(ceil_mode));
  if (is_max) set_attribute(n, "dilations", dilations);
  else set_attribute(n, "count_include_pad", c.op.get<std::int64_t>("count_include_pad", 1));
}

/// An affine input (weight or bias) that may be absent: its name, or a constant `fill` of `shape`.
std::string affine_or(OpContext& c, std::size_t input, const Shape& shape, double fill, const char* hint) {
  if (input < c.names.size() && !c.names[input].empty()) return c.names[input];
  return b(c).constant(full(shape, fill, c.inputs[0].dtype()), hint);
}

void batch_norm(OpContext& c) {
  DESCENT_CHECK(c.op.get<std::int64_t>("training", 1) == 0, kOp,
                "batch_norm with batch statistics (training mode, or no running statistics) is not exported (",
                c.shapes(), ")");
  const Shape channels{c.inputs[0].size(1)};
  auto& n = b(c).node("BatchNormalization",
                      {c.names[0], affine_or(c, 1, channels, 1.0, "bn_scale"), affine_or(c, 2, channels, 0.0, "bn_bias"),
                       c.tensor_name("running_mean"), c.tensor_name("running_var")},
                      {c.output_name});
  set_attribute(n, "epsilon", c.op.get<double>("epsilon", 1e-5));
}

void layer_norm(OpContext& c) {
  DESCENT_CHECK(b(c).opset() >= 17, kOp, "layer_norm needs opset 17 (LayerNormalization), got opset ", b(c).opset());
  const auto axis = c.op.get<std::int64_t>("axis", -1);
  const Shape normalized(c.inputs[0].shape().end() + axis, c.inputs[0].shape().end());
  auto& n = b(c).node("LayerNormalization",
                      {c.names[0], affine_or(c, 1, normalized, 1.0, "ln_scale"), affine_or(c, 2, normalized, 0.0, "ln_bias")},
                      {c.output_name});
  set_attribute(n, "axis", axis);
  set_attribute(n, "epsilon", c.op.get<double>("epsilon", 1e-5));
}

/// Clip(x, min, max) with the bounds as constants ("" for a bound not given).
void clip(OpContext& c) {
  std::vector<std::string> inputs{c.names[0], c.op.has("min") ? scalar_for(c, c.op.get<double>("min", 0.0)) : ""};
  if (c.op.has("max")) inputs.push_back(scalar_for(c, c.op.get<double>("max", 0.0)));
  b(c).node("Clip", inputs, {c.output_name});
}

/// weight's rows at the indices (the op's tensor attribute).
void embedding(OpContext& c) {
  DESCENT_CHECK(!c.tensor_name("indices").empty(), kOp, "embedding was traced without its indices (", c.shapes(), ")");
  set_attribute(b(c).node("Gather", {c.names[0], c.tensor_name("indices")}, {c.output_name}), "axis", std::int64_t(0));
}

/// scaled_dot_product_attention as its math: Softmax(scale · Q·Kᵀ + mask)·V, with a float mask
/// added, a bool one (true: attend) as Where(mask, scores, -inf), and is_causal as a constant
/// additive mask of the traced (L, S) (-inf above the diagonal), so the sequence lengths are fixed.
void attention(OpContext& c) {
  DESCENT_CHECK(c.op.get<double>("dropout_p", 0.0) == 0, kOp,
                "scaled_dot_product_attention with dropout_p > 0 is not exported (", c.shapes(), ")");
  const Tensor &q = c.inputs[0], &k = c.inputs[1];
  const Dtype dtype = q.dtype();
  const std::int64_t r = rank(k);
  Ints perm(static_cast<std::size_t>(r));
  for (std::int64_t i = 0; i < r; ++i) perm[std::size_t(i)] = i;
  std::swap(perm[std::size_t(r - 1)], perm[std::size_t(r - 2)]);
  auto next = [&](const char* op_type, std::vector<std::string> inputs) -> std::pair<std::string, ::onnx::NodeProto*> {
    const std::string out = b(c).fresh("attention");
    return {out, &b(c).node(op_type, inputs, {out})};
  };
  auto [kt, transpose_k] = next("Transpose", {c.names[1]});
  set_attribute(*transpose_k, "perm", perm);
  const std::string scores = next("MatMul", {c.names[0], kt}).first;
  std::string logits = next("Mul", {scores, b(c).scalar(c.op.get<double>("scale", 1.0), dtype)}).first;
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (c.op.get<std::int64_t>("is_causal", 0) != 0) {
    const std::size_t L = q.size(-2), S = k.size(-2);
    const Tensor causal = where(triu(ones({L, S}, boolean), 1), full({}, neg_inf, dtype), full({}, 0.0, dtype));
    logits = next("Add", {logits, b(c).constant(causal, "causal_mask")}).first;
  } else if (c.names.size() > 3 && !c.names[3].empty()) {
    if (c.inputs[3].dtype() == Dtype::boolean)
      logits = next("Where", {c.names[3], logits, b(c).scalar(neg_inf, dtype)}).first;
    else
      logits = next("Add", {logits, c.names[3]}).first;
  }
  auto [probs, softmax_node] = next("Softmax", {logits});
  set_attribute(*softmax_node, "axis", std::int64_t(-1));
  b(c).node("MatMul", {probs, c.names[2]}, {c.output_name});
}

/// One direction of one recurrent layer (nn::LSTM / GRU / RNN, traced as "rnn_layer": inputs x
/// (T, B, in), w_ih, b_ih, h0, c0, w_hh, b_hh; result the hidden states (T, B, H), and for LSTM c_n
/// after them, (T + 1, B, H)) as ONNX's LSTM / GRU / RNN op. The weights stay the state_dict's
/// initializers and are rearranged in the graph to ONNX's gate order: PyTorch's LSTM i, f, g, o is
/// ONNX's i, o, f, c; its GRU r, z, n is ONNX's z, r, h (linear_before_reset = 1 is PyTorch's GRU).
void rnn_layer(OpContext& c) {
  const std::string mode = c.op.get<std::string>("mode", "");
  const bool lstm = mode == "lstm", gru = mode == "gru";
  const Ints order = lstm ? Ints{0, 3, 1, 2} : gru ? Ints{1, 0, 2} : Ints{0};
  const Tensor& w_hh = c.inputs[5];
  const auto H = static_cast<std::int64_t>(w_hh.size(1));
  auto fresh_node = [&](const char* op_type, std::vector<std::string> inputs, std::size_t outputs = 1) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < outputs; ++i) names.push_back(b(c).fresh("rnn"));
    return std::pair{names, &b(c).node(op_type, inputs, names)};
  };
  // `name`'s gate blocks (of H rows each) in ONNX's order.
  auto gate_order = [&](const std::string& name) {
    if (order.size() == 1) return name;
    auto [pieces, split] = fresh_node("Split", {name, b(c).ints(Ints(order.size(), H), "split")}, order.size());
    set_attribute(*split, "axis", std::int64_t(0));
    std::vector<std::string> ordered;
    for (auto k : order) ordered.push_back(pieces[std::size_t(k)]);
    auto [joined, concat] = fresh_node("Concat", ordered);
    set_attribute(*concat, "axis", std::int64_t(0));
    return joined[0];
  };
  auto with_direction_axis = [&](const std::string& name) {
    return fresh_node("Unsqueeze", {name, b(c).ints({0}, "axes")}).first[0];
  };
  const bool has_bias = c.names.size() > 6 && !c.names[2].empty() && !c.names[6].empty();
  std::string bias;
  if (has_bias) {
    auto [both, concat] = fresh_node("Concat", {gate_order(c.names[2]), gate_order(c.names[6])});
    set_attribute(*concat, "axis", std::int64_t(0));
    bias = with_direction_axis(both[0]);
  }
  // A state the forward made as zeros (none given) is ONNX's default: left out, so the batch stays free.
  auto state = [&](std::size_t i) -> std::string {
    if (i >= c.names.size() || c.names[i].empty()) return "";
    const Tensor& s = c.inputs[i];
    if (!c.batched[i] && s.numel() > 0 && max(abs(s.detach())).item() == 0) return "";
    return with_direction_axis(c.names[i]);
  };
  std::vector<std::string> inputs{c.names[0], with_direction_axis(gate_order(c.names[1])),
                                  with_direction_axis(gate_order(c.names[5])), bias, "", state(3)};
  if (lstm) inputs.push_back(state(4));
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  const std::string y = b(c).fresh("rnn_y"), y_c = lstm ? b(c).fresh("rnn_c") : "";
  std::vector<std::string> outputs{y};
  if (lstm) outputs = {y, "", y_c};
  auto& node = b(c).node(lstm ? "LSTM" : gru ? "GRU" : "RNN", inputs, outputs);
  set_attribute(node, "hidden_size", H);
  set_attribute(node, "direction", std::string(c.op.get<std::int64_t>("reverse", 0) ? "reverse" : "forward"));
  if (gru) set_attribute(node, "linear_before_reset", std::int64_t(1));
  if (mode == "rnn_relu") set_attribute(node, "activations", std::vector<std::string>{"Relu"});
  // Y is (T, directions = 1, B, H): the hidden states without the direction axis, then c_n for LSTM.
  if (!lstm) {
    b(c).node("Squeeze", {y, b(c).ints({1}, "axes")}, {c.output_name});
    return;
  }
  const std::string hidden = fresh_node("Squeeze", {y, b(c).ints({1}, "axes")}).first[0];
  set_attribute(b(c).node("Concat", {hidden, y_c}, {c.output_name}), "axis", std::int64_t(0));
}

const std::unordered_map<std::string_view, Mapping>& mappings() {
  static const std::unordered_map<std::string_view, Mapping> table = {
      {"add", direct("Add")},
      {"sub", direct("Sub")},
      {"mul", direct("Mul")},
      {"div", direct("Div")},
      {"maximum", direct("Max")},
      {"minimum", direct("Min")},
      {"matmul", direct("MatMul")},
      {"neg", direct("Neg")},
      {"exp", direct("Exp")},
      {"log", direct("Log")},
      {"sqrt", direct("Sqrt")},
      {"erf", direct("Erf")},
      {"abs", direct("Abs")},
      {"relu", direct("Relu")},
      {"sigmoid", direct("Sigmoid")},
      {"tanh", direct("Tanh")},
      {"contiguous", direct("Identity")},
      {"detach", direct("Identity")},
      {"pow", pow},
      {"clamp", clip},
      {"clamp_min", clip},
      {"clamp_max", clip},
      {"embedding", embedding},
      {"leaky_relu", [](OpContext& c) { set_attribute(same_node(c, "LeakyRelu"), "alpha", c.op.get<double>("alpha", 0.01)); }},
      {"gelu", gelu},
      {"softplus", softplus},
      {"softmax", [](OpContext& c) { softmax(c, "Softmax"); }},
      {"log_softmax", [](OpContext& c) { softmax(c, "LogSoftmax"); }},
      {"sum", [](OpContext& c) { reduction(c, "ReduceSum", true); }},
      {"mean", [](OpContext& c) { reduction(c, "ReduceMean", false); }},
      {"max", [](OpContext& c) { reduction(c, "ReduceMax", false); }},
      {"min", [](OpContext& c) { reduction(c, "ReduceMin", false); }},
      {"logsumexp", [](OpContext& c) { reduction(c, "ReduceLogSumExp", false); }},
      {"reshape", reshape},
      {"transpose", transpose},
      {"permute", permute},
      {"narrow", narrow},
      {"concat", concat},
      {"stack", stack},
      {"broadcast_to", broadcast_to},
      {"linear", linear},
      {"conv2d", conv2d},
      {"max_pool2d", [](OpContext& c) { pool(c, true); }},
      {"max_pool1d", [](OpContext& c) { pool(c, true); }},
      {"adaptive_max_pool2d", [](OpContext& c) { pool(c, true); }},
      {"avg_pool2d", [](OpContext& c) { pool(c, false); }},
      {"avg_pool1d", [](OpContext& c) { pool(c, false); }},
      {"adaptive_avg_pool2d", [](OpContext& c) { pool(c, false); }},
      {"batch_norm", batch_norm},
      {"layer_norm", layer_norm},
      {"scaled_dot_product_attention", attention},
      {"rnn_layer", rnn_layer},
  };
  return table;
}

}  // namespace

bool has_mapping(const std::string& op) { return mappings().count(op) > 0; }

void map_op(OpContext& ctx) {
  const auto& table = mappings();
  const auto it = table.find(ctx.op.name);
  DESCENT_CHECK(it != table.end(), kOp, "no ONNX mapping for op '", ctx.op.name, "' (", ctx.shapes(), ")");
  it->second(ctx);
}

}  // namespace descent::onnx::detail
