#pragma once
// Raw-loop reduction kernels, shared by lib/ops/reduce*.cpp, the softmax kernels and the losses.
// A reduction of a contiguous tensor is planned once (ReduceLayout): x's axes of length 1 are
// dropped and neighbouring axes of the same kind (kept or reduced) are merged, so reducing the last
// axis of (N,C) is N rows of C elements, reducing the first is C columns of N, and any other choice
// is a few nested runs of those. The kernels then walk x once in memory order, one contiguous run
// (the last merged axis) at a time:
// - a reduced run folds into one output element with independent accumulators (vectorised);
// - a kept run combines elementwise into a contiguous stretch of the output (vectorised).
// Measured on (128,256) float32 (noisy 2-core VM): the sum over axis 1 takes 2 µs against 12-18 µs
// for xtensor's immediate xt::sum, over axis 0 both take ~3 µs; max/min 3-4 µs either way.
// xtensor's reducers are not an option anyway: on an xarray or adaptor shaped by an
// svector<size_t, 4> (descent's Shape), xt::sum(..., immediate) returns an xtensor<T, 4> with
// uninitialised extents (std::bad_array_new_length or a segfault, xtensor 0.24.3, g++ 12).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "descent/ops/reduce.hpp"
#include "detail/dispatch.hpp"
#include "kernels/simd.hpp"

