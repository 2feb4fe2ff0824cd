// Elementwise math: powers, exp/log/sqrt, abs, clamping and elementwise extrema. Values are
// xsimd-vectorised xtensor expressions; backward rules that need a mask or a power are fused
// into one kernel over the gradient and the saved inputs (one pass, no temporaries), and are
// gradchecked like the composed ones.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include <cmath>
#include <numbers>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "ops/piecewise_grad.hpp"

namespace descent {

using autograd::record;
using kernels::value_t;
using Grads = std::vector<Tensor>;

// --- powers ----------------------------------------------------------------------------------

Tensor pow(const Tensor& x, double exponent) {
  Tensor out;
  if (exponent == 2)
    out = kernels::unary_values("pow", x, [](auto&& v) { return v * v; });
  else if (exponent == 0.5)
    out = kernels::unary_values("pow", x, [](auto&& v) { return xt::sqrt(v); });
  else
    out = kernels::unary_values("pow", x, [exponent](auto&& v) {
      return kernels::pow(v, static_cast<value_t<decltype(v)>>(exponent));
    });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"exponent", exponent}}; });
  // d(x^e)/dx = e * x^(e-1), and 0 when e == 0 (as PyTorch: no 0 * inf at x = 0); one fused pass,
  // or recorded ops under create_graph
  return record("pow", out, {x}, [sx = SavedTensor(x), exponent](const Tensor& g) {
    const Tensor x = sx.unpack();
    if (exponent == 0) return Grads{zeros_like(x)};
    if (autograd::is_grad_enabled()) return Grads{g * (exponent == 2 ? x * 2.0 : pow(x, exponent - 1) * exponent)};
    if (exponent == 2) return Grads{kernels::zip_values("pow", g, x, [](auto&& gv, auto&& v) {
      return gv * (value_t<decltype(v)>(2) * v);
    })};
    return Grads{kernels::zip_values("pow", g, x, [exponent](auto&& gv, auto&& v) {
      using T = value_t<decltype(v)>;
      return gv * (T(exponent) * kernels::pow(v, T(exponent - 1)));
    })};
  });
}

Tensor pow(const Tensor& x, const Tensor& exponent) {
  Tensor out = kernels::binary_values("pow", x, exponent, [](auto&& b, auto&& e) { return kernels::pow(b, e); });
  // d(x^e)/dx = e * x^(e-1) (0 where e == 0); d(x^e)/de = x^e * log(x) (0 where x == 0 and e >= 0,
  // NaN where x < 0), as PyTorch. Composed, not fused: fused kernels over the three broadcast
  // operands doubled this file's compile time (xsimd's pow and log, 4 layouts x 2 dtypes each).
  return record("pow", out, {x, exponent}, [sx = SavedTensor(x), se = SavedTensor(exponent),
                                            sy = SavedTensor::output(out)](const Tensor& g) {
    const Tensor x = sx.unpack(), exponent = se.unpack(), y = sy.unpack();
    const Tensor zero = detail::scalar_like(g, 0);
    Tensor dx, de;
    if (x.requires_grad()) dx = where(eq(exponent, 0), zero, g * exponent * pow(x, exponent - 1.0));
    if (exponent.requires_grad()) {
      const Tensor d = y * log(x);
      de = g * where(ge(exponent, 0), where(eq(x, 0), zero, d), d);
    }
    return Grads{dx, de};
  });
}

// A scalar base is a 0-d tensor that needs no gradient: the rule above applies unchanged.
Tensor pow(double base, const Tensor& exponent) { return pow(detail::scalar_like(exponent, base), exponent); }

// --- exp, log, sqrt, erf, abs ---------------------------------------------------------------

Tensor exp(const Tensor& x) {
  Tensor out = kernels::unary_values("exp", x, [](auto&& v) { return kernels::exp(v); });
  // d(exp x)/dx = exp x
  return record("exp", out, {x}, [y = SavedTensor::output(out)](const Tensor& g) { return Grads{g * y.unpack()}; });
}

Tensor log(const Tensor& x) {
  Tensor out = kernels::unary_values("log", x, [](auto&& v) { return kernels::log(v); });
  // d(log x)/dx = 1/x
  return record("log", out, {x}, [x = SavedTensor(x)](const Tensor& g) { return Grads{g / x.unpack()}; });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = kernels::unary_values("sqrt", x, [](auto&& v) { return xt::sqrt(v); });
  // d(sqrt x)/dx = 1 / (2 sqrt x): one fused pass, or recorded ops under create_graph
  return record("sqrt", out, {x}, [sy = SavedTensor::output(out)](const Tensor& g) {
    const Tensor y = sy.unpack();
    if (autograd::is_grad_enabled()) return Grads{g / (y * 2.0)};
    return Grads{kernels::zip_values("sqrt", g, y, [](auto&& gv, auto&& s) {
      return gv / (value_t<decltype(s)>(2) * s);
    })};
  });
}

Tensor erf(const Tensor& x) {
  // kernels::erf: xsimd's erf with its edges fixed (±1 beyond |x| = 6, NaN kept), the same on every ISA.
  Tensor out = kernels::unary_values("erf", x, [](auto&& v) { return kernels::erf(v); });
  // d(erf x)/dx = 2/√π · exp(-x²): one fused pass, or recorded ops under create_graph
  return record("erf", out, {x}, [sx = SavedTensor(x)](const Tensor& g) {
    const Tensor x = sx.unpack();
    if (autograd::is_grad_enabled()) return Grads{g * exp(x * x * -1.0) * (2 * std::numbers::inv_sqrtpi)};
    return Grads{kernels::zip_values("erf", g, x, [](auto&& gv, auto&& v) {
      using T = value_t<decltype(v)>;
      return gv * (T(2 * std::numbers::inv_sqrtpi) * kernels::exp(-(v * v)));
    })};
  });
}

