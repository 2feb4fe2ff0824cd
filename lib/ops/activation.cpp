// Activation functions. Forward values are xtensor expressions (xsimd-vectorised) or, for
// softmax / log_softmax, the raw loops of kernels/softmax.hpp.
// These are hot ops, so each backward rule is a small fused kernel over the gradient and the
// saved input or output rather than a chain of Tensor ops; gradchecks cover every one.

#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/activation.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "descent/autograd/function.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "kernels/softmax.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

using kernels::value_t;

namespace {

/// grad_in = kernel(g, saved) elementwise: the backward of a unary op, as one xtensor expression.
template <class Kernel> Tensor unary_grad(const char* op, const Tensor& g, const Tensor& saved, Kernel kernel) {
  return kernels::binary_values(op, g, saved, kernel);
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
  return record("relu", out, {x}, [y = out.detach()](const Tensor& g) {
    return Grads{unary_grad("relu_backward", g, y, [](auto&& gv, auto&& yv) {
      using T = value_t<decltype(gv)>;
      return xt::where(yv > T(0), gv, T(0));
    })};
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
  // d(leaky_relu x)/dx = 1 for x > 0, negative_slope otherwise
  return record("leaky_relu", out, {x}, [xs = x.detach(), negative_slope](const Tensor& g) {
    return Grads{unary_grad("leaky_relu_backward", g, xs, [negative_slope](auto&& gv, auto&& xv) {
      using T = value_t<decltype(gv)>;
      return xt::where(xv > T(0), gv, gv * T(negative_slope));
    })};
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
  return record("sigmoid", out, {x}, [s = out.detach()](const Tensor& g) {
    return Grads{unary_grad("sigmoid_backward", g, s, [](auto&& gv, auto&& sv) {
      using T = value_t<decltype(gv)>;
      return gv * sv * (T(1) - sv);
    })};
  });
}

Tensor tanh(const Tensor& x) {
  detail::check_floating("tanh", x);
  Tensor out = kernels::unary_values("tanh", x, [](auto&& v) { return kernels::tanh(v); });
  // d(tanh x)/dx = 1 - t², from the saved output
  return record("tanh", out, {x}, [t = out.detach()](const Tensor& g) {
    return Grads{unary_grad("tanh_backward", g, t, [](auto&& gv, auto&& tv) {
      using T = value_t<decltype(gv)>;
      return gv * (T(1) - tv * tv);
    })};
  });
}

Tensor gelu(const Tensor& x) {
  detail::check_floating("gelu", x);
  // x·Φ(x) = x/2 · (1 + erf(x/√2)), the formula PyTorch uses.
  Tensor out = kernels::unary_values("gelu", x, [](auto&& v) {
    using T = value_t<decltype(v)>;
    return T(0.5) * v * (T(1) + kernels::erf(v * (T(1) / std::numbers::sqrt2_v<T>)));
  });
  // d(gelu x)/dx = Φ(x) + x·φ(x), φ(x) = exp(-x²/2)/√(2π)
  return record("gelu", out, {x}, [xs = x.detach()](const Tensor& g) {
    return Grads{unary_grad("gelu_backward", g, xs, [](auto&& gv, auto&& xv) {
      using T = value_t<decltype(gv)>;
      // static: the returned expression holds named scalars by reference (found by ASan)
      static constexpr T inv_sqrt2 = T(1) / std::numbers::sqrt2_v<T>;
      static constexpr T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> * inv_sqrt2;
      return gv * (T(0.5) * (T(1) + kernels::erf(xv * inv_sqrt2)) +
                   xv * kernels::exp(T(-0.5) * xv * xv) * inv_sqrt_2pi);
    })};
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_floating("softplus", x);
  DESCENT_CHECK(std::isfinite(beta) && beta != 0, "softplus", "invalid beta ", beta, " (must be a finite number other than 0)");
  Tensor out = kernels::unary_values("softplus", x, [beta, threshold](auto&& v) {
    using T = value_t<decltype(v)>;
    return xt::where(v * T(beta) > T(threshold), v, xt::log1p(kernels::exp(v * T(beta))) / T(beta));
  });
  // d(softplus x)/dx = sigmoid(beta·x) = 1/(1 + exp(-beta·x)); 1 where linear. (One expression:
  // a named sub-expression would be held by reference and die with the lambda's frame.)
  return record("softplus", out, {x}, [xs = x.detach(), beta, threshold](const Tensor& g) {
    return Grads{unary_grad("softplus_backward", g, xs, [beta, threshold](auto&& gv, auto&& xv) {
      using T = value_t<decltype(gv)>;
      return xt::where(xv * T(beta) > T(threshold), gv, gv / (T(1) + kernels::exp(xv * T(-beta))));
    })};
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

}  // namespace

Tensor softmax(const Tensor& x, std::ptrdiff_t axis) {
  detail::check_floating("softmax", x);
  const AxisBlocks b = kernels::axis_blocks("softmax", x, axis);
  Tensor out = softmax_values("softmax", x, b, false);
  // d(softmax x)/dx · g = s * (g - sum(g * s, axis)), from the saved output s
  return record("softmax", out, {x}, [s = out.detach(), b](const Tensor& g) {
    return Grads{softmax_grad("softmax_backward", g, s, b, [](auto... args) { kernels::softmax_backward(args...); })};
  });
}

Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis) {
  detail::check_floating("log_softmax", x);
  const AxisBlocks b = kernels::axis_blocks("log_softmax", x, axis);
  Tensor out = softmax_values("log_softmax", x, b, true);
  // d(log_softmax x)/dx · g = g - softmax(x) * sum(g, axis), softmax = exp(saved output)
  return record("log_softmax", out, {x}, [y = out.detach(), b](const Tensor& g) {
    return Grads{softmax_grad("log_softmax_backward", g, y, b,
                              [](auto... args) { kernels::log_softmax_backward(args...); })};
  });
}

}  // namespace descent