namespace descent::kernels {

struct ReduceLayout {
  std::vector<std::size_t> axes;  ///< the reduced axes of x: non-negative, sorted, distinct
  Shape kept;                     ///< x's shape with the reduced axes set to 1 (the keepdim shape)
  Shape result;                   ///< the shape returned: `kept`, or x's shape without the reduced axes
  std::size_t extent = 1;         ///< elements folded into each output element (0 for an empty axis)
  std::size_t out_numel = 1;
  // The merged axes of a non-empty x (set only when x.numel() > 0):
  Shape runs;                ///< lengths of the merged axes; the last one is the contiguous run
  Strides out_strides;       ///< stride of each merged axis in the output, 0 where reduced
  bool last_reduced = false;  ///< whether the run is reduced (folds) or kept (elementwise)
};

/// Plans reducing x over `axes` (negative ones count from the end; an empty list reduces nothing).
ReduceLayout reduce_layout(const char* op, const Tensor& x, const Axes& axes, bool keepdim);
/// Plans reducing x over all of its axes.
ReduceLayout reduce_layout_all(const Tensor& x);

/// Calls f(x_offset, out_offset) for each run of a contiguous x, in memory order.
template <class F> void for_each_reduce_run(const ReduceLayout& l, F&& f) {
  const std::size_t k = l.runs.size(), n = l.runs[k - 1];
  std::size_t count = 1;
  for (std::size_t d = 0; d + 1 < k; ++d) count *= l.runs[d];
  Shape index(k - 1, 0);
  std::ptrdiff_t o = 0;
  for (std::size_t r = 0; r < count; ++r) {
    f(r * n, o);
    for (std::size_t d = k - 1; d-- > 0;) {  // odometer over the outer merged axes
      o += l.out_strides[d];
      if (++index[d] < l.runs[d]) break;
      o -= l.out_strides[d] * static_cast<std::ptrdiff_t>(l.runs[d]);
      index[d] = 0;
    }
  }
}

// Folding operations: an identity and an associative combine, for scalars and for xsimd batches.
// max/min propagate NaN like NumPy (a NaN operand wins); the comparisons use `|`, not `||`, so
// that they compile to selects, not branches.
template <class T> struct SumOp {
  static constexpr T identity() { return T(0); }
  template <class V> static V combine(V a, V b) { return a + b; }
};
template <class T> struct MaxOp {
  static constexpr T identity() {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::lowest();
  }
  static T combine(T a, T b) { return ((b > a) | (b != b)) ? b : a; }
  template <class A> static xsimd::batch<T, A> combine(xsimd::batch<T, A> a, xsimd::batch<T, A> b) {
    return xsimd::select((b > a) | xsimd::isnan(b), b, a);  // (xsimd 8 on AVX-512: b != b is false for NaN)
  }
};
template <class T> struct MinOp {
  static constexpr T identity() {
    return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  static T combine(T a, T b) { return ((b < a) | (b != b)) ? b : a; }
  template <class A> static xsimd::batch<T, A> combine(xsimd::batch<T, A> a, xsimd::batch<T, A> b) {
    return xsimd::select((b < a) | xsimd::isnan(b), b, a);
  }
};

/// float and double folds use xsimd batches; integer and boolean ones plain loops.
template <class Acc, class In> inline constexpr bool simd_fold = std::is_floating_point_v<Acc> && std::is_same_v<Acc, In>;

/// Folds n contiguous values: 4 independent SIMD accumulators, or 16 scalar ones.
template <class Op, class Acc, class In> Acc fold_run(const In* x, std::size_t n) {
  std::size_t i = 0;
  Acc r = Op::identity();
  if constexpr (simd_fold<Acc, In>) {
    using B = xsimd::batch<Acc>;
    constexpr std::size_t W = B::size;
    B a0(Op::identity()), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 4 * W <= n; i += 4 * W) {
      a0 = Op::combine(a0, B::load_unaligned(x + i));
      a1 = Op::combine(a1, B::load_unaligned(x + i + W));
      a2 = Op::combine(a2, B::load_unaligned(x + i + 2 * W));
      a3 = Op::combine(a3, B::load_unaligned(x + i + 3 * W));
    }
    for (; i + W <= n; i += W) a0 = Op::combine(a0, B::load_unaligned(x + i));
    alignas(64) Acc lanes[W];
    Op::combine(Op::combine(a0, a1), Op::combine(a2, a3)).store_aligned(lanes);
    for (std::size_t k = 0; k < W; ++k) r = Op::combine(r, lanes[k]);
  } else {
    constexpr std::size_t K = 16;
    Acc acc[K];
    for (auto& a : acc) a = Op::identity();
    for (; i + K <= n; i += K)
      for (std::size_t k = 0; k < K; ++k) acc[k] = Op::combine(acc[k], static_cast<Acc>(x[i + k]));
    for (std::size_t k = 0; k < K; ++k) r = Op::combine(r, acc[k]);
  }
  for (; i < n; ++i) r = Op::combine(r, static_cast<Acc>(x[i]));
  return r;
}

/// out[j] = combine(out[j], x[j]) for j < n.
template <class Op, class Acc, class In> void fold_into(const In* x, Acc* out, std::size_t n) {
  std::size_t j = 0;
  if constexpr (simd_fold<Acc, In>) {
    using B = xsimd::batch<Acc>;
    for (; j + B::size <= n; j += B::size)
      Op::combine(B::load_unaligned(out + j), B::load_unaligned(x + j)).store_unaligned(out + j);
  }
  for (; j < n; ++j) out[j] = Op::combine(out[j], static_cast<Acc>(x[j]));
}

/// out (out_numel elements) = the fold of a contiguous, non-empty x over the layout's axes.
template <class Op, class Acc, class In> void reduce_into(const ReduceLayout& l, const In* x, Acc* out) {
  for (std::size_t i = 0; i < l.out_numel; ++i) out[i] = Op::identity();
  const std::size_t n = l.runs.back();
  if (l.last_reduced)
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
      out[o] = Op::combine(out[o], fold_run<Op, Acc>(x + i, n));
    });
  else
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) { fold_into<Op, Acc>(x + i, out + o, n); });
}

/// The values of a reduction as a new tensor of the layout's result shape (Acc: the result type).
template <class Op, class Acc, class In> Tensor reduce_values(const ReduceLayout& l, const Tensor& x) {
  Tensor out = empty(l.result, dtype_of<Acc>());
  Acc* o = out.data<Acc>();
  if (x.numel() == 0) {
    for (std::size_t i = 0; i < l.out_numel; ++i) o[i] = Op::identity();
  } else {
    const Tensor cx = detail::contiguous_values(x);
    reduce_into<Op, Acc>(l, cx.data<In>(), o);
  }
  return out;
}

// --- the backward of max and min: where x hits the result ---------------------------------------

// True where v is the extremum `top` (a NaN extremum matches the NaNs it came from). Bitwise
// operators: a select, not a branch.
template <class T> bool hits(T v, T top) { return (v == top) | ((v != v) & (top != top)); }
template <class T, class A> xsimd::batch_bool<T, A> hits(xsimd::batch<T, A> v, xsimd::batch<T, A> top) {
  return (v == top) | (xsimd::isnan(v) & xsimd::isnan(top));  // (xsimd's != is false for NaN)
}

