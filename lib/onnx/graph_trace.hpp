#pragma once
// The tracer behind the ONNX exporter: collects the ops a forward pass reports (autograd/trace.hpp)
// as a list of ops over values in SSA form. A value is one version of one TensorImpl: an op's
// result gets a new value even when it reuses a tensor (an in-place op, or a composite op reported
// after its parts), so the graph reachable from the outputs holds exactly what computed them.
// Values no op produced are leaves: the graph's inputs or constants (weights, scalars).
// Every tensor seen is kept alive until the trace ends, so no address is reused meanwhile.
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "descent/autograd/trace.hpp"

namespace descent::onnx::detail {

struct TracedValue {
  Tensor tensor;      ///< as traced: shape, dtype, values (for constants)
  int producer = -1;  ///< the op that computed it, or -1 for a leaf
};

struct TracedOp {
  std::string name;                          ///< the op as reported, e.g. "conv2d"
  std::vector<int> inputs;                   ///< value ids; -1 for an optional input not given
  int output = -1;                           ///< value id
  autograd::TraceAttributes attributes;      ///< tensor attributes resolved into `tensors`
  std::map<std::string, int> tensors;        ///< attribute key -> value id (-1: undefined tensor)
  /// The value of the same tensor that traced ops computed before this op reported it (a custom
  /// op's forward written with traced ops), or -1: the exporter's fallback for an op it cannot map.
  int computed_as = -1;

  /// An attribute's value, or `fallback` when the op did not report it.
  template <class T> T get(const char* key, T fallback) const {
    for (const auto& a : attributes)
      if (std::string_view(a.key) == key)
        if (const T* v = std::get_if<T>(&a.value)) return *v;
    return fallback;
  }
  bool has(const char* key) const;
};

class GraphTrace final : public autograd::Tracer {
 public:
  void op(const char* name, const Tensor& result, std::span<const Tensor> inputs) override;
  void attributes(const Tensor& result, autograd::TraceAttributes attributes) override;

  /// The current value of `t` (a new leaf the first time it is seen); -1 for an undefined tensor.
  int value_of(const Tensor& t);
  const std::vector<TracedValue>& values() const { return values_; }
  const std::vector<TracedOp>& ops() const { return ops_; }

 private:
  std::vector<TracedValue> values_;
  std::vector<TracedOp> ops_;
  std::unordered_map<const TensorImpl*, int> current_;
  /// attributes waiting for their op, with the result (kept alive: its address stays its own)
  std::unordered_map<const TensorImpl*, std::pair<Tensor, autograd::TraceAttributes>> pending_;
};

}  // namespace descent::onnx::detail
