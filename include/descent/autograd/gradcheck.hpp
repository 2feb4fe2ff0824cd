#pragma once
// Gradient checking: the gradients backward() computes against central finite differences, and
// (gradgradcheck) the second derivatives a create_graph backward gives against finite differences
// of first-order gradients.
#include <functional>
#include <string>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::autograd {

struct GradcheckOptions {
  double eps = 1e-6;   ///< finite-difference step
  double atol = 1e-5;  ///< passes where |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool passed = true;
  double max_error = 0;        ///< the worst |analytic - numeric| - rtol * |numeric| seen
  std::size_t input = 0;       ///< where it was: which input ...
  std::size_t element = 0;     ///< ... and which element (row-major)
  double analytic = 0, numeric = 0;
  std::string message;         ///< a readable report of the worst element
  explicit operator bool() const { return passed; }
};

/// Checks the gradient of f with respect to every input that requires grad. Inputs must be
/// float64. A non-scalar output is reduced to sum(f(x) * w) with fixed random weights w, so
/// every output element is checked.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

/// Checks second derivatives: the gradients of f's first-order gradients (computed with
/// create_graph, so through every backward rule's own backward) against central finite differences
/// of those first-order gradients (computed without it, by the fused first-order rules). Inputs
/// must be float64. grad_outputs (f's output shape; random when undefined) is differentiated too.
/// Also fails when the first-order gradients of the two paths disagree.
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                              const std::vector<Tensor>& inputs, const Tensor& grad_output = Tensor(),
                              const GradcheckOptions& options = {});

}  // namespace descent::autograd
