#pragma once
// Replaying the tape backwards: backward() accumulates into leaves' .grad(), grad() returns
// gradients without touching .grad() (torch.autograd.backward / torch.autograd.grad).
//
//   Tensor u = model(x);                                           // x requires grad
//   Tensor u_x = autograd::grad({u}, {x}, {ones_like(u)}, {.create_graph = true})[0];
//   Tensor u_xx = autograd::grad({u_x}, {x}, {ones_like(u_x)}, {.create_graph = true})[0];
//   mean(u_xx * u_xx).backward();                                  // through both passes
//
// With create_graph the backward pass is itself recorded (it runs with grad mode on), so its
// results differentiate again, to any order. Nodes are visited in decreasing recording order, a
// sequence shared by all threads, so a graph recorded across threads backpropagates correctly.
#include <optional>
#include <vector>

#include "descent/autograd/backward_options.hpp"
#include "descent/tensor.hpp"

namespace descent::autograd {

struct GradOptions {
  /// Keep the graph's saved tensors for another pass; defaults to create_graph (as PyTorch).
  std::optional<bool> retain_graph = {};
  /// Record the backward pass, so that the gradients returned can be differentiated again.
  bool create_graph = false;
  /// An input the outputs do not depend on gets an undefined tensor instead of an error.
  bool allow_unused = false;
};

/// The gradients of sum_i <outputs[i], grad_outputs[i]> with respect to each of `inputs` (leaves
/// or intermediate tensors), without touching any .grad(). grad_outputs may be empty (each output
/// must then be a scalar: gradient 1) or hold one tensor per output (undefined for a scalar's 1).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, const GradOptions& options = {});

/// Back-propagates from `tensors` (with `grad_tensors`, as for grad()) into the .grad() of every
/// leaf that requires it, or only into those of options.inputs when it is given. Frees the graph's
/// saved tensors unless options.retain_graph (which defaults to options.create_graph).
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              const BackwardOptions& options = {});

/// The one-root form behind Tensor::backward().
void backward(const Tensor& root, const Tensor& gradient = Tensor(), bool retain_graph = false);

}  // namespace descent::autograd
