#pragma once
// Gradient checking: the gradients backward() computes against central finite differences.
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

}  // namespace descent::autograd
