#pragma once
// Recording an operation on the tape: the one mechanism behind every built-in op, and the
// public way to write a custom differentiable operation (a fused kernel, a custom layer's op).
//
//   Tensor square(const Tensor& x) {
//     Tensor y;
//     { NoGradGuard no_grad; y = x * x; }             // forward: any computation, not recorded
//     return autograd::record("square", y, {x},        // backward: d(x^2)/dx = 2x
//                             [sx = SavedTensor(x)](const Tensor& grad) {
//                               return std::vector<Tensor>{grad * 2.0 * sx.unpack()};
//                             });
//   }
//
// The backward callable receives the gradient with respect to `result` and returns one gradient
// per input (an undefined Tensor where there is none), each of the input's shape or of a shape
// that broadcasts to it (it is summed back). It runs with grad mode off for a plain backward(), and
// on under create_graph: written with differentiable ops (as above), it is then recorded and the
// gradient differentiates again. Keep tensors as SavedTensor (saved_tensor.hpp): unpack() refuses
// one changed in place since; keep the result itself as SavedTensor::output(result) (capturing
// `result` would make a cycle).
#include <algorithm>
#include <initializer_list>
#include <memory>
#include <utility>

#include "descent/autograd/anomaly.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/node.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/autograd/trace.hpp"

namespace descent::autograd {

/// Connects `node` to `inputs` and makes it the producer of `result`.
void attach(Tensor& result, std::initializer_list<Tensor> inputs, std::shared_ptr<Node> node);
void attach(Tensor& result, const std::vector<Tensor>& inputs, std::shared_ptr<Node> node);

/// True when an op on these inputs must be recorded: grad mode is on and one requires grad.
inline bool should_record(std::initializer_list<Tensor> inputs) {
  return is_grad_enabled() &&
         std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.defined() && t.requires_grad(); });
}
inline bool should_record(const std::vector<Tensor>& inputs) {
  return is_grad_enabled() &&
         std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.defined() && t.requires_grad(); });
}

/// Records `result = name(inputs)` with its backward rule, if recording is needed; returns result.
/// In anomaly mode it first checks `result` for NaN/Inf, recorded or not. An active tracer
/// (trace.hpp) is told of the op, recorded or not.
template <class Backward>
Tensor record(const char* name, Tensor result, std::initializer_list<Tensor> inputs, Backward&& backward) {
  trace_op(name, result, {inputs.begin(), inputs.size()});
  if (is_anomaly_enabled()) check_forward(name, result, {inputs.begin(), inputs.size()});
  if (should_record(inputs))
    attach(result, inputs, std::make_shared<LambdaNode<std::decay_t<Backward>>>(name, std::forward<Backward>(backward)));
  return result;
}
template <class Backward>
Tensor record(const char* name, Tensor result, const std::vector<Tensor>& inputs, Backward&& backward) {
  trace_op(name, result, inputs);
  if (is_anomaly_enabled()) check_forward(name, result, inputs);
  if (should_record(inputs))
    attach(result, inputs, std::make_shared<LambdaNode<std::decay_t<Backward>>>(name, std::forward<Backward>(backward)));
  return result;
}

}  // namespace descent::autograd
