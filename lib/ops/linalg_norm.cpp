// linalg.vector_norm, matrix_norm and norm, composed of differentiable ops (abs, pow, sum, max),
// so their gradients of every order come from those; but the 2-norm, whose composed gradient is NaN
// at a zero vector (√ at 0), is one op with PyTorch's rule (0 there).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "descent/autograd/function.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg_decompositions.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "detail/shape.hpp"
#include "kernels/reduce.hpp"

namespace descent::linalg {

namespace {

Axes all_axes_of(const Tensor& x) {
  Axes axes(x.dim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

/// An axis in [0, dim), checked.
std::ptrdiff_t normalised_axis(const char* op, std::ptrdiff_t axis, const Tensor& x) {
  const auto dim = static_cast<std::ptrdiff_t>(x.dim());
  DESCENT_CHECK(axis >= -dim && axis < dim, op, "dim ", axis, " is out of range for a tensor of shape ",
                to_string(x.shape()));
  return axis < 0 ? axis + dim : axis;
}

/// √(Σx²) over `axes`. d/dx = x / ‖x‖, taken as 0 where ‖x‖ = 0 (the divisor is 1 there, where x is 0).
Tensor two_norm(const Tensor& x, const Axes& axes, bool keepdim) {
  const Shape kept = kernels::reduce_layout("linalg.vector_norm", x, axes, keepdim).kept;
  Tensor y;
  {
    autograd::NoGradGuard no_grad;
    y = sqrt(sum(x * x, axes, keepdim));
  }
  return autograd::record("linalg.vector_norm", y, {x},
                          [sx = SavedTensor(x), sy = SavedTensor::output(y), kept](const Tensor& g) {
                            const std::vector<std::ptrdiff_t> shape = descent::detail::signed_shape(kept);
                            const Tensor n = reshape(sy.unpack(), shape);
                            const Tensor divisor = n + eq(n, 0.0).to(n.dtype());
                            return std::vector<Tensor>{sx.unpack() * (reshape(g, shape) / divisor)};
                          });
}

}  // namespace

Tensor vector_norm(const Tensor& x, double ord, const std::optional<Axes>& dim, bool keepdim) {
  descent::detail::check_floating("linalg.vector_norm", x);
  const Axes axes = dim ? *dim : all_axes_of(x);
  const double inf = std::numeric_limits<double>::infinity();
  if (ord == inf) return max(abs(x), axes, keepdim);
  if (ord == -inf) return min(abs(x), axes, keepdim);
  if (ord == 0) return sum(ne(x, 0.0).to(x.dtype()), axes, keepdim);
  if (ord == 1) return sum(abs(x), axes, keepdim);
  if (ord == 2) return two_norm(x, axes, keepdim);
  return pow(sum(pow(abs(x), ord), axes, keepdim), 1.0 / ord);
}

Tensor matrix_norm(const Tensor& A, const std::string& ord, const Axes& dim, bool keepdim) {
  const char* op = "linalg.matrix_norm";
  descent::detail::check_floating(op, A);
  DESCENT_CHECK(A.dim() >= 2 && dim.size() == 2, op, "needs a tensor of at least 2 dimensions and two dims, got shape ",
                to_string(A.shape()), " and ", dim.size(), " dims");
  DESCENT_CHECK(ord == "fro", op, "Order ", ord,
                " not supported (\"fro\" only: \"nuc\" needs the singular values, which descent does not compute)");
  const std::ptrdiff_t d0 = normalised_axis(op, dim[0], A), d1 = normalised_axis(op, dim[1], A);
  DESCENT_CHECK(d0 != d1, op, "dims must be different, got (", dim[0], ", ", dim[1], ")");
  return sqrt(sum(A * A, {d0, d1}, keepdim));
}

Tensor matrix_norm(const Tensor& A, double ord, const Axes& dim, bool keepdim) {
  const char* op = "linalg.matrix_norm";
  descent::detail::check_floating(op, A);
  DESCENT_CHECK(A.dim() >= 2 && dim.size() == 2, op, "needs a tensor of at least 2 dimensions and two dims, got shape ",
                to_string(A.shape()), " and ", dim.size(), " dims");
  const double inf = std::numeric_limits<double>::infinity();
  DESCENT_CHECK(std::abs(ord) == 1 || std::abs(ord) == inf, op, "Order ", ord,
                " not supported (1, -1, inf, -inf: 2 and -2 need the singular values, which descent does not compute)");
  std::ptrdiff_t d0 = normalised_axis(op, dim[0], A), d1 = normalised_axis(op, dim[1], A);
  DESCENT_CHECK(d0 != d1, op, "dims must be different, got (", dim[0], ", ", dim[1], ")");
  // ord ±1: extreme column sum (sum over the row axis d0, then the extreme over d1); ord ±inf: rows.
  if (std::abs(ord) == inf) std::swap(d0, d1);
  Tensor sums = sum(abs(A), {d0}, true);
  sums = ord > 0 ? max(sums, {d1}, true) : min(sums, {d1}, true);
  if (keepdim) return sums;
  return squeeze(squeeze(sums, std::max(d0, d1)), std::min(d0, d1));
}

Tensor norm(const Tensor& x, std::optional<double> ord, const std::optional<Axes>& dim, bool keepdim) {
  const char* op = "linalg.norm";
  if (dim)
    DESCENT_CHECK(dim->size() == 1 || dim->size() == 2, op, "dim must be a 1- or 2-tuple, got ", dim->size(), " dims");
  if (!ord) {  // the 2-norm of the flattened x, or Frobenius over two dims
    if (dim && dim->size() == 2) return matrix_norm(x, "fro", *dim, keepdim);
    return vector_norm(x, 2, dim, keepdim);
  }
  if (dim) return dim->size() == 2 ? matrix_norm(x, *ord, *dim, keepdim) : vector_norm(x, *ord, dim, keepdim);
  DESCENT_CHECK(x.dim() == 1 || x.dim() == 2, op,
                "input must be 1-D or 2-D when dim is None and ord is not None, got "
                "shape ",
                to_string(x.shape()));
  return x.dim() == 2 ? matrix_norm(x, *ord, {-2, -1}, keepdim) : vector_norm(x, *ord, std::nullopt, keepdim);
}

Tensor norm(const Tensor& x, const std::string& ord, const std::optional<Axes>& dim, bool keepdim) {
  const char* op = "linalg.norm";
  if (dim)
    DESCENT_CHECK(dim->size() == 2, op, "dim must be a 2-tuple for matrix norm ", ord, ", got ", dim->size(), " dims");
  DESCENT_CHECK(dim || x.dim() == 2, op, "input must be 2-D when dim is None and ord is ", ord, ", got shape ",
                to_string(x.shape()));
  return matrix_norm(x, ord, dim ? *dim : Axes{-2, -1}, keepdim);
}

}  // namespace descent::linalg
