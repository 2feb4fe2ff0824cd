// Activation functions. Forward values are xtensor expressions (xsimd-vectorised) or, for
// softmax / log_softmax, the raw loops of kernels/softmax.hpp.
// These are hot ops, so each backward rule is a small fused kernel over the gradient and the
// saved input or output rather than a chain of Tensor ops; gradchecks cover every one.

#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/activation.hpp"

#include <cmath>
#include <numbers>
#include <string_view>
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "kernels/softmax.hpp"
#include "ops/piecewise_grad.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

using kernels::value_t;

namespace {

/// grad_in = kernel(g, saved) elementwise: the backward of a unary op, as one xtensor expression
/// (g and saved have the output's shape).
template <class Kernel> Tensor unary_grad(const char* op, const Tensor& g, const Tensor& saved, Kernel kernel) {
  return kernels::zip_values(op, g, saved, kernel);
}

/// The backward of relu or leaky_relu: g where x > 0 (read from y for relu), g·slope elsewhere.
Tensor relu_backward(const Tensor& g, const Tensor& saved, double negative_slope) {
  return piecewise_grad("relu_backward", g, [s = SavedTensor(saved.detach()), negative_slope](const Tensor& gv) {
    return unary_grad("relu_backward", gv, s.unpack(), [negative_slope](auto&& gr, auto&& v) {
      using T = value_t<decltype(gr)>;
      return xt::where(v > T(0), gr, gr * T(negative_slope));
    });
  });
}

/// g·s(1-s), recorded: d/dg = s(1-s), d/ds = g(1-2s).
Tensor sigmoid_backward(const Tensor& g, const Tensor& s) {
  Tensor out = unary_grad("sigmoid_backward", g, s, [](auto&& gv, auto&& sv) {
    using T = value_t<decltype(gv)>;
    return gv * sv * (T(1) - sv);
  });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("sigmoid_backward", out, {g, s}, [g = SavedTensor(g), s = SavedTensor(s)](const Tensor& gg) {
    const Tensor sv = s.unpack();
    return Grads{sigmoid_backward(gg, sv), gg * g.unpack() * (1.0 - 2.0 * sv)};
  });
}

/// g·(1-t²), recorded: d/dg = 1-t², d/dt = -2gt.
Tensor tanh_backward(const Tensor& g, const Tensor& t) {
  Tensor out = unary_grad("tanh_backward", g, t, [](auto&& gv, auto&& tv) {
    using T = value_t<decltype(gv)>;
    return gv * (T(1) - tv * tv);
  });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("tanh_backward", out, {g, t}, [g = SavedTensor(g), t = SavedTensor(t)](const Tensor& gg) {
    const Tensor tv = t.unpack();
    return Grads{tanh_backward(gg, tv), gg * g.unpack() * tv * -2.0};
  });
}

/// g·(Φ(x) + x·φ(x)), φ(x) = exp(-x²/2)/√(2π), recorded: d/dx = g·φ(x)·(2 - x²).
Tensor gelu_backward(const Tensor& g, const Tensor& x) {
  Tensor out = unary_grad("gelu_backward", g, x, [](auto&& gv, auto&& xv) {
    using T = value_t<decltype(gv)>;
    // static: the returned expression holds named scalars by reference (found by ASan)
    static constexpr T inv_sqrt2 = T(1) / std::numbers::sqrt2_v<T>;
    static constexpr T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> * inv_sqrt2;
    return gv * (T(0.5) * (T(1) + kernels::erf(xv * inv_sqrt2)) + xv * kernels::exp(T(-0.5) * xv * xv) * inv_sqrt_2pi);
  });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("gelu_backward", out, {g, x}, [g = SavedTensor(g), x = SavedTensor(x)](const Tensor& gg) {
    const Tensor xv = x.unpack();
    const Tensor phi = exp(xv * xv * -0.5) * (std::numbers::inv_sqrtpi / std::numbers::sqrt2);
    return Grads{gelu_backward(gg, xv), gg * g.unpack() * phi * (2.0 - xv * xv)};
  });
}

// The tanh approximation, PyTorch's formula and order of operations: gelu(x) = x/2 · (1 + t) with
// t = tanh(u), u = β(x + κx³), β = √(2/π), κ = 0.044715.
template <class T> inline constexpr T gelu_beta = T(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
template <class T> inline constexpr T gelu_kappa = T(0.044715);

/// g·(½(1 + t) + ½x(1 - t²)·β(1 + 3κx²)) elementwise, with one tanh per element: xsimd batches go
/// through kernels::tanh, the scalar head and tail through std::tanh (as kernels::tanh(expression)).
struct gelu_tanh_grad_fun {
  template <class V, class T = V> static V apply(const V& g, const V& x, const V& t) {
    const V left = T(0.5) * x, right = T(1) + t;
    return g * (T(0.5) * right + left * (T(1) - t * t) * gelu_beta<T> * (T(1) + T(3) * gelu_kappa<T> * (x * x)));
  }
  template <class V, class T = V> static V inner(const V& x) { return gelu_beta<T> * (x + gelu_kappa<T> * (x * x * x)); }
  template <class T> T operator()(T g, T x) const { return apply(g, x, std::tanh(inner(x))); }
  template <class B> B simd_apply(const B& g, const B& x) const {
    using T = typename B::value_type;
    return apply<B, T>(g, x, kernels::tanh(inner<B, T>(x)));
  }
};

/// The backward of gelu(x, "tanh"), recorded: d/dg = gelu'(x), d/dx = g·gelu''(x) with
/// gelu'' = (1 - t²)(u' - x·t·u'² + ½x·u''), u' = β(1 + 3κx²), u'' = 6βκx.
Tensor gelu_tanh_backward(const Tensor& g, const Tensor& x) {
  Tensor out = kernels::zip_values("gelu_backward", g, x, [](auto&& gv, auto&& xv) {
    return xt::detail::make_xfunction<gelu_tanh_grad_fun>(std::forward<decltype(gv)>(gv),
                                                          std::forward<decltype(xv)>(xv));
  });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("gelu_backward", out, {g, x}, [g = SavedTensor(g), x = SavedTensor(x)](const Tensor& gg) {
    const Tensor xv = x.unpack();
    const double beta = gelu_beta<double>, kappa = gelu_kappa<double>;
    const Tensor du = (xv * xv * (3 * kappa) + 1.0) * beta;
    const Tensor t = tanh((xv + xv * xv * xv * kappa) * beta);
    const Tensor second = (1.0 - t * t) * (du - xv * t * du * du + xv * xv * (3 * beta * kappa));
    return Grads{gelu_tanh_backward(gg, xv), gg * g.unpack() * second};
  });
}

/// g·sigmoid(βx) where βx <= threshold, g where softplus is linear; recorded: d/dx = g·β·s(1-s) there.
Tensor softplus_backward(const Tensor& g, const Tensor& x, double beta, double threshold) {
  // (One expression: a named sub-expression would be held by reference and die with the lambda's frame.)
  Tensor out = unary_grad("softplus_backward", g, x, [beta, threshold](auto&& gv, auto&& xv) {
    using T = value_t<decltype(gv)>;
    return xt::where(xv * T(beta) > T(threshold), gv, gv / (T(1) + kernels::exp(xv * T(-beta))));
  });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("softplus_backward", out, {g, x},
                [g = SavedTensor(g), x = SavedTensor(x), beta, threshold](const Tensor& gg) {
    const Tensor xv = x.unpack();
    const Tensor s = sigmoid(xv * beta);
    const Tensor curved = le(xv * beta, detail::scalar_like(xv, threshold));
    return Grads{softplus_backward(gg, xv, beta, threshold),
                 where(curved, gg * g.unpack() * s * (1.0 - s) * beta, detail::scalar_like(xv, 0))};
  });
}

}  // namespace

// --- elementwise -----------------------------------------------------------------------------

Tensor relu(const Tensor& x) {
  detail::check_floating("relu", x);
  // (x < 0 ? 0 : x) keeps NaN, like PyTorch.
  Tensor out = kernels::unary_values("relu", x, [](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v < T(0), T(0), v);
  });
  // d(relu x)/dx = (x > 0), read from the saved output (y > 0 exactly where x > 0)
  return record("relu", out, {x}, [y = SavedTensor::output(out)](const Tensor& g) {
    return Grads{relu_backward(g, y.unpack(), 0)};
  });
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  detail::check_floating("leaky_relu", x);
  DESCENT_CHECK(std::isfinite(negative_slope), "leaky_relu", "invalid negative_slope ", negative_slope,
                " (must be a finite number)");
  Tensor out = kernels::unary_values("leaky_relu", x, [negative_slope](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v > T(0), v, v * T(negative_slope));
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"alpha", negative_slope}}; });
  // d(leaky_relu x)/dx = 1 for x > 0, negative_slope otherwise
  return record("leaky_relu", out, {x}, [x = SavedTensor(x), negative_slope](const Tensor& g) {
    return Grads{relu_backward(g, x.unpack(), negative_slope)};
  });
}

