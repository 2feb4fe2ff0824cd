#include "descent/nn/dropout.hpp"

#include <sstream>

#include "descent/ops/dropout.hpp"
#include "detail/check.hpp"
#include "nn/layer_error.hpp"

namespace descent::nn {

Dropout::Dropout(double p, Generator& gen) : p(p), gen_(&gen) {
  DESCENT_CHECK(p >= 0 && p < 1, "Dropout", "p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return dropout(x, p, is_training(), *gen_); });
}

std::string Dropout::describe() const {
  std::ostringstream out;
  out << "Dropout(p=" << p << ")";
  return out.str();
}

Dropout2d::Dropout2d(double p, Generator& gen) : p(p), gen_(&gen) {
  descent::detail::check_unit_interval("Dropout2d", "p", p, true);  // p = 1 zeroes everything, as PyTorch
}

Tensor Dropout2d::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return dropout2d(x, p, is_training(), *gen_); });
}

std::string Dropout2d::describe() const {
  std::ostringstream out;
  out << "Dropout2d(p=" << p << ")";
  return out.str();
}

}  // namespace descent::nn
