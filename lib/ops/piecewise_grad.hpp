#pragma once
// The backward of an elementwise op whose derivative is piecewise constant: relu's and clamp's
// masks, leaky_relu's slopes, abs's sign, maximum's 1 / 0.5 / 0. It is g times a fixed factor that
// has no derivative of its own, so it is recorded (under create_graph) as an op of g alone whose
// backward is the same kernel: first-order speed, differentiable to any order.
#include <vector>

#include "descent/autograd/function.hpp"

namespace descent {

/// kernel(g) = g · d(saved values); the kernel keeps its saved tensors as SavedTensors of detached
/// values (constants: they get no gradient, and hold no graph).
template <class Kernel> Tensor piecewise_grad(const char* name, const Tensor& g, Kernel kernel) {
  Tensor out = kernel(g);
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to record
  return autograd::record(name, out, {g}, [name, kernel](const Tensor& gg) {
    return std::vector<Tensor>{piecewise_grad(name, gg, kernel)};
  });
}

}  // namespace descent