Tensor sigmoid(const Tensor& x) {
  detail::check_floating("sigmoid", x);
  // 1/(1+exp(-x)) is stable both ways: exp(-x) overflows to inf for x << 0, giving exactly 0.
  Tensor out = kernels::unary_values("sigmoid", x, [](auto&& v) {
    using T = value_t<decltype(v)>;
    return T(1) / (T(1) + kernels::exp(-v));
  });
  // d(sigmoid x)/dx = s(1-s), from the saved output
  return record("sigmoid", out, {x}, [s = SavedTensor::output(out)](const Tensor& g) {
    return Grads{sigmoid_backward(g, s.unpack())};
  });
}

Tensor tanh(const Tensor& x) {
  detail::check_floating("tanh", x);
  Tensor out = kernels::unary_values("tanh", x, [](auto&& v) { return kernels::tanh(v); });
  // d(tanh x)/dx = 1 - t², from the saved output
  return record("tanh", out, {x}, [t = SavedTensor::output(out)](const Tensor& g) {
    return Grads{tanh_backward(g, t.unpack())};
  });
}

Tensor gelu(const Tensor& x, std::string_view approximate) {
  detail::check_floating("gelu", x);
  DESCENT_CHECK(approximate == "none" || approximate == "tanh", "gelu", "approximate must be \"none\" or \"tanh\", got \"",
                approximate, "\"");
  if (approximate == "tanh") {
    Tensor out = kernels::unary_values("gelu", x, [](auto&& v) {
      using T = value_t<decltype(v)>;
      return T(0.5) * v * (T(1) + kernels::tanh(gelu_beta<T> * (v + gelu_kappa<T> * (v * v * v))));
    });
    // d(gelu x)/dx = ½(1 + t) + ½x(1 - t²)·β(1 + 3κx²), t = tanh(β(x + κx³))
    autograd::trace_attributes(out, [] { return autograd::TraceAttributes{{"approximate", "tanh"}}; });
    return record("gelu", out, {x}, [x = SavedTensor(x)](const Tensor& g) {
      return Grads{gelu_tanh_backward(g, x.unpack())};
    });
  }
  // x·Φ(x) = x/2 · (1 + erf(x/√2)), the formula PyTorch uses.
  Tensor out = kernels::unary_values("gelu", x, [](auto&& v) {
    using T = value_t<decltype(v)>;
    return T(0.5) * v * (T(1) + kernels::erf(v * (T(1) / std::numbers::sqrt2_v<T>)));
  });
  // d(gelu x)/dx = Φ(x) + x·φ(x)
  return record("gelu", out, {x}, [x = SavedTensor(x)](const Tensor& g) { return Grads{gelu_backward(g, x.unpack())}; });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_floating("softplus", x);
  DESCENT_CHECK(std::isfinite(beta) && beta != 0, "softplus", "invalid beta ", beta, " (must be a finite number other than 0)");
  Tensor out = kernels::unary_values("softplus", x, [beta, threshold](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v * T(beta) > T(threshold), v, xt::log1p(kernels::exp(v * T(beta))) / T(beta));
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"beta", beta}, {"threshold", threshold}}; });
  // d(softplus x)/dx = sigmoid(beta·x) = 1/(1 + exp(-beta·x)); 1 where linear
  return record("softplus", out, {x}, [x = SavedTensor(x), beta, threshold](const Tensor& g) {
    return Grads{softplus_backward(g, x.unpack(), beta, threshold)};
  });
}

