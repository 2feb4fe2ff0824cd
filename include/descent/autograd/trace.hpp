#pragma once
// Tracing: what the ops did, for a consumer that wants the computation as a graph (the ONNX
// exporter, descent/onnx/export.hpp). While a Tracer is active on a thread, every op recorded with
// autograd::record (function.hpp) reports (its name, its inputs, its result) to it, recorded on the
// tape or not; an op whose behaviour depends on more than its inputs' shapes (axes, stride, eps,
// an extra tensor such as batch_norm's running statistics) reports that too, with one line beside
// its record() call:
//
//   autograd::trace_attributes(out, [&] { return TraceAttributes{{"axis", axis}}; });
//   return record("softmax", out, {x}, ...);
//
// The attributes are keyed by the result's identity and go to the next op that reports that result.
// A composite op (one built from other ops, with no record() of its own) reports itself with
// traced(name, result, inputs, attributes): the tracer then sees one op where the parts were.
// Tensors are reported by identity (the TensorImpl): the consumer tells inputs, parameters and
// intermediate values apart by it.
//
// With no tracer active each hook is one test of a thread-local pointer; the attribute lambdas are
// not called.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::autograd {

/// One attribute of a traced op: an integer, a number, a list of integers, a string or a tensor.
struct TraceAttribute {
  using Value = std::variant<std::int64_t, double, std::vector<std::int64_t>, std::string, Tensor>;

  template <class T>
    requires std::is_integral_v<T>
  TraceAttribute(const char* key, T v) : key(key), value(static_cast<std::int64_t>(v)) {}
  template <class T>
    requires std::is_floating_point_v<T>
  TraceAttribute(const char* key, T v) : key(key), value(static_cast<double>(v)) {}
  template <class T>
    requires std::is_integral_v<T>
  TraceAttribute(const char* key, const std::vector<T>& v) : key(key), value(std::vector<std::int64_t>(v.begin(), v.end())) {}
  TraceAttribute(const char* key, std::initializer_list<std::int64_t> v) : key(key), value(std::vector<std::int64_t>(v)) {}
  TraceAttribute(const char* key, std::string v) : key(key), value(std::move(v)) {}
  TraceAttribute(const char* key, const char* v) : key(key), value(std::string(v)) {}
  TraceAttribute(const char* key, Tensor v) : key(key), value(std::move(v)) {}

  const char* key;  ///< a string literal
  Value value;
};
using TraceAttributes = std::vector<TraceAttribute>;

/// Receives the ops of a traced computation. Implementations live with their consumer.
class Tracer {
 public:
  virtual ~Tracer() = default;
  /// `name` computed `result` from `inputs` (an undefined input: an optional one not given).
  virtual void op(const char* name, const Tensor& result, std::span<const Tensor> inputs) = 0;
  /// Attributes of the next op() whose result is `result`.
  virtual void attributes(const Tensor& result, TraceAttributes attributes) = 0;
};

/// The thread's active tracer: read it with active_tracer(), set it with a TraceGuard.
extern constinit thread_local Tracer* current_tracer;

/// This thread's active tracer, or null (the common case).
inline Tracer* active_tracer() noexcept { return current_tracer; }

/// Makes `tracer` this thread's active tracer for its lifetime (nested guards restore the outer one).
class TraceGuard {
 public:
  explicit TraceGuard(Tracer* tracer) noexcept : previous_(current_tracer) { current_tracer = tracer; }
  ~TraceGuard() { current_tracer = previous_; }
  TraceGuard(const TraceGuard&) = delete;
  TraceGuard& operator=(const TraceGuard&) = delete;

 private:
  Tracer* previous_;
};

/// Reports an op to the active tracer, if any (record() calls this).
inline void trace_op(const char* name, const Tensor& result, std::span<const Tensor> inputs) {
  if (Tracer* t = active_tracer()) t->op(name, result, inputs);
}

/// Gives the next traced op producing `result` the attributes make() returns; make() runs only
/// while a tracer is active.
template <class Make> void trace_attributes(const Tensor& result, Make&& make) {
  if (Tracer* t = active_tracer()) t->attributes(result, std::forward<Make>(make)());
}

/// Reports a composite op (computed by other ops) as one op: `result = name(inputs)`. Returns result.
template <class Make> Tensor traced(const char* name, Tensor result, std::initializer_list<Tensor> inputs, Make&& make) {
  if (Tracer* t = active_tracer()) {
    t->attributes(result, std::forward<Make>(make)());
    t->op(name, result, {inputs.begin(), inputs.size()});
  }
  return result;
}

}  // namespace descent::autograd