/// For j < n: on_batch(j, mask) on whole SIMD batches, then on_scalar(j, hit) on the tail, where
/// the mask says which x[j] hit top[j] (top[0] for every j when TopScalar).
template <bool TopScalar, class T, class OnBatch, class OnScalar>
void for_each_hit(const T* x, const T* top, std::size_t n, OnBatch&& on_batch, OnScalar&& on_scalar) {
  using B = xsimd::batch<T>;
  std::size_t j = 0;
  for (; j + B::size <= n; j += B::size)
    on_batch(j, hits(B::load_unaligned(x + j), TopScalar ? B(top[0]) : B::load_unaligned(top + j)));
  for (; j < n; ++j) on_scalar(j, hits(x[j], TopScalar ? top[0] : top[j]));
}

/// dx = the gradient of max/min over the layout: g shared equally among the elements of a
/// contiguous, non-empty x equal to the result `top`, 0 elsewhere (like torch.amax).
template <class T>
void extremum_backward(const ReduceLayout& l, const T* xv, const T* tv, const T* gv, T* out) {
  using B = xsimd::batch<T>;
  const std::size_t n = l.runs.back();
  const B zero(T(0)), one(T(1));
  std::vector<T> share(l.out_numel, T(0));  // first the number of ties, then g / ties
  for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
    T* s = share.data() + o;
    if (l.last_reduced) {
      B ties = zero;
      T tail = 0;
      for_each_hit<true>(
          xv + i, tv + o, n, [&](std::size_t, auto m) { ties += xsimd::select(m, one, zero); },
          [&](std::size_t, bool h) { tail += h; });
      s[0] += xsimd::hadd(ties) + tail;
    } else {
      for_each_hit<false>(
          xv + i, tv + o, n,
          [&](std::size_t j, auto m) { (B::load_unaligned(s + j) + xsimd::select(m, one, zero)).store_unaligned(s + j); },
          [&](std::size_t j, bool h) { s[j] += h; });
    }
  });
  for (std::size_t o = 0; o < l.out_numel; ++o) share[o] = gv[o] / share[o];
  for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
    const T* s = share.data() + o;
    T* gi = out + i;
    if (l.last_reduced)
      for_each_hit<true>(
          xv + i, tv + o, n, [&](std::size_t j, auto m) { xsimd::select(m, B(s[0]), zero).store_unaligned(gi + j); },
          [&](std::size_t j, bool h) { gi[j] = h ? s[0] : T(0); });
    else
      for_each_hit<false>(
          xv + i, tv + o, n,
          [&](std::size_t j, auto m) { xsimd::select(m, B::load_unaligned(s + j), zero).store_unaligned(gi + j); },
          [&](std::size_t j, bool h) { gi[j] = h ? s[j] : T(0); });
  });
}

// --- sums that do not drift -------------------------------------------------------------------
// A float32 accumulator stops growing at 2^24 (16777216 + 1 == 16777216) and drifts long before:
// 3·10⁷ × 0.1f summed in four float SIMD accumulators was 0.3% (AVX-512) to 1.2% (SSE2) off. So a
// float32 sum accumulates in float64, blocked: a run is folded by float SIMD accumulators for at
// most 16 steps of 4 batches (64 terms per lane), and each such block's partial is added in
// float64; kept runs (sums over a leading axis) add float partials of at most 16 rows to float64
// outputs. 3·10⁷ × 0.1f is then within 1.5e-7 of the exact sum, and integer-valued sums are exact
// while a block's partial stays below 2^24 (e.g. 3·10⁷ ones give 30000000). The cost is measured
// by bench_micro's reduce and reduce_all cases (see the README's Performance section).

/// The accumulator of a sum of T: float32 sums in float64, integers and booleans in int64.
template <class T>
using sum_t = std::conditional_t<std::is_same_v<T, float>, double,
                                 std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>>;

