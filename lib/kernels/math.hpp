#pragma once
// Edge-safe SIMD math: xsimd functions whose results differ from std:: (and PyTorch) at the edges,
// corrected with selects, plus the xtensor functions that use them on the vectorised part of an
// array (the scalar head and tail use std::). tests/ops/test_simd_edges.cpp pins every
// transcendental descent uses at 0, ±0, ±inf, NaN, denormals and huge arguments; CI runs it at
// native, x86-64-v3 (AVX2) and x86-64 (SSE2).
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <utility>

#include <xsimd/xsimd.hpp>
#include <xtensor/xmath.hpp>

namespace descent::kernels {

/// exp(x) over its whole range. xsimd 8.1's exp (every arch) gives inf from 88.38 on (float32;
/// 709.44 in float64) though exp(88.7f) is 3.3e38, and 0 for every denormal result (exp(-100f) is
/// 3.8e-44). Found by test_simd_edges. Near the ends (|x| > 87 in float32, 708 in float64) it is
/// exp(x/2)², halving being exact: one exp either way and no branch (a branch on "any lane near
/// the ends" made softmax 1.4× slower in bench_micro).
template <class T, class A> xsimd::batch<T, A> exp(const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  const auto edge = xsimd::abs(x) > B(T(sizeof(T) == 4 ? 87 : 708));
  if constexpr (sizeof(T) == 4) {
    const B e = xsimd::exp(xsimd::select(edge, x * T(0.5), x));
    return xsimd::select(edge, e * e, e);
  } else {
    // float64's exp converts k = round(x / ln 2) to int64 one lane at a time where the ISA has no
    // vector conversion (AVX2, AVX-512BW without DQ): undefined for ±inf and NaN (UBSan's
    // float-cast-overflow). The argument is clamped to where exp(x/2)² is 0 or inf anyway, and
    // NaN is passed around the call.
    const auto nan = xsimd::isnan(x);
    const B half = xsimd::max(xsimd::min(x * 0.5, B(800.0)), B(-800.0));
    const B e = xsimd::exp(xsimd::select(nan, B(0.0), xsimd::select(edge, half, x)));
    return xsimd::select(nan, x, xsimd::select(edge, e * e, e));
  }
}

/// log(x), exact for denormal x too: xsimd 8.1's float64 log (every arch) gives log(5e-324) =
/// -746.5 (-744.4); a denormal is scaled by 2^54 first. Found by test_simd_edges.
template <class T, class A> xsimd::batch<T, A> log(const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  const auto denormal = (x > B(T(0))) & (x < B(std::numeric_limits<T>::min()));
  const T scale = T(18014398509481984.0);  // 2^54
  return xsimd::log(xsimd::select(denormal, x * scale, x)) -
         xsimd::select(denormal, B(T(54 * std::numbers::ln2)), B(T(0)));
}

/// The lanes of x at which a float64 xsimd function may be called: its exp converts k = round(x /
/// ln 2) to int64 one lane at a time where the ISA has no vector conversion (AVX2, AVX-512BW
/// without DQ), undefined for ±inf and NaN (UBSan's float-cast-overflow, in tanh and erf too).
/// Lanes outside [-limit, limit] and NaN lanes go in as 0; the caller selects their results.
template <class T, class A> xsimd::batch<T, A> safe_argument(const xsimd::batch<T, A>& x, T limit) {
  using B = xsimd::batch<T, A>;
  return xsimd::select(xsimd::abs(x) <= B(limit), x, B(T(0)));  // (false for NaN)
}

/// erf(x): xsimd 8.1's float64 erf (every arch) is NaN for huge |x| (erf(1e300)); erf(x) rounds
/// to ±1 for |x| > 6 in both float types. Found by test_simd_edges.
template <class T, class A> xsimd::batch<T, A> erf(const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  const B r =
      xsimd::select(xsimd::abs(x) > B(T(6)), xsimd::copysign(B(T(1)), x), xsimd::erf(safe_argument(x, T(6))));
  return xsimd::select(xsimd::isnan(x), x, r);
}

/// tanh(x), ±1 beyond |x| = 20 (where it rounds to ±1 in both float types), so that float64's
/// xsimd tanh never sees ±inf or NaN (see safe_argument).
template <class T, class A> xsimd::batch<T, A> tanh(const xsimd::batch<T, A>& x) {
  using B = xsimd::batch<T, A>;
  if constexpr (sizeof(T) == 4) {
    return xsimd::tanh(x);
  } else {
    const B r =
        xsimd::select(xsimd::abs(x) > B(20.0), xsimd::copysign(B(1.0), x), xsimd::tanh(safe_argument(x, 20.0)));
    return xsimd::select(xsimd::isnan(x), x, r);
  }
}

/// pow(x, y) by C99 Annex F (as std::pow and PyTorch). xsimd 8.1's generic pow (the one every arch
/// uses: SSE2, AVX2, AVX-512) is exp(y log|x|) with 0 wherever x == 0, so pow(0, 0) = 0 and
/// pow(0, -1) = 0 (C99: 1 and inf), pow(NaN, 0) = pow(1, NaN) = pow(±1, ±inf) = pow(inf, 0) = NaN
/// (C99: 1), pow(-inf, 0.5) = NaN (C99: inf), and its odd test says odd for every even exponent
/// beyond 2^53 (2^24 in float32): pow(-2, 2^60) = -inf. Found by test_elementwise's
/// pow_gradients_at_edges_as_pytorch on an AVX2 build (on AVX-512 its 5 doubles were all in the
/// scalar tail). Through the exp and log below (denormals, the whole range).
template <class T, class A> xsimd::batch<T, A> pow(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& y) {
  using B = xsimd::batch<T, A>;
  const B zero(T(0)), one(T(1)), ax = xsimd::abs(x), ay = xsimd::abs(y);
  // |x|^y: log(0) = -inf and log(inf) = inf give 0 or inf through exp, as C99 wants for ±0 and ±inf.
  B r = kernels::exp(y * kernels::log(ax));
  const auto integer = xsimd::trunc(y) == y;  // false for ±inf and NaN
  const auto beyond_odd = ay >= B(T(std::uint64_t(1) << std::numeric_limits<T>::digits));  // even there
  const auto odd = integer & !beyond_odd & (xsimd::trunc(y * T(0.5)) != y * T(0.5));
  r = xsimd::select(odd, xsimd::copysign(r, x), r);  // a negative base (or -0) to an odd power
  const auto negative_finite = (x < zero) & (ax != B(std::numeric_limits<T>::infinity()));
  r = xsimd::select(negative_finite & !integer & xsimd::isfinite(y), B(std::numeric_limits<T>::quiet_NaN()), r);
  return xsimd::select((y == zero) | (x == one) | ((ax == one) & xsimd::isinf(y)), one, r);
}

// The xtensor functions (kernels::exp(expression), ...): the batch functions above on the
// vectorised part, std:: on the scalar head and tail.
#define DESCENT_KERNELS_UNARY(name)                                                              \
  struct name##_fun {                                                                           \
    template <class T> T operator()(T x) const { return std::name(x); }                        \
    template <class B> B simd_apply(const B& x) const { return kernels::name(x); }             \
  };                                                                                            \
  template <class E>                                                                            \
    requires xt::is_xexpression<std::decay_t<E>>::value                                         \
  auto name(E&& e) {                                                                            \
    return xt::detail::make_xfunction<name##_fun>(std::forward<E>(e));                          \
  }
DESCENT_KERNELS_UNARY(exp)
DESCENT_KERNELS_UNARY(log)
DESCENT_KERNELS_UNARY(erf)
DESCENT_KERNELS_UNARY(tanh)
#undef DESCENT_KERNELS_UNARY

struct pow_fun {
  template <class T> T operator()(T x, T y) const { return std::pow(x, y); }
  template <class B> B simd_apply(const B& x, const B& y) const { return kernels::pow(x, y); }
};

/// xt::pow with the edge-safe batch pow above.
template <class E1, class E2>
  requires(xt::is_xexpression<std::decay_t<E1>>::value || xt::is_xexpression<std::decay_t<E2>>::value)
auto pow(E1&& base, E2&& exponent) {
  return xt::detail::make_xfunction<pow_fun>(std::forward<E1>(base), std::forward<E2>(exponent));
}

}  // namespace descent::kernels
