// GraphBuilder: names, initializers and nodes of the exported graph (graph_builder.hpp).
#include "graph_builder.hpp"

#include <cstring>

#include "descent/error.hpp"

namespace descent::onnx::detail {

int onnx_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return ::onnx::TensorProto::FLOAT;
    case Dtype::float64: return ::onnx::TensorProto::DOUBLE;
    case Dtype::int64: return ::onnx::TensorProto::INT64;
    case Dtype::boolean: return ::onnx::TensorProto::BOOL;
  }
  throw Error("onnx::export: unknown dtype");
}

void fill_tensor_proto(const Tensor& t, const std::string& name, ::onnx::TensorProto& proto) {
  proto.set_name(name);
  proto.set_data_type(onnx_type(t.dtype()));
  for (auto n : t.shape()) proto.add_dims(static_cast<std::int64_t>(n));
  const Tensor c = t.detach().contiguous();
  // raw_data: the values little-endian, as in memory on x86-64 (bool: one byte each, as ONNX)
  proto.set_raw_data(std::string(static_cast<const char*>(c.impl().data), c.numel() * element_size(c.dtype())));
}

::onnx::NodeProto& GraphBuilder::node(const char* op_type, const std::vector<std::string>& inputs,
                                      const std::vector<std::string>& outputs) {
  ::onnx::NodeProto& n = *graph_.add_node();
  n.set_op_type(op_type);
  n.set_name(std::string(op_type) + "_" + std::to_string(graph_.node_size() - 1));
  for (const auto& i : inputs) n.add_input(i);
  for (const auto& o : outputs) n.add_output(o);
  return n;
}

// "<hint>#<k>": apart from the traced values ("<op>_<k>") and the initializers ("const_<k>", state_dict keys)
std::string GraphBuilder::fresh(const std::string& hint) { return hint + "#" + std::to_string(counter_++); }

std::string GraphBuilder::constant(const Tensor& values, const std::string& hint) {
  const std::string name = fresh(hint);
  fill_tensor_proto(values, name, *graph_.add_initializer());
  return name;
}

std::string GraphBuilder::ints(const std::vector<std::int64_t>& values, const std::string& hint) {
  const std::string name = fresh(hint);
  ::onnx::TensorProto& p = *graph_.add_initializer();
  p.set_name(name);
  p.set_data_type(::onnx::TensorProto::INT64);
  p.add_dims(static_cast<std::int64_t>(values.size()));
  for (auto v : values) p.add_int64_data(v);
  return name;
}

std::string GraphBuilder::scalar(double value, Dtype dtype, const std::string& hint) {
  return constant(full({}, value, dtype), hint);
}

void set_attribute(::onnx::NodeProto& node, const char* name, std::int64_t value) {
  ::onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INT);
  a.set_i(value);
}

void set_attribute(::onnx::NodeProto& node, const char* name, double value) {
  ::onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::FLOAT);
  a.set_f(static_cast<float>(value));
}

void set_attribute(::onnx::NodeProto& node, const char* name, const std::vector<std::int64_t>& values) {
  ::onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INTS);
  for (auto v : values) a.add_ints(v);
}

void set_attribute(::onnx::NodeProto& node, const char* name, const std::string& value) {
  ::onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::STRING);
  a.set_s(value);
}

void set_attribute(::onnx::NodeProto& node, const char* name, const std::vector<std::string>& values) {
  ::onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::STRINGS);
  for (const auto& v : values) a.add_strings(v);
}

std::string OpContext::tensor_name(const char* key) const {
  const auto it = op.tensors.find(key);
  return it == op.tensors.end() || it->second < 0 ? std::string() : builder->value_names[std::size_t(it->second)];
}

const Tensor& OpContext::tensor(const char* key) const {
  static const Tensor undefined;
  const auto it = op.tensors.find(key);
  return it == op.tensors.end() || it->second < 0 ? undefined : builder->trace().values()[std::size_t(it->second)].tensor;
}

std::string OpContext::shapes() const {
  std::string s = "inputs ";
  for (std::size_t i = 0; i < inputs.size(); ++i)
    s += (i ? ", " : "") + (inputs[i].defined() ? to_string(inputs[i].shape()) : std::string("none"));
  return s + "; output " + to_string(output.shape());
}

}  // namespace descent::onnx::detail
