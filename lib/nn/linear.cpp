#include "descent/nn/linear.hpp"

#include <cmath>

#include "descent/nn/init.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, LinearOptions options, Generator& gen) {
  // A negative int passed for a size_t arrives as a huge number: report it as the negative it was.
  const auto as_signed = [](std::size_t n) { return static_cast<std::ptrdiff_t>(n); };
  DESCENT_CHECK(as_signed(in_features) > 0 && as_signed(out_features) > 0, "Linear",
                "in_features and out_features must be positive, got in_features=", as_signed(in_features),
                " out_features=", as_signed(out_features));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight", uniform({out_features, in_features}, -bound, bound, gen, options.dtype));
  if (options.bias) bias = register_parameter("bias", uniform({out_features}, -bound, bound, gen, options.dtype));
}

Tensor Linear::forward(const Tensor& input) {
  DESCENT_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1), "Linear",
                "expected inputs with ", weight.size(1), " features in the last axis, got shape ",
                to_string(input.shape()));
  return linear(input, weight, bias);  // one fused op: Wᵀ is a BLAS flag (small sizes loop over a copy)
}

std::string Linear::describe() const {
  return "Linear(in_features=" + std::to_string(weight.size(1)) + ", out_features=" + std::to_string(weight.size(0)) +
         (bias.defined() ? "" : ", bias=false") + ")";
}

}  // namespace descent::nn
