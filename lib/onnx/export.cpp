// export_model / export_function (descent/onnx/export.hpp): trace one forward pass, keep the ops
// that computed the outputs, map each to ONNX nodes (op_mappings.cpp), check the model with ONNX's
// checker and write it atomically (data/io.hpp's AtomicFile: a temporary file renamed into place).
#include "descent/onnx/export.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <onnx/checker.h>

#include "descent/autograd/grad_mode.hpp"
#include "data/io.hpp"
#include "descent/error.hpp"
#include "graph_builder.hpp"

namespace descent::onnx {

namespace {

/// Removes the nodes whose outputs nothing reads, then the initializers nothing reads: a mapping may
/// leave an input out (an RNN's zero initial state: ONNX's default), and what computed only that goes too.
void remove_unread(::onnx::GraphProto& graph) {
  std::unordered_set<std::string> read;
  for (bool removed = true; removed;) {
    removed = false;
    read.clear();
    for (const auto& n : graph.node())
      for (const auto& i : n.input()) read.insert(i);
    for (const auto& o : graph.output()) read.insert(o.name());
    auto* nodes = graph.mutable_node();
    for (int i = nodes->size(); i-- > 0;) {
      const auto& outputs = nodes->Get(i).output();
      if (std::none_of(outputs.begin(), outputs.end(), [&](const std::string& o) { return read.count(o) > 0; })) {
        nodes->DeleteSubrange(i, 1);
        removed = true;
      }
    }
  }
  auto* initializers = graph.mutable_initializer();
  for (int i = initializers->size(); i-- > 0;)
    if (!read.count(initializers->Get(i).name())) initializers->DeleteSubrange(i, 1);
}

constexpr const char* kOp = "onnx::export";
// The newest opset the mappings were written against (and the newest Debian's ONNX 1.12 checks).
constexpr int kMaxOpset = 17;

using detail::GraphBuilder;
using detail::GraphTrace;
using detail::OpContext;

std::string io_name(const std::vector<std::string>& names, std::size_t i, std::size_t count, const char* base) {
  if (i < names.size() && !names[i].empty()) return names[i];
  return count == 1 ? std::string(base) : std::string(base) + "_" + std::to_string(i);
}

void set_value_info(::onnx::ValueInfoProto& info, const std::string& name, const Tensor& t, bool batched) {
  info.set_name(name);
  auto& tensor_type = *info.mutable_type()->mutable_tensor_type();
  tensor_type.set_elem_type(detail::onnx_type(t.dtype()));
  auto& shape = *tensor_type.mutable_shape();
  for (std::size_t d = 0; d < t.dim(); ++d) {
    auto& dim = *shape.add_dim();
    if (d == 0 && batched) dim.set_dim_param("batch");
    else dim.set_dim_value(static_cast<std::int64_t>(t.size(d)));
  }
}

/// Restores every module's training flag (pre-order: each train() call resets the ones below it,
/// which the later calls set back).
class ModeRestorer {
 public:
  explicit ModeRestorer(nn::Module& root) { collect(root); }
  ~ModeRestorer() {
    for (auto& [module, training] : modes_) module->train(training);
  }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

 private:
  void collect(nn::Module& m) {
    modes_.emplace_back(&m, m.is_training());
    for (const auto& [name, child] : m.named_children()) collect(*child);
  }
  std::vector<std::pair<nn::Module*, bool>> modes_;
};

/// An op without a mapping whose result traced ops computed (a custom op's forward written with
/// differentiable ops, e.g. samples/custom_layer's swish): exported as those ops.
bool falls_back(const detail::TracedOp& op) { return op.computed_as >= 0 && !detail::has_mapping(op.name); }

::onnx::ModelProto build_model(const GraphTrace& trace, const std::vector<int>& input_ids,
                               const std::vector<int>& output_ids, const ExportOptions& options,
                               const std::vector<std::pair<std::string, Tensor>>& names) {
  ::onnx::ModelProto model;
  model.set_ir_version(::onnx::IR_VERSION);
  model.set_producer_name("descent");
  model.set_producer_version(DESCENT_VERSION);
  auto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(options.opset);
  ::onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(options.graph_name);

  const auto& values = trace.values();
  const auto& ops = trace.ops();
  // the ops the outputs depend on, walking back from them
  std::vector<bool> needed_value(values.size(), false), needed_op(ops.size(), false);
  std::vector<int> stack(output_ids.begin(), output_ids.end());
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    if (v < 0 || needed_value[std::size_t(v)]) continue;
    needed_value[std::size_t(v)] = true;
    const int p = values[std::size_t(v)].producer;
    if (p < 0) continue;
    needed_op[std::size_t(p)] = true;
    if (falls_back(ops[std::size_t(p)])) {
      stack.push_back(ops[std::size_t(p)].computed_as);
      continue;
    }
    for (int i : ops[std::size_t(p)].inputs) stack.push_back(i);
    for (const auto& [key, i] : ops[std::size_t(p)].tensors) stack.push_back(i);
  }

