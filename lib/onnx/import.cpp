// import_model (descent/onnx/import.hpp): parse the protobuf, check versions, resolve every value
// name to a slot in node order, find each op's implementation (import_ops.cpp) and list the missing
// ones together; ImportedModel registers the initializers and runs the nodes in order.
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "data/io.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/error.hpp"
#include "import_graph.hpp"

namespace descent::onnx {

namespace {

constexpr const char* kOp = "onnx::import";
// Opsets 13 to 17: the ops' signatures as the mappings read them (axes as inputs of ReduceSum,
// Squeeze and Unsqueeze since 13; attributes of the other reductions until 18).
constexpr int kMinOpset = 13, kMaxOpset = 17;
// IR 7 is the first with opset 13; 8 is ONNX 1.12's
constexpr std::int64_t kMinIr = 7, kMaxIr = 8;

Dtype dtype_of(int elem_type, const std::string& name, const std::string& source) {
  switch (elem_type) {
    case ::onnx::TensorProto::FLOAT: return Dtype::float32;
    case ::onnx::TensorProto::DOUBLE: return Dtype::float64;
    case ::onnx::TensorProto::INT64: return Dtype::int64;
    case ::onnx::TensorProto::BOOL: return Dtype::boolean;
    default: break;
  }
  throw Error(descent::detail::concat(kOp, ": ", source, ": value '", name, "' has element type ", elem_type,
                             ", not one descent has (float, double, int64, bool)"));
}

ValueSpec spec_of(const ::onnx::ValueInfoProto& info, const std::string& source) {
  ValueSpec spec;
  spec.name = info.name();
  DESCENT_CHECK(info.type().has_tensor_type(), kOp, source, ": value '", info.name(), "' is not a tensor");
  const auto& tt = info.type().tensor_type();
  spec.dtype = dtype_of(tt.elem_type(), info.name(), source);
  if (tt.has_shape())
    for (const auto& d : tt.shape().dim()) spec.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  return spec;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::shared_ptr<const detail::ImportedGraph> load(std::string_view bytes, const std::string& source) {
  auto g = std::make_shared<detail::ImportedGraph>();
  g->source = source;
  DESCENT_CHECK(bytes.size() <= std::size_t(std::numeric_limits<int>::max()), kOp, source, ": ", bytes.size(),
                " bytes is more than protobuf parses (2 GiB)");
  DESCENT_CHECK(g->model.ParseFromArray(bytes.data(), int(bytes.size())), kOp, source,
                ": not an ONNX model (protobuf could not parse ", bytes.size(), " bytes: truncated or corrupt?)");
  const ::onnx::ModelProto& m = g->model;
  DESCENT_CHECK(m.ir_version() >= kMinIr && m.ir_version() <= kMaxIr, kOp, source, ": IR version ", m.ir_version(),
                " is not supported (", kMinIr, " to ", kMaxIr, ")");
  for (const auto& op : m.opset_import())
    if (is_default_domain(op.domain())) g->opset = int(std::min<std::int64_t>(op.version(), 1 << 20));
  DESCENT_CHECK(g->opset != 0, kOp, source, ": the model imports no opset of the default ONNX domain");
  DESCENT_CHECK(g->opset >= kMinOpset && g->opset <= kMaxOpset, kOp, source, ": opset ", g->opset,
                " is not supported (descent imports opsets ", kMinOpset, " to ", kMaxOpset, ")");
  DESCENT_CHECK(m.has_graph(), kOp, source, ": the model has no graph");
  const ::onnx::GraphProto& graph = m.graph();

  std::unordered_map<std::string, int> slots;
  auto define = [&](const std::string& name, const char* what) {
    DESCENT_CHECK(!name.empty(), kOp, source, ": ", what, " without a name");
    DESCENT_CHECK(!slots.count(name), kOp, source, ": value '", name, "' is defined twice (", what, ")");
    slots.emplace(name, int(g->slot_names.size()));
    g->slot_names.push_back(name);
    return int(g->slot_names.size()) - 1;
  };

  // initializers: BatchNormalization's statistics are buffers; other float tensors of rank ≥ 1 parameters
  std::unordered_set<std::string> statistics;
  for (const auto& n : graph.node())
    if (n.op_type() == "BatchNormalization")
      for (int i = 3; i < std::min(n.input_size(), 5); ++i) statistics.insert(n.input(i));
  for (const auto& t : graph.initializer()) {
    detail::ImportedInitializer init;
    init.name = t.name();
    init.slot = define(t.name(), "an initializer");
    init.value = detail::tensor_from_proto(t, source + ": initializer '" + t.name() + "'");
    const bool floating = init.value.dtype() == Dtype::float32 || init.value.dtype() == Dtype::float64;
    init.kind = !floating || init.value.dim() == 0 ? detail::InitializerKind::constant
                : statistics.count(t.name())        ? detail::InitializerKind::buffer
                                                    : detail::InitializerKind::parameter;
    g->initializers.push_back(std::move(init));
  }
  DESCENT_CHECK(graph.sparse_initializer_size() == 0, kOp, source, ": sparse initializers are not supported");
  // inputs: those with an initializer (older exporters list them as inputs too) take its value
  for (const auto& in : graph.input()) {
    if (slots.count(in.name())) continue;
    g->inputs.push_back(spec_of(in, source));
    g->input_slots.push_back(define(in.name(), "a graph input"));
  }

  std::vector<std::string> unsupported;
  for (int k = 0; k < graph.node_size(); ++k) {
    const ::onnx::NodeProto& n = graph.node(k);
    const std::string label = "'" + (n.name().empty() ? "#" + std::to_string(k) : n.name()) + "' (" +
                              (is_default_domain(n.domain()) ? "" : n.domain() + ".") + n.op_type() + ")";
    detail::ImportedNode node{&n, is_default_domain(n.domain()) ? detail::find_op(n.op_type()) : nullptr, {}, {}};
    if (!node.impl) unsupported.push_back(label);
    for (const auto& name : n.input()) {
      if (name.empty()) {
        node.inputs.push_back(-1);
        continue;
      }
      const auto it = slots.find(name);
      DESCENT_CHECK(it != slots.end(), kOp, source, ": node ", label, " reads '", name,
                    "', which no graph input, initializer or earlier node defines (a missing initializer, or "
                    "nodes out of order)");
      node.inputs.push_back(it->second);
    }
    for (int o = 0; o < n.output_size(); ++o) {
      const std::string& name = n.output(o);
      node.outputs.push_back(name.empty() ? -1 : define(name, ("an output of node " + label).c_str()));
    }
    g->nodes.push_back(std::move(node));
  }
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
    throw Error(descent::detail::concat(kOp, ": ", source, ": ", unsupported.size(), " node",
                               unsupported.size() == 1 ? "" : "s", " with ops descent does not import: ", list));
  }
  // an output beyond the ones an op gives (Dropout's mask, MaxPool's indices) must not be used
  std::unordered_set<int> used;
  for (const auto& node : g->nodes) used.insert(node.inputs.begin(), node.inputs.end());
  for (const auto& out : graph.output()) {
    const auto it = slots.find(out.name());
    DESCENT_CHECK(it != slots.end(), kOp, source, ": graph output '", out.name(), "' is not computed by any node");
    g->outputs.push_back(spec_of(out, source));
    g->output_slots.push_back(it->second);
    used.insert(it->second);
  }
  DESCENT_CHECK(!g->outputs.empty(), kOp, source, ": the graph has no outputs");
  for (const auto& node : g->nodes) {
    const std::size_t given = detail::supported_outputs(node.proto->op_type());
    for (std::size_t o = given; o < node.outputs.size(); ++o)
      DESCENT_CHECK(node.outputs[o] < 0 || !used.count(node.outputs[o]), kOp, source, ": output ", o, " ('",
                    node.proto->output(int(o)), "') of node '", node.proto->name(), "' (", node.proto->op_type(),
                    ") is used, but descent computes only its first ", given);
  }
  detail::fuse_patterns(*g);
  return g;
}

std::string shape_text(const std::vector<std::int64_t>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + (dims.size() == 1 ? ",)" : ")");
}

}  // namespace

ImportedModel::ImportedModel(std::shared_ptr<const detail::ImportedGraph> graph) : graph_(std::move(graph)) {
  for (const auto& init : graph_->initializers) {
    switch (init.kind) {
      case detail::InitializerKind::parameter: initializers_.push_back(register_parameter(init.name, init.value)); break;
      case detail::InitializerKind::buffer: initializers_.push_back(register_buffer(init.name, init.value)); break;
      case detail::InitializerKind::constant: initializers_.push_back(init.value); break;
    }
  }
}

const std::vector<ValueSpec>& ImportedModel::inputs() const { return graph_->inputs; }
const std::vector<ValueSpec>& ImportedModel::outputs() const { return graph_->outputs; }

std::string ImportedModel::describe() const {
  return descent::detail::concat("ImportedModel(", graph_->source, ", nodes=", graph_->nodes.size(), ", opset=", graph_->opset, ")");
}

Tensor ImportedModel::forward(const Tensor& input) {
  DESCENT_CHECK(graph_->inputs.size() == 1, kOp, "forward takes the one input of a graph with ", graph_->inputs.size(),
                " inputs: use run()");
  return run(std::vector<Tensor>{input})[0];
}

std::vector<Tensor> ImportedModel::run(const std::vector<std::pair<std::string, Tensor>>& named_inputs) {
  std::vector<Tensor> inputs(graph_->inputs.size());
  for (const auto& [name, t] : named_inputs) {
    std::size_t i = 0;
    while (i < inputs.size() && graph_->inputs[i].name != name) ++i;
    DESCENT_CHECK(i < inputs.size(), kOp, "the graph has no input named '", name, "'");
    DESCENT_CHECK(!inputs[i].defined(), kOp, "input '", name, "' is given twice");
    inputs[i] = t;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i)
    DESCENT_CHECK(inputs[i].defined(), kOp, "input '", graph_->inputs[i].name, "' is not given");
  return run(inputs);
}

std::vector<Tensor> ImportedModel::run(const std::vector<Tensor>& inputs) {
  const detail::ImportedGraph& g = *graph_;
  DESCENT_CHECK(inputs.size() == g.inputs.size(), kOp, "the graph takes ", g.inputs.size(), " inputs, got ",
                inputs.size());
  std::vector<Tensor> values(g.slot_names.size());
  for (std::size_t i = 0; i < g.initializers.size(); ++i) values[std::size_t(g.initializers[i].slot)] = initializers_[i];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ValueSpec& spec = g.inputs[i];
    const Tensor& t = inputs[i];
    DESCENT_CHECK(t.defined(), kOp, "input '", spec.name, "' is undefined");
    bool fits = t.dim() == spec.dims.size() || spec.dims.empty();
    for (std::size_t d = 0; fits && d < spec.dims.size(); ++d) fits = spec.dims[d] < 0 || std::size_t(spec.dims[d]) == t.size(std::ptrdiff_t(d));
    DESCENT_CHECK(fits, kOp, "input '", spec.name, "' has shape ", to_string(t.shape()), ", the graph expects ",
                  shape_text(spec.dims));
    DESCENT_CHECK(t.dtype() == spec.dtype, kOp, "input '", spec.name, "' is ", to_string(t.dtype()),
                  ", the graph expects ", to_string(spec.dtype));
    values[std::size_t(g.input_slots[i])] = t;
  }
  for (const auto& node : g.nodes) {
    detail::NodeArgs args{*node.proto, {}, g.opset};
    for (int s : node.inputs) args.inputs.push_back(s < 0 ? Tensor() : values[std::size_t(s)]);
    std::vector<Tensor> out;
    try {
      out = node.impl(args);
    } catch (const Error& e) {
      throw Error(descent::detail::concat(kOp, ": ", args.where(), ": ", e.what()));
    }
    for (std::size_t o = 0; o < out.size() && o < node.outputs.size(); ++o)
      if (node.outputs[o] >= 0) values[std::size_t(node.outputs[o])] = out[o];
  }
  std::vector<Tensor> outputs;
  for (int s : g.output_slots) outputs.push_back(values[std::size_t(s)]);
  return outputs;
}

std::shared_ptr<ImportedModel> import_model_bytes(std::string_view bytes, const std::string& source) {
  return std::make_shared<ImportedModel>(load(bytes, source));
}

std::shared_ptr<ImportedModel> import_model(const std::string& path) {
  return import_model_bytes(descent::detail::read_file(path, kOp), path);
}

}  // namespace descent::onnx
