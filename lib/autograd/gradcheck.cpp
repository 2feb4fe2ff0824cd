#include "descent/autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "descent/autograd/engine.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
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
  {
    AutoGradMode recording(true);  // the analytic pass records even when called under NoGradGuard
    const Tensor y = f(xs);
    DESCENT_CHECK(y.dtype() == Dtype::float64, "gradcheck", "f must return float64, got ", to_string(y.dtype()));
    if (y.requires_grad()) objective(y).backward();
  }

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

namespace {

/// f's first-order gradients with respect to the inputs that require grad, flattened into one
/// vector (zeros for an unused input), as the vector-Jacobian product with `v`.
Tensor flat_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& xs,
                      const Tensor& v, bool create_graph) {
  AutoGradMode recording(true);  // gradcheck evaluates under NoGradGuard: f must still record
  Tensor y = f(xs);
  DESCENT_CHECK(y.shape() == v.shape(), "gradgradcheck", "f returned shape ", to_string(y.shape()),
                ", but grad_output has shape ", to_string(v.shape()));
  std::vector<Tensor> wrt;
  for (const Tensor& x : xs)
    if (x.defined() && x.requires_grad()) wrt.push_back(x);
  std::vector<Tensor> grads(wrt.size());
  if (y.requires_grad()) grads = grad({y}, wrt, {v}, {.create_graph = create_graph, .allow_unused = true});
  std::vector<Tensor> pieces;
  for (std::size_t i = 0; i < wrt.size(); ++i)
    pieces.push_back(reshape(grads[i].defined() ? grads[i] : zeros_like(wrt[i]), {-1}));
  return concat(pieces);
}

}  // namespace

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                              const std::vector<Tensor>& inputs, const Tensor& grad_output,
                              const GradcheckOptions& options) {
  Tensor v = grad_output;
  if (!v.defined()) {
    // f's output shape, from f on the inputs as they are: f may differentiate them itself (a
    // gradient penalty, a derivative), which detached inputs without grad mode would refuse.
    AutoGradMode recording(true);
    const Tensor y = f(inputs);
    Generator gen(20261201);
    v = randn(y.shape(), gen, float64);
  }
  DESCENT_CHECK(v.dtype() == Dtype::float64, "gradgradcheck", "grad_output is ", to_string(v.dtype()),
                ": finite differences need float64");
  std::vector<Tensor> xs = inputs;
  xs.push_back(v.detach().clone().requires_grad_());
  const std::size_t last = xs.size() - 1;

  // The two first-order paths must agree before their derivatives are compared.
  const Tensor recorded = flat_gradients(f, inputs, xs[last], true);
  const Tensor fused = flat_gradients(f, inputs, xs[last], false);
  double worst = 0;
  {
    NoGradGuard no_grad;
    const double* r = recorded.data<double>();
    const double* u = fused.data<double>();
    for (std::size_t i = 0; i < recorded.numel(); ++i)
      worst = std::max(worst, std::abs(r[i] - u[i]) / (1 + std::abs(u[i])));
  }
  if (!(worst <= 1e-10)) {
    GradcheckResult result;
    result.passed = false;
    result.max_error = worst;
    result.message = detail::concat("gradgradcheck FAILED: first-order gradients differ between create_graph and "
                                    "the plain backward (worst relative difference ", worst, ")");
    return result;
  }

  GradcheckResult result = gradcheck(
      [&f, last](const std::vector<Tensor>& args) {
        const bool analytic = is_grad_enabled();  // gradcheck's finite differences run without grad mode
        return flat_gradients(f, {args.begin(), args.begin() + static_cast<std::ptrdiff_t>(last)}, args[last],
                              analytic);
      },
      xs, options);
  result.message = "grad" + result.message;
  return result;
}

}  // namespace descent::autograd