// --- softmax / log_softmax (kernels/softmax.hpp) --------------------------------------------

namespace {

using kernels::AxisBlocks;

/// softmax or log_softmax values of x along `axis`, not recorded.
Tensor softmax_values(const char* op, const Tensor& x, AxisBlocks b, bool log) {
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(x.shape(), x.dtype());
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::softmax_forward<T>(cx.data<T>(), out.data<T>(), b, log);
  });
  return out;
}

/// The backward kernel `kernel(g, saved, dx, blocks)` over contiguous copies of g and saved.
template <class Kernel> Tensor softmax_grad(const char* op, const Tensor& g, const Tensor& saved, AxisBlocks b,
                                            Kernel kernel) {
  const Tensor cg = detail::contiguous_values(g);
  detail::check_same_dtype(op, cg, saved);
  Tensor dx = empty(saved.shape(), saved.dtype());
  detail::dispatch_floating(op, saved.dtype(), [&](auto e) {
    using T = decltype(e);
    kernel(cg.data<T>(), saved.data<T>(), dx.data<T>(), b);
  });
  return dx;
}

/// The axis the softmax ran along, for sum(..., keepdim): none for a 0-d tensor (one element).
Axes softmax_axes(const Tensor& x, std::ptrdiff_t axis) { return x.dim() == 0 ? Axes{} : Axes{axis}; }