Tensor abs(const Tensor& x) {
  Tensor out = kernels::unary_values("abs", x, [](auto&& v) { return xt::abs(v); });
  // d|x|/dx = sign(x), 0 at x == 0 (as PyTorch)
  return record("abs", out, {x}, [x = SavedTensor(x.detach())](const Tensor& g) {
    return Grads{piecewise_grad("abs_backward", g, [x](const Tensor& gv) {
      return kernels::zip_values("abs", gv, x.unpack(), [](auto&& gr, auto&& v) {
        using T = value_t<decltype(v)>;
        return xt::where(v > T(0), gr, xt::where(v < T(0), -gr, T(0)));
      });
    })};
  });
}

// --- clamping --------------------------------------------------------------------------------

Tensor clamp(const Tensor& x, double min, double max) {
  DESCENT_CHECK(min <= max, "clamp", "min (", min, ") must not be greater than max (", max, ")");
  Tensor out = kernels::unary_values("clamp", x, [min, max](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::clip(v, T(min), T(max));
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"min", min}, {"max", max}}; });
  // d(clamp x)/dx = 1 where min <= x <= max, 0 elsewhere (as PyTorch: the bounds pass the gradient)
  return record("clamp", out, {x}, [x = SavedTensor(x.detach()), min, max](const Tensor& g) {
    return Grads{piecewise_grad("clamp_backward", g, [x, min, max](const Tensor& gv) {
      return kernels::zip_values("clamp", gv, x.unpack(), [min, max](auto&& gr, auto&& v) {
        using T = value_t<decltype(v)>;
        return xt::where(v >= T(min) && v <= T(max), gr, T(0));
      });
    })};
  });
}

Tensor clamp_min(const Tensor& x, double min) {
  Tensor out = kernels::unary_values("clamp_min", x, [min](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v < T(min), T(min), v);  // NaN stays NaN
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"min", min}}; });
  // d(clamp_min x)/dx = 1 where x >= min, 0 elsewhere
  return record("clamp_min", out, {x}, [x = SavedTensor(x.detach()), min](const Tensor& g) {
    return Grads{piecewise_grad("clamp_min_backward", g, [x, min](const Tensor& gv) {
      return kernels::zip_values("clamp_min", gv, x.unpack(), [min](auto&& gr, auto&& v) {
        using T = value_t<decltype(v)>;
        return xt::where(v >= T(min), gr, T(0));
      });
    })};
  });
}

Tensor clamp_max(const Tensor& x, double max) {
  Tensor out = kernels::unary_values("clamp_max", x, [max](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v > T(max), T(max), v);  // NaN stays NaN
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"max", max}}; });
  // d(clamp_max x)/dx = 1 where x <= max, 0 elsewhere
  return record("clamp_max", out, {x}, [x = SavedTensor(x.detach()), max](const Tensor& g) {
    return Grads{piecewise_grad("clamp_max_backward", g, [x, max](const Tensor& gv) {
      return kernels::zip_values("clamp_max", gv, x.unpack(), [max](auto&& gr, auto&& v) {
        using T = value_t<decltype(v)>;
        return xt::where(v <= T(max), gr, T(0));
      });
    })};
  });
}

// --- elementwise extrema ---------------------------------------------------------------------

namespace {

/// The gradient reaching `self` in maximum(self, other) (minimum if !is_max): g where self wins,
/// g/2 on ties, 0 where it loses (PyTorch's rule; where either is NaN, g).
Tensor elementwise_extremum_grad(const char* op, const Tensor& g, const SavedTensor& self, const SavedTensor& other,
                                 bool is_max) {
  // self loses to other where other is the larger (maximum): other > self, i.e. self < other.
  const SavedTensor& small = is_max ? self : other;
  const SavedTensor& large = is_max ? other : self;
  return piecewise_grad(op, g, [op, small, large](const Tensor& gv) {
    return kernels::ternary_values(op, gv, small.unpack(), large.unpack(), [](auto&& gr, auto&& s, auto&& l) {
      using T = value_t<decltype(s)>;
      return xt::where(xt::equal(s, l), T(0.5) * gr, xt::where(s < l, T(0), gr));
    });
  });
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("maximum", a, b, [](auto&& x, auto&& y) {
    return xt::where(x > y || xt::isnan(x), x, y);  // NaN in either input gives NaN
  });
  // d max(a,b)/da = [a > b] + [a == b]/2, d max(a,b)/db = [b > a] + [a == b]/2
  return record("maximum", out, {a, b}, [sa = SavedTensor(a.detach()), sb = SavedTensor(b.detach()),
                                         da = a.requires_grad(), db = b.requires_grad()](const Tensor& g) {
    return Grads{da ? elementwise_extremum_grad("maximum_backward", g, sa, sb, true) : Tensor(),
                 db ? elementwise_extremum_grad("maximum_backward", g, sb, sa, true) : Tensor()};
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("minimum", a, b, [](auto&& x, auto&& y) {
    return xt::where(x < y || xt::isnan(x), x, y);  // NaN in either input gives NaN
  });
  // d min(a,b)/da = [a < b] + [a == b]/2, d min(a,b)/db = [b < a] + [a == b]/2
  return record("minimum", out, {a, b}, [sa = SavedTensor(a.detach()), sb = SavedTensor(b.detach()),
                                         da = a.requires_grad(), db = b.requires_grad()](const Tensor& g) {
    return Grads{da ? elementwise_extremum_grad("minimum_backward", g, sa, sb, false) : Tensor(),
                 db ? elementwise_extremum_grad("minimum_backward", g, sb, sa, false) : Tensor()};
  });
}

}  // namespace descent