  GraphBuilder builder(trace, graph, options.opset, options.dynamic_batch);
  builder.value_names.assign(values.size(), "");
  builder.value_batched.assign(values.size(), false);
  std::unordered_map<const TensorImpl*, std::string> known;
  for (const auto& [name, t] : names)
    if (t.defined()) known.emplace(&t.impl(), name);
  std::unordered_set<std::string> used;

  const Tensor& first_input = values[std::size_t(input_ids[0])].tensor;
  const std::size_t batch_size = first_input.dim() > 0 ? first_input.size(0) : 0;
  for (std::size_t i = 0; i < input_ids.size(); ++i) {
    const auto v = std::size_t(input_ids[i]);
    builder.value_names[v] = io_name(options.input_names, i, input_ids.size(), "input");
    builder.value_batched[v] = options.dynamic_batch && values[v].tensor.dim() > 0;
    used.insert(builder.value_names[v]);
    set_value_info(*graph.add_input(), builder.value_names[v], values[v].tensor, builder.value_batched[v]);
  }
  // leaves the outputs need that are not inputs: initializers (parameters and buffers by name)
  std::size_t constants = 0;
  for (std::size_t v = 0; v < values.size(); ++v) {
    if (!needed_value[v] || values[v].producer >= 0 || !builder.value_names[v].empty()) continue;
    const auto it = known.find(&values[v].tensor.impl());
    // a constant sharing an input's buffer was derived from it by code that reported nothing
    for (int i : input_ids)
      DESCENT_CHECK(it != known.end() || values[v].tensor.impl().owner != values[std::size_t(i)].tensor.impl().owner, kOp,
                    "a tensor of shape ", to_string(values[v].tensor.shape()),
                    " shares an input's values but no traced op made it (a view or op that reports nothing to the "
                    "tracer): it cannot be exported as a constant");
    std::string name = it != known.end() ? it->second : "const_" + std::to_string(constants++);
    while (used.count(name)) name += "_";
    used.insert(name);
    builder.value_names[v] = name;
    detail::fill_tensor_proto(values[v].tensor, name, *graph.add_initializer());
  }
  // the ops, in the order they ran
  for (std::size_t p = 0; p < ops.size(); ++p) {
    if (!needed_op[p]) continue;
    const detail::TracedOp& op = ops[p];
    if (falls_back(op)) {  // exported as the traced ops that computed it
      builder.value_names[std::size_t(op.output)] = builder.value_names[std::size_t(op.computed_as)];
      builder.value_batched[std::size_t(op.output)] = builder.value_batched[std::size_t(op.computed_as)];
      continue;
    }
    OpContext ctx{op, {}, {}, values[std::size_t(op.output)].tensor, op.name + "_" + std::to_string(p), {}};
    ctx.builder = &builder;
    // the result depends on the batch when an input does (the tensor attributes too: embedding's
    // indices), whether dim 0 still is the batch or it was folded into it (linear's (N·T, in) rows)
    bool batched = false;
    for (int i : op.inputs) {
      ctx.inputs.push_back(i < 0 ? Tensor() : values[std::size_t(i)].tensor);
      ctx.names.push_back(i < 0 ? std::string() : builder.value_names[std::size_t(i)]);
      ctx.batched.push_back(i >= 0 && builder.value_batched[std::size_t(i)]);
      batched = batched || ctx.batched.back();
    }
    for (const auto& [key, i] : op.tensors) batched = batched || (i >= 0 && builder.value_batched[std::size_t(i)]);
    detail::map_op(ctx);
    builder.value_names[std::size_t(op.output)] = ctx.output_name;
    builder.value_batched[std::size_t(op.output)] = batched && ctx.output.dim() > 0;
  }
  // the outputs: renamed by an Identity (an output may also be an input, or appear twice)
  for (std::size_t i = 0; i < output_ids.size(); ++i) {
    const auto v = std::size_t(output_ids[i]);
    const std::string name = io_name(options.output_names, i, output_ids.size(), "output");
    DESCENT_CHECK(!used.count(name), kOp, "output name '", name, "' is already the name of an input or initializer");
    used.insert(name);
    builder.node("Identity", {builder.value_names[v]}, {name});
    // dim 0 is declared the batch when it depends on it and has the examples' batch size (not when
    // a reduction or a transpose took it away)
    const Tensor& t = values[v].tensor;
    set_value_info(*graph.add_output(), name, t, builder.value_batched[v] && t.size(0) == batch_size);
  }
  remove_unread(graph);
  return model;
}

std::string export_bytes(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                         const std::vector<Tensor>& example_inputs, const ExportOptions& options,
                         const std::vector<std::pair<std::string, Tensor>>& names) {
  DESCENT_CHECK(options.opset >= 13 && options.opset <= kMaxOpset, kOp, "opset ", options.opset,
                " is not supported (descent exports opsets 13 to ", kMaxOpset, ")");
  DESCENT_CHECK(!example_inputs.empty(), kOp, "expected at least one example input");
  for (const Tensor& t : example_inputs) DESCENT_CHECK(t.defined(), kOp, "an example input is undefined");
  GraphTrace trace;
  std::vector<int> input_ids;
  std::unordered_set<const TensorImpl*> seen;
  for (const Tensor& t : example_inputs) {
    DESCENT_CHECK(seen.insert(&t.impl()).second, kOp, "the same tensor is given twice as an example input");
    input_ids.push_back(trace.value_of(t));
  }
  std::vector<Tensor> outputs;
  {
    NoGradGuard no_grad;
    autograd::TraceGuard tracing(&trace);
    outputs = forward(example_inputs);
  }
  DESCENT_CHECK(!outputs.empty(), kOp, "the traced function returned no tensor");
  std::vector<int> output_ids;
  for (const Tensor& t : outputs) {
    DESCENT_CHECK(t.defined(), kOp, "the traced function returned an undefined tensor");
    output_ids.push_back(trace.value_of(t));
  }
  ::onnx::ModelProto model = build_model(trace, input_ids, output_ids, options, names);
  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error(std::string(kOp) + ": the exported model fails ONNX's checker: " + e.what());
  }
  std::string bytes;
  DESCENT_CHECK(model.SerializeToString(&bytes), kOp, "protobuf could not serialize the model");
  return bytes;
}

