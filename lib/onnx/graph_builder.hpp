#pragma once
// Building the ONNX graph from a trace: value names, initializers and nodes (graph_builder.cpp),
// and the table that maps each traced op to nodes (op_mappings.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graph_trace.hpp"

namespace descent::onnx::detail {

class GraphBuilder;

/// What a mapping sees of one traced op: the op, its inputs' and output's traced tensors and names.
struct OpContext {
  const TracedOp& op;
  std::vector<Tensor> inputs;        ///< undefined for an optional input not given
  std::vector<std::string> names;    ///< "" for an optional input not given
  Tensor output;
  std::string output_name;
  std::vector<bool> batched;         ///< per input: whether it depends on the symbolic batch
  /// A tensor attribute's name in the graph ("" when undefined).
  std::string tensor_name(const char* key) const;
  const Tensor& tensor(const char* key) const;
  GraphBuilder* builder = nullptr;
  std::string shapes() const;        ///< "inputs (2, 3), (3); output (2)" for messages
};

class GraphBuilder {
 public:
  GraphBuilder(const GraphTrace& trace, ::onnx::GraphProto& graph, int opset, bool dynamic_batch)
      : trace_(trace), graph_(graph), opset_(opset), dynamic_batch_(dynamic_batch) {}

  int opset() const { return opset_; }
  bool dynamic_batch() const { return dynamic_batch_; }
  ::onnx::GraphProto& graph() { return graph_; }

  /// A new node op_type(inputs) -> outputs.
  ::onnx::NodeProto& node(const char* op_type, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs);
  /// A fresh name for an intermediate value of a mapping.
  std::string fresh(const std::string& hint);
  /// Initializers: a tensor's values, a 1-D int64 list, a 0-d scalar of `dtype`.
  std::string constant(const Tensor& values, const std::string& hint);
  std::string ints(const std::vector<std::int64_t>& values, const std::string& hint);
  std::string scalar(double value, Dtype dtype, const std::string& hint = "const");

  /// The names of values and their batch flags, set by the exporter as it walks the trace.
  std::vector<std::string> value_names;
  std::vector<bool> value_batched;  ///< depends on the symbolic batch (dim 0 is it, or holds it folded)
  const GraphTrace& trace() const { return trace_; }

 private:
  const GraphTrace& trace_;
  ::onnx::GraphProto& graph_;
  int opset_;
  bool dynamic_batch_;
  std::size_t counter_ = 0;
};

/// ONNX's element type for a dtype.
int onnx_type(Dtype dtype);
/// `t`'s values as an initializer named `name`.
void fill_tensor_proto(const Tensor& t, const std::string& name, ::onnx::TensorProto& proto);

/// Maps one traced op to nodes writing ctx.output_name; throws descent::Error for an op without a mapping.
void map_op(OpContext& ctx);
/// Whether map_op knows the op.
bool has_mapping(const std::string& op);

/// Attribute setters.
void set_attribute(::onnx::NodeProto& node, const char* name, std::int64_t value);
void set_attribute(::onnx::NodeProto& node, const char* name, double value);
void set_attribute(::onnx::NodeProto& node, const char* name, const std::vector<std::int64_t>& values);
void set_attribute(::onnx::NodeProto& node, const char* name, const std::string& value);
void set_attribute(::onnx::NodeProto& node, const char* name, const std::vector<std::string>& values);

}  // namespace descent::onnx::detail
