#pragma once
// The graph import_model reads (import.cpp) and the op implementations that run its nodes
// (import_ops.cpp): every name resolved to a value slot once, on import.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "descent/onnx/import.hpp"
#include "descent/ops/rnn.hpp"

namespace descent::onnx::detail {

/// What an op implementation sees of one node: its attributes and its inputs' values (undefined for
/// an optional input not given).
struct NodeArgs {
  const ::onnx::NodeProto& node;
  std::vector<Tensor> inputs;
  int opset;

  const ::onnx::AttributeProto* attribute(const char* name) const;
  std::int64_t get_int(const char* name, std::int64_t fallback) const;
  double get_float(const char* name, double fallback) const;
  std::vector<std::int64_t> get_ints(const char* name, const std::vector<std::int64_t>& fallback) const;
  std::string get_string(const char* name, const std::string& fallback) const;
  /// Input i, which must be given.
  const Tensor& input(std::size_t i) const;
  bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i].defined(); }
  /// The values of input i, an integer tensor (shapes, axes, starts).
  std::vector<std::int64_t> ints_of(std::size_t i) const;
  /// "node 'Conv_3' (Conv)" for messages.
  std::string where() const;
};

/// Runs one node: its outputs, in order (fewer than the node declares when the rest are unused).
using OpImpl = std::vector<Tensor> (*)(const NodeArgs&);
/// The implementation of a default-domain op type, or nullptr.
OpImpl find_op(const std::string& op_type);
/// The outputs beyond the first an op can give (Dropout's mask cannot): the count it supports.
std::size_t supported_outputs(const std::string& op_type);

/// ONNX's LSTM / GRU / RNN node as descent's recurrent layers (import_recurrent.cpp); Mode rnn_tanh
/// also takes RNN's Relu activation.
template <RecurrentMode Mode> std::vector<Tensor> import_recurrent(const NodeArgs& a);

/// A TensorProto's values (FLOAT, DOUBLE, INT32 as int64, INT64, BOOL; raw or typed data).
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where);

struct ImportedNode {
  const ::onnx::NodeProto* proto;
  OpImpl impl;
  std::vector<int> inputs;   ///< value slots; -1 for an optional input not given
  std::vector<int> outputs;  ///< value slots; -1 for an output not given
};

enum class InitializerKind { parameter, buffer, constant };

struct ImportedInitializer {
  std::string name;
  Tensor value;
  InitializerKind kind;
  int slot;
};

struct ImportedGraph {
  ::onnx::ModelProto model;  ///< owns the nodes' attributes
  int opset = 0;
  std::string source;        ///< the file or "bytes", for messages
  std::vector<ValueSpec> inputs, outputs;
  std::vector<int> input_slots, output_slots;
  std::vector<ImportedInitializer> initializers;
  std::vector<ImportedNode> nodes;
  std::vector<std::string> slot_names;
  std::deque<::onnx::NodeProto> fused_nodes;  ///< the nodes fuse_patterns made (a deque: nodes point to them)
};

/// Puts the node patterns the exporter writes for gelu and scaled_dot_product_attention back into
/// descent's fused ops (import_fusion.cpp).
void fuse_patterns(ImportedGraph& g);

}  // namespace descent::onnx::detail
