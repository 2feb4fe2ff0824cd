// Activation functions. Forward values are xtensor expressions (xsimd-vectorised) or, for
// softmax / log_softmax, raw loops over (outer, axis, inner) blocks of a contiguous tensor.
// These are hot ops, so each backward rule is a small fused kernel over the gradient and the
// saved input or output rather than a chain of Tensor ops; gradchecks cover every one.

#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/activation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "descent/autograd/function.hpp"
#include "detail/elementwise.hpp"
#include "kernels/math.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// The element type of an xtensor expression.
template <class E> using value_t = typename std::decay_t<E>::value_type;

/// grad_in = kernel(g, saved) elementwise: the backward of a unary op, as one xtensor expression.
template <class Kernel> Tensor unary_grad(const char* op, const Tensor& g, const Tensor& saved, Kernel kernel) {
  return detail::binary_values(op, g, saved, kernel);
}

}  // namespace

// --- elementwise -----------------------------------------------------------------------------

Tensor relu(const Tensor& x) {
  detail::check_floating("relu", x);
  // (x < 0 ? 0 : x) keeps NaN, like PyTorch.
  Tensor out = detail::unary_values("relu", x, [](auto&& v) {
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
  Tensor out = detail::unary_values("leaky_relu", x, [negative_slope](auto&& v) {
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
  Tensor out = detail::unary_values("sigmoid", x, [](auto&& v) {
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
  Tensor out = detail::unary_values("tanh", x, [](auto&& v) { return xt::tanh(v); });
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
  Tensor out = detail::unary_values("gelu", x, [](auto&& v) {
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
      return gv * (T(0.5) * (T(1) + kernels::erf(xv * inv_sqrt2)) + xv * kernels::exp(T(-0.5) * xv * xv) * inv_sqrt_2pi);
    })};
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_floating("softplus", x);
  DESCENT_CHECK(std::isfinite(beta) && beta != 0, "softplus", "invalid beta ", beta, " (must be a finite number other than 0)");
  Tensor out = detail::unary_values("softplus", x, [beta, threshold](auto&& v) {
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

// --- softmax / log_softmax ---------------------------------------------------------------------
//
// A contiguous tensor seen as (outer, n, inner) around the axis. For the last axis (inner == 1)
// each row is a tight xsimd loop; otherwise the kernels run over whole `inner`-long rows at once,
// keeping one running max / sum per column.

namespace {

struct AxisBlocks {
  std::size_t outer = 1, n = 1, inner = 1;
};

AxisBlocks axis_blocks(const char* op, const Tensor& x, std::ptrdiff_t axis) {
  // A 0-d tensor behaves as one element along axis 0 or -1, like PyTorch.
  const std::size_t a = normalize_axis(op, axis, std::max<std::size_t>(x.dim(), 1), x.shape());
  AxisBlocks b;
  if (x.dim() == 0) return b;
  const Shape& s = x.shape();
  b.n = s[a];
  for (std::size_t i = 0; i < a; ++i) b.outer *= s[i];
  for (std::size_t i = a + 1; i < s.size(); ++i) b.inner *= s[i];
  return b;
}

template <class T> using batch = xsimd::batch<T>;
template <class T> constexpr std::size_t lanes = batch<T>::size;

template <class T> T row_max(const T* x, std::size_t n) {
  T m = -std::numeric_limits<T>::infinity();
  std::size_t k = 0;
  if (n >= lanes<T>) {
    batch<T> bm = batch<T>::load_unaligned(x);
    for (k = lanes<T>; k + lanes<T> <= n; k += lanes<T>) bm = xsimd::max(bm, batch<T>::load_unaligned(x + k));
    alignas(64) T tmp[lanes<T>];
    bm.store_aligned(tmp);
    for (std::size_t j = 0; j < lanes<T>; ++j) m = tmp[j] > m ? tmp[j] : m;
  }
  for (; k < n; ++k) m = x[k] > m ? x[k] : m;
  return m;
}

template <class T> T row_sum(const T* x, std::size_t n) {
  batch<T> acc(T(0));
  std::size_t k = 0;
  for (; k + lanes<T> <= n; k += lanes<T>) acc += batch<T>::load_unaligned(x + k);
  T s = xsimd::hadd(acc);
  for (; k < n; ++k) s += x[k];
  return s;
}

template <class T> T row_dot(const T* x, const T* y, std::size_t n) {
  batch<T> acc(T(0));
  std::size_t k = 0;
  for (; k + lanes<T> <= n; k += lanes<T>)
    acc = xsimd::fma(batch<T>::load_unaligned(x + k), batch<T>::load_unaligned(y + k), acc);
  T s = xsimd::hadd(acc);
  for (; k < n; ++k) s += x[k] * y[k];
  return s;
}

/// y = exp(x - m) over a row; returns sum(y).
template <class T> T exp_shifted(const T* x, T m, T* y, std::size_t n) {
  const batch<T> bm(m);
  batch<T> acc(T(0));
  std::size_t k = 0;
  for (; k + lanes<T> <= n; k += lanes<T>) {
    const batch<T> e = kernels::exp(batch<T>::load_unaligned(x + k) - bm);
    e.store_unaligned(y + k);
    acc += e;
  }
  T s = xsimd::hadd(acc);
  for (; k < n; ++k) s += (y[k] = std::exp(x[k] - m));
  return s;
}

/// y = exp(x - m) elementwise with a per-column shift m; sum += y.
template <class T> void exp_shifted_columns(const T* x, const T* m, T* y, T* sum, std::size_t n) {
  std::size_t k = 0;
  for (; k + lanes<T> <= n; k += lanes<T>) {
    const batch<T> e = kernels::exp(batch<T>::load_unaligned(x + k) - batch<T>::load_unaligned(m + k));
    e.store_unaligned(y + k);
    (batch<T>::load_unaligned(sum + k) + e).store_unaligned(sum + k);
  }
  for (; k < n; ++k) sum[k] += (y[k] = std::exp(x[k] - m[k]));
}

/// softmax (log = false) or log_softmax (log = true) of x into y, both contiguous.
template <class T> void softmax_forward(const T* x, T* y, AxisBlocks b, bool log) {
  const std::size_t n = b.n, inner = b.inner;
  if (inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o, x += n, y += n) {
      const T m = row_max(x, n);
      const T s = exp_shifted(x, m, y, n);
      if (log) {
        const T shift = m + std::log(s);
        for (std::size_t k = 0; k < n; ++k) y[k] = x[k] - shift;
      } else {
        const T r = T(1) / s;
        for (std::size_t k = 0; k < n; ++k) y[k] *= r;
      }
    }
    return;
  }
  std::vector<T> m(inner), s(inner);
  for (std::size_t o = 0; o < b.outer; ++o, x += n * inner, y += n * inner) {
    std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
    std::fill(s.begin(), s.end(), T(0));
    for (std::size_t k = 0; k < n; ++k) {
      const T* xk = x + k * inner;
      for (std::size_t i = 0; i < inner; ++i) m[i] = xk[i] > m[i] ? xk[i] : m[i];
    }
    // (x - max) is NaN for rows of all -inf or with +inf, which then give NaN like PyTorch.
    for (std::size_t k = 0; k < n; ++k) exp_shifted_columns(x + k * inner, m.data(), y + k * inner, s.data(), inner);
    if (log) {
      for (std::size_t i = 0; i < inner; ++i) m[i] += std::log(s[i]);
      for (std::size_t k = 0; k < n; ++k) {
        const T* xk = x + k * inner;
        T* yk = y + k * inner;
        for (std::size_t i = 0; i < inner; ++i) yk[i] = xk[i] - m[i];
      }
    } else {
      for (std::size_t i = 0; i < inner; ++i) s[i] = T(1) / s[i];
      for (std::size_t k = 0; k < n; ++k) {
        T* yk = y + k * inner;
        for (std::size_t i = 0; i < inner; ++i) yk[i] *= s[i];
      }
    }
  }
}

/// dx = s * (g - sum(g * s, axis)), from the saved softmax s.
template <class T> void softmax_backward(const T* g, const T* s, T* dx, AxisBlocks b) {
  const std::size_t n = b.n, inner = b.inner;
  if (inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o, g += n, s += n, dx += n) {
      const T dot = row_dot(g, s, n);
      for (std::size_t k = 0; k < n; ++k) dx[k] = s[k] * (g[k] - dot);
    }
    return;
  }
  std::vector<T> dot(inner);
  for (std::size_t o = 0; o < b.outer; ++o, g += n * inner, s += n * inner, dx += n * inner) {
    std::fill(dot.begin(), dot.end(), T(0));
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t i = 0; i < inner; ++i) dot[i] += g[k * inner + i] * s[k * inner + i];
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t i = 0; i < inner; ++i) dx[k * inner + i] = s[k * inner + i] * (g[k * inner + i] - dot[i]);
  }
}

/// dx = g - exp(y) * sum(g, axis), from the saved log_softmax y.
template <class T> void log_softmax_backward(const T* g, const T* y, T* dx, AxisBlocks b) {
  const std::size_t n = b.n, inner = b.inner;
  if (inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o, g += n, y += n, dx += n) {
      const T sg = row_sum(g, n);
      const batch<T> bsg(sg);
      std::size_t k = 0;
      for (; k + lanes<T> <= n; k += lanes<T>) {
        const batch<T> e = kernels::exp(batch<T>::load_unaligned(y + k));
        xsimd::fnma(e, bsg, batch<T>::load_unaligned(g + k)).store_unaligned(dx + k);
      }
      for (; k < n; ++k) dx[k] = g[k] - std::exp(y[k]) * sg;
    }
    return;
  }
  std::vector<T> sg(inner);
  for (std::size_t o = 0; o < b.outer; ++o, g += n * inner, y += n * inner, dx += n * inner) {
    std::fill(sg.begin(), sg.end(), T(0));
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t i = 0; i < inner; ++i) sg[i] += g[k * inner + i];
    for (std::size_t k = 0; k < n; ++k) {
      const T* gk = g + k * inner;
      const T* yk = y + k * inner;
      T* dk = dx + k * inner;
      std::size_t i = 0;
      for (; i + lanes<T> <= inner; i += lanes<T>) {
        const batch<T> e = kernels::exp(batch<T>::load_unaligned(yk + i));
        const batch<T> d = xsimd::fnma(e, batch<T>::load_unaligned(sg.data() + i), batch<T>::load_unaligned(gk + i));
        d.store_unaligned(dk + i);
      }
      for (; i < inner; ++i) dk[i] = gk[i] - std::exp(yk[i]) * sg[i];
    }
  }
}

/// softmax or log_softmax values of x along `axis`, not recorded.
Tensor softmax_values(const char* op, const Tensor& x, AxisBlocks b, bool log) {
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(x.shape(), x.dtype());
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    softmax_forward<T>(cx.data<T>(), out.data<T>(), b, log);
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
  const AxisBlocks b = axis_blocks("softmax", x, axis);
  Tensor out = softmax_values("softmax", x, b, false);
  // d(softmax x)/dx · g = s * (g - sum(g * s, axis)), from the saved output s
  return record("softmax", out, {x}, [s = out.detach(), b](const Tensor& g) {
    return Grads{softmax_grad("softmax_backward", g, s, b, [](auto... args) { softmax_backward(args...); })};
  });
}

Tensor log_softmax(const Tensor& x, std::ptrdiff_t axis) {
  detail::check_floating("log_softmax", x);
  const AxisBlocks b = axis_blocks("log_softmax", x, axis);
  Tensor out = softmax_values("log_softmax", x, b, true);
  // d(log_softmax x)/dx · g = g - softmax(x) * sum(g, axis), softmax = exp(saved output)
  return record("log_softmax", out, {x}, [y = out.detach(), b](const Tensor& g) {
    return Grads{softmax_grad("log_softmax_backward", g, y, b, [](auto... args) { log_softmax_backward(args...); })};
  });
}

}  // namespace descent