/// s·(g - Σ g·s), recorded: d/dg = the same map of gg (its Jacobian is symmetric),
/// d/ds = gg·(g - Σ g·s) - g·Σ gg·s.
Tensor softmax_backward(const Tensor& g, const Tensor& s, std::ptrdiff_t axis) {
  const AxisBlocks b = kernels::axis_blocks("softmax_backward", s, axis);
  Tensor out = softmax_grad("softmax_backward", g, s, b, [](auto... args) { kernels::softmax_backward(args...); });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("softmax_backward", out, {g, s}, [g = SavedTensor(g), s = SavedTensor(s), axis](const Tensor& gg) {
    const Tensor gv = g.unpack(), sv = s.unpack();
    const Axes axes = softmax_axes(sv, axis);
    return Grads{softmax_backward(gg, sv, axis), gg * (gv - sum(gv * sv, axes, true)) - gv * sum(gg * sv, axes, true)};
  });
}

/// g - p·Σg with p = exp(y), recorded: d/dg = gg - Σ gg·p, d/dy = -gg·p·Σg.
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, std::ptrdiff_t axis) {
  const AxisBlocks b = kernels::axis_blocks("log_softmax_backward", y, axis);
  Tensor out = softmax_grad("log_softmax_backward", g, y, b,
                            [](auto... args) { kernels::log_softmax_backward(args...); });
  if (!autograd::is_grad_enabled()) return out;  // a plain backward: nothing to save
  return record("log_softmax_backward", out, {g, y}, [g = SavedTensor(g), y = SavedTensor(y), axis](const Tensor& gg) {
    const Tensor p = exp(y.unpack());
    const Axes axes = softmax_axes(p, axis);
    return Grads{gg - sum(gg * p, axes, true), -(gg * p * sum(g.unpack(), axes, true))};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, std::ptrdiff_t axis) {
  detail::check_floating("softmax", x);
  const AxisBlocks b = kernels::axis_blocks("softmax", x, axis);
  Tensor out = softmax_values("softmax", x, b, false);
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axis", axis}}; });
  // d(softmax x)/dx · g = s * (g - sum(g * s, axis)), from the saved output s
  return record("softmax", out, {x}, [s = SavedTensor::output(out), axis](const Tensor& g) {
    return Grads{softmax_backward(g, s.unpack(), axis)};
  });
}

Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis) {
  detail::check_floating("log_softmax", x);
  const AxisBlocks b = kernels::axis_blocks("log_softmax", x, axis);
  Tensor out = softmax_values("log_softmax", x, b, true);
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axis", axis}}; });
  // d(log_softmax x)/dx · g = g - softmax(x) * sum(g, axis), softmax = exp(saved output)
  return record("log_softmax", out, {x}, [y = SavedTensor::output(out), axis](const Tensor& g) {
    return Grads{log_softmax_backward(g, y.unpack(), axis)};
  });
}

}  // namespace descent
