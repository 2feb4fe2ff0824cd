// GraphTrace: the exporter's tracer (graph_trace.hpp).
#include "graph_trace.hpp"

namespace descent::onnx::detail {

bool TracedOp::has(const char* key) const {
  for (const auto& a : attributes)
    if (std::string_view(a.key) == key) return true;
  return false;
}

int GraphTrace::value_of(const Tensor& t) {
  if (!t.defined()) return -1;
  const auto [it, inserted] = current_.try_emplace(&t.impl(), static_cast<int>(values_.size()));
  if (inserted) values_.push_back({t, -1});
  return it->second;
}

void GraphTrace::attributes(const Tensor& result, autograd::TraceAttributes attributes) {
  if (result.defined()) pending_[&result.impl()] = {result, std::move(attributes)};
}

void GraphTrace::op(const char* name, const Tensor& result, std::span<const Tensor> inputs) {
  if (!result.defined()) return;
  TracedOp op;
  op.name = name;
  for (const Tensor& input : inputs) op.inputs.push_back(value_of(input));
  if (auto it = pending_.find(&result.impl()); it != pending_.end()) {
    op.attributes = std::move(it->second.second);
    pending_.erase(it);
  }
  for (const auto& a : op.attributes)
    if (const Tensor* t = std::get_if<Tensor>(&a.value)) op.tensors[a.key] = value_of(*t);
  // the result: a new version of its tensor, produced by this op
  if (auto it = current_.find(&result.impl()); it != current_.end() && values_[std::size_t(it->second)].producer >= 0)
    op.computed_as = it->second;
  op.output = static_cast<int>(values_.size());
  values_.push_back({result, static_cast<int>(ops_.size())});
  current_[&result.impl()] = op.output;
  ops_.push_back(std::move(op));
}

}  // namespace descent::onnx::detail
