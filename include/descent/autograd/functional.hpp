#pragma once
// Derivatives of a function rather than of a recorded graph, like torch.autograd.functional: each
// call records f afresh on copies of its inputs, so nothing the caller holds gets a .grad().
//
//   auto f = [](const std::vector<Tensor>& x) { return sum(x[0] * x[0] * x[0]); };
//   auto [y, hv] = autograd::functional::hvp(f, {x}, {v});   // hv[0] = 6·x·v
//   Tensor H = autograd::functional::hessian(f, {x})[0][0];  // diag(6x)
//
// f takes the inputs and returns one tensor. With create_graph the results stay connected to the
// caller's graph (differentiable again); otherwise they are detached. An output that does not
// depend on an input gives zeros there, or an Error with strict.
#include <functional>
#include <utility>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::autograd::functional {

using Function = std::function<Tensor(const std::vector<Tensor>&)>;

struct Options {
  bool create_graph = false;  ///< keep the results differentiable
  bool strict = false;        ///< an input the output does not depend on is an Error, not zeros
};

/// f(inputs) and vᵀ·J for each input (v: f's output shape; may be undefined for a scalar output).
std::pair<Tensor, std::vector<Tensor>> vjp(const Function& f, const std::vector<Tensor>& inputs,
                                           const Tensor& v = Tensor(), const Options& options = {});
/// f(inputs) and J·v (v: one tensor per input, of its shape), by the double-vjp trick: the vjp is
/// linear in its cotangent u, and differentiating uᵀ·J with respect to u along v gives J·v.
std::pair<Tensor, Tensor> jvp(const Function& f, const std::vector<Tensor>& inputs, const std::vector<Tensor>& v,
                              const Options& options = {});
/// f(inputs) (a scalar) and H·v: the gradient of <∇f, v>.
std::pair<Tensor, std::vector<Tensor>> hvp(const Function& f, const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& v, const Options& options = {});
/// J[i]: d f / d inputs[i], of shape f's shape + inputs[i]'s shape (one backward pass per output element).
std::vector<Tensor> jacobian(const Function& f, const std::vector<Tensor>& inputs, const Options& options = {});
/// H[i][j]: d² f / d inputs[i] d inputs[j] of a scalar f, of shape inputs[i]'s shape + inputs[j]'s shape.
std::vector<std::vector<Tensor>> hessian(const Function& f, const std::vector<Tensor>& inputs,
                                         const Options& options = {});

}  // namespace descent::autograd::functional
