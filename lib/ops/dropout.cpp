#include "descent/ops/dropout.hpp"

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/elementwise.hpp"
#include "detail/check.hpp"
#include "detail/dispatch.hpp"

namespace descent {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  detail::check_floating("dropout", x);
  detail::check_unit_interval("dropout", "p", p, true);
  if (!training || p == 0) return x;
  // The mask holds 0 or 1/(1-p): the kept elements are scaled so the expected output is x.
  Tensor mask;
  {
    NoGradGuard no_grad;
    const double keep = 1 - p;
    mask = p == 1 ? zeros(x.shape(), x.dtype())
                  : where(rand(x.shape(), gen, x.dtype()) < keep, full({}, 1 / keep, x.dtype()), full({}, 0.0, x.dtype()));
  }
  // d(x·mask)/dx = mask: the product's own rule
  return x * mask;
}

Tensor dropout2d(const Tensor& x, double p, bool training, Generator& gen) {
  detail::check_floating("dropout2d", x);
  detail::check_unit_interval("dropout2d", "p", p, true);
  DESCENT_CHECK(x.dim() == 3 || x.dim() == 4, "dropout2d", "expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
                to_string(x.shape()));
  if (!training || p == 0) return x;
  Shape mask_shape = x.shape();  // one draw per channel, broadcast over H and W
  mask_shape[x.dim() - 1] = mask_shape[x.dim() - 2] = 1;
  Tensor mask;
  {
    NoGradGuard no_grad;
    const double keep = 1 - p;
    mask = p == 1 ? zeros(mask_shape, x.dtype())
                  : where(rand(mask_shape, gen, x.dtype()) < keep, full({}, 1 / keep, x.dtype()), full({}, 0.0, x.dtype()));
  }
  // d(x·mask)/dx = mask: the product's own rule
  return x * mask;
}

}  // namespace descent