std::vector<std::pair<std::string, Tensor>> state_names(const nn::Module& model) { return model.state_dict(); }

std::function<std::vector<Tensor>(const std::vector<Tensor>&)> module_forward(nn::Module& model) {
  return [&model](const std::vector<Tensor>& inputs) { return std::vector<Tensor>{model(inputs[0])}; };
}

void check_module_inputs(const std::vector<Tensor>& example_inputs) {
  DESCENT_CHECK(example_inputs.size() == 1, kOp, "a Module's forward takes one tensor, got ", example_inputs.size(),
                " example inputs (export_function traces a computation on several)");
}

}  // namespace

std::string export_model_bytes(nn::Module& model, const std::vector<Tensor>& example_inputs,
                               const ExportOptions& options) {
  check_module_inputs(example_inputs);
  ModeRestorer restore(model);
  model.eval();
  return export_bytes(module_forward(model), example_inputs, options, state_names(model));
}

void export_model(nn::Module& model, const std::vector<Tensor>& example_inputs, const std::string& path,
                  const ExportOptions& options) {
  descent::detail::write_file(path, export_model_bytes(model, example_inputs, options), kOp);
}

std::string export_function_bytes(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                                  const std::vector<Tensor>& example_inputs, const ExportOptions& options,
                                  const std::vector<std::pair<std::string, Tensor>>& names) {
  return export_bytes(forward, example_inputs, options, names);
}

void export_function(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                     const std::vector<Tensor>& example_inputs, const std::string& path, const ExportOptions& options,
                     const std::vector<std::pair<std::string, Tensor>>& names) {
  descent::detail::write_file(path, export_bytes(forward, example_inputs, options, names), kOp);
}

}  // namespace descent::onnx
