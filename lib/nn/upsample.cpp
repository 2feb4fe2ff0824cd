#include "descent/nn/upsample.hpp"

#include "nn/layer_error.hpp"

namespace descent::nn {

Upsample::Upsample(InterpolateOptions options) : options(std::move(options)) {
  DESCENT_CHECK(this->options.size.given != this->options.scale_factor.given, "Upsample",
                "give exactly one of size and scale_factor");
}

Tensor Upsample::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return interpolate(x, options); });
}

std::string Upsample::describe() const {
  // PyTorch's repr: the size or the factor, and the mode unquoted
  return "Upsample(" +
         (options.scale_factor.given ? "scale_factor=" + to_string(options.scale_factor) : "size=" + to_string(options.size)) +
         ", mode=" + options.mode + ")";
}

}  // namespace descent::nn
