#include "descent/nn/dropout.hpp"

#include "descent/autograd/grad_mode.hpp"

#include <sstream>

#include "descent/ops/elementwise.hpp"

namespace descent::nn {

Dropout::Dropout(double p, Generator& gen) : p(p), gen_(&gen) {
  DESCENT_CHECK(p >= 0 && p < 1, "Dropout", "p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p == 0) return x;
  // The mask holds 0 or 1/(1-p): the kept elements are scaled so the expected output is x.
  Tensor mask = rand(x.shape(), *gen_, x.dtype());
  const double keep = 1 - p, scale = 1 / keep;
  {
    NoGradGuard no_grad;
    mask = where(mask < keep, full({}, scale, x.dtype()), full({}, 0.0, x.dtype()));
  }
  return x * mask;
}

std::string Dropout::describe() const {
  std::ostringstream out;
  out << "Dropout(p=" << p << ")";
  return out.str();
}

}  // namespace descent::nn
