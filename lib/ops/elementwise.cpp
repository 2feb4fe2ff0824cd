// Elementwise arithmetic with NumPy broadcasting. Each op computes its values with an xtensor
// expression and records its backward rule beside it; the engine sums broadcast gradients back
// to each input's shape.
#include "descent/ops/elementwise.hpp"

#include "descent/autograd/function.hpp"
#include "detail/elementwise.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

Tensor detail::scalar_like(const Tensor& like, double value) { return full({}, value, like.dtype()); }


Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary_values("add", a, b, [](auto&& x, auto&& y) { return x + y; });
  // d(a+b)/da = 1, d(a+b)/db = 1
  return record("add", out, {a, b}, [](const Tensor& g) { return Grads{g, g}; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary_values("sub", a, b, [](auto&& x, auto&& y) { return x - y; });
  // d(a-b)/da = 1, d(a-b)/db = -1
  return record("sub", out, {a, b}, [](const Tensor& g) { return Grads{g, -g}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary_values("mul", a, b, [](auto&& x, auto&& y) { return x * y; });
  // d(a*b)/da = b, d(a*b)/db = a
  return record("mul", out, {a, b}, [a, b](const Tensor& g) {
    return Grads{a.requires_grad() ? g * b : Tensor(), b.requires_grad() ? g * a : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary_values("div", a, b, [](auto&& x, auto&& y) { return x / y; });
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
  return record("div", out, {a, b}, [a, b](const Tensor& g) {
    return Grads{a.requires_grad() ? g / b : Tensor(), b.requires_grad() ? -(g * a) / (b * b) : Tensor()};
  });
}

Tensor neg(const Tensor& x) {
  Tensor out = detail::unary_values("neg", x, [](auto&& v) { return -v; });
  // d(-x)/dx = -1
  return record("neg", out, {x}, [](const Tensor& g) { return Grads{-g}; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, detail::scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(detail::scalar_like(b, a), b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, detail::scalar_like(a, b)); }
Tensor operator-(double a, const Tensor& b) { return sub(detail::scalar_like(b, a), b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, detail::scalar_like(a, b)); }
Tensor operator*(double a, const Tensor& b) { return mul(detail::scalar_like(b, a), b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, detail::scalar_like(a, b)); }
Tensor operator/(double a, const Tensor& b) { return div(detail::scalar_like(b, a), b); }
Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace descent