/// Σ_{i<n} term(i), where term(i, V{}) gives the terms i.. as one value (V = T) or one xsimd batch
/// (V = xsimd::batch<T>), accumulated as described above.
template <class T, class Term> sum_t<T> blocked_sum(std::size_t n, Term&& term) {
  using B = xsimd::batch<T>;
  constexpr std::size_t W = B::size, step = 4 * W, block = 16 * step;
  sum_t<T> r = 0;
  std::size_t i = 0;
  const std::size_t whole = n - n % step;
  while (i < whole) {
    B a0(T(0)), a1 = a0, a2 = a0, a3 = a0;
    for (const std::size_t end = std::min(whole, i + block); i < end; i += step) {
      a0 += term(i, B{});
      a1 += term(i + W, B{});
      a2 += term(i + 2 * W, B{});
      a3 += term(i + 3 * W, B{});
    }
    r += static_cast<sum_t<T>>(xsimd::hadd((a0 + a1) + (a2 + a3)));
  }
  for (; i < n; ++i) r += term(i, T{});
  return r;
}

/// Σ of n contiguous values, in sum_t<In>.
template <class In> sum_t<In> sum_run(const In* x, std::size_t n) {
  if constexpr (std::is_floating_point_v<In>)
    return blocked_sum<In>(n, [x](std::size_t i, auto v) { return simd::load<decltype(v)>(x + i); });
  else
    return fold_run<SumOp<std::int64_t>, std::int64_t>(x, n);
}

/// Σ (x - y)² over n contiguous values (mse_loss), in sum_t<T>.
template <class T> sum_t<T> sum_squared_difference(const T* x, const T* y, std::size_t n) {
  return blocked_sum<T>(n, [x, y](std::size_t i, auto v) {
    const auto d = simd::load<decltype(v)>(x + i) - simd::load<decltype(v)>(y + i);
    return d * d;
  });
}

/// out (out_numel sums, in sum_t<In>) = the sums of a contiguous, non-empty x over the layout.
template <class In> void sum_into(const ReduceLayout& l, const In* x, sum_t<In>* out) {
  using Acc = sum_t<In>;
  for (std::size_t i = 0; i < l.out_numel; ++i) out[i] = Acc(0);
  const std::size_t n = l.runs.back();
  if (l.last_reduced) {
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) { out[o] += sum_run(x + i, n); });
  } else if constexpr (std::is_same_v<In, float>) {
    // Kept runs: float partials of at most 16 runs per stretch of the output (o is a multiple of n
    // there), each then added to the doubles.
    std::vector<float> part(l.out_numel, 0.0f);
    std::vector<unsigned char> count(l.out_numel / n, 0);
    const auto flush = [&](std::size_t o) {
      for (std::size_t j = o; j < o + n; ++j) out[j] += part[j], part[j] = 0;
    };
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
      const auto at = static_cast<std::size_t>(o);
      fold_into<SumOp<float>, float>(x + i, part.data() + at, n);
      if (++count[at / n] == 16) count[at / n] = 0, flush(at);
    });
    for (std::size_t o = 0; o < l.out_numel; o += n) flush(o);
  } else {
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) { fold_into<SumOp<Acc>, Acc>(x + i, out + o, n); });
  }
}

/// The sums of x over the layout times `scale` (1 for sum, 1/extent for mean, applied in the
/// accumulator's precision), as a new tensor of the result shape: float32 and float64 keep their
/// dtype, int64 and boolean sum to int64.
template <class In> Tensor sum_values(const ReduceLayout& l, const Tensor& x, double scale) {
  using Acc = sum_t<In>;
  using Out = std::conditional_t<std::is_floating_point_v<In>, In, std::int64_t>;
  Tensor out = empty(l.result, dtype_of<Out>());
  Out* o = out.data<Out>();
  std::vector<Acc> scratch;  // float32's float64 sums
  Acc* acc;
  if constexpr (std::is_same_v<Acc, Out>) {
    acc = o;
  } else {
    scratch.resize(l.out_numel);
    acc = scratch.data();
  }
  if (x.numel() == 0) {
    for (std::size_t i = 0; i < l.out_numel; ++i) acc[i] = Acc(0);
  } else {
    const Tensor cx = detail::contiguous_values(x);
    sum_into(l, cx.data<In>(), acc);
  }
  for (std::size_t i = 0; i < l.out_numel; ++i)
    o[i] = scale == 1 ? static_cast<Out>(acc[i]) : static_cast<Out>(static_cast<double>(acc[i]) * scale);
  return out;
}

}  // namespace descent::kernels
