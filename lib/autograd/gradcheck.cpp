#include "descent/autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/random.hpp"

namespace descent::autograd {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  // Private float64 copies, so that nudging an element never touches the caller's tensors.
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (input.defined() && input.requires_grad())
      DESCENT_CHECK(input.dtype() == Dtype::float64, "gradcheck", "input ", i, " is ", to_string(input.dtype()),
                    ": finite differences need float64 inputs");
    if (!input.defined() || !is_floating(input.dtype())) {
      xs.push_back(input);
      continue;
    }
    Tensor copy = input.detach().clone();
    if (input.requires_grad()) copy.requires_grad_();
    xs.push_back(copy);
  }

  // A non-scalar output is projected on fixed random weights so every element is checked.
  Tensor weights;
  auto objective = [&](const Tensor& y) {
    if (!weights.defined()) {
      Generator gen(20261123);
      weights = y.numel() == 1 ? ones(y.shape(), y.dtype()) : randn(y.shape(), gen, y.dtype());
    }
    return sum(y * weights);
  };
  Tensor y = f(xs);
  DESCENT_CHECK(y.dtype() == Dtype::float64, "gradcheck", "f must return float64, got ", to_string(y.dtype()));
  if (y.requires_grad()) objective(y).backward();

  GradcheckResult result;
  result.max_error = -INFINITY;
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined() || !xs[i].requires_grad()) continue;
    Tensor analytic = xs[i].grad().defined() ? xs[i].grad() : zeros_like(xs[i]);
    double* x = xs[i].data<double>();
    const double* a = analytic.data<double>();
    for (std::size_t j = 0, n = xs[i].numel(); j < n; ++j) {
      const double saved = x[j];
      x[j] = saved + options.eps;
      const double plus = objective(f(xs)).item();
      x[j] = saved - options.eps;
      const double minus = objective(f(xs)).item();
      x[j] = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      double error = std::abs(a[j] - numeric) - options.rtol * std::abs(numeric);
      if (std::isnan(error)) error = INFINITY;
      if (error > result.max_error) {
        result.max_error = error;
        result.input = i;
        result.element = j;
        result.analytic = a[j];
        result.numeric = numeric;
      }
    }
  }
  result.passed = result.max_error <= options.atol;
  std::ostringstream message;
  message << "gradcheck " << (result.passed ? "passed" : "FAILED") << ": worst at input " << result.input
          << " element " << result.element << ": analytic " << result.analytic << ", numeric " << result.numeric
          << " (error " << result.max_error << ", atol " << options.atol << ", rtol " << options.rtol << ")";
  result.message = message.str();
  return result;
}

}  // namespace descent::autograd
