#pragma once
// Raw-loop reduction kernels shared by lib/ops/reduce*.cpp. A reduction of a contiguous tensor is
// planned once (ReduceLayout): x's axes of length 1 are dropped and neighbouring axes of the same
// kind (kept or reduced) are merged, so reducing the last axis of (N,C) is N rows of C elements,
// reducing the first is C columns of N, and any other choice is a few nested runs of those. The
// kernels then walk x once in memory order, one contiguous run (the last merged axis) at a time:
// - a reduced run folds into one output element with independent accumulators (vectorised);
// - a kept run combines elementwise into a contiguous stretch of the output (vectorised).
// Measured on (128,256) float32 (noisy 2-core VM): the sum over axis 1 takes 2 µs against 12-18 µs
// for xtensor's immediate xt::sum, over axis 0 both take ~3 µs; max/min 3-4 µs either way.
// xtensor's reducers are not an option anyway: on an xarray or adaptor shaped by an
// svector<size_t, 4> (descent's Shape), xt::sum(..., immediate) returns an xtensor<T, 4> with
// uninitialised extents (std::bad_array_new_length or a segfault, xtensor 0.24.3, g++ 12).
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "descent/ops/reduce.hpp"
#include "detail/dispatch.hpp"
#include "kernels/math.hpp"

namespace descent::detail {

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

/// The gradient of a reduction (result shape) spread back over x's shape, without copying.
Tensor expand_grad(const Tensor& g, const ReduceLayout& layout, const Shape& x_shape);

/// Calls f(x_offset, out_offset) for each run of a contiguous x, in memory order.
template <class F> void for_each_run(const ReduceLayout& l, F&& f) {
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
    for_each_run(l, [&](std::size_t i, std::ptrdiff_t o) { out[o] = Op::combine(out[o], fold_run<Op, Acc>(x + i, n)); });
  else
    for_each_run(l, [&](std::size_t i, std::ptrdiff_t o) { fold_into<Op, Acc>(x + i, out + o, n); });
}

/// The values of a reduction as a new tensor of the layout's result shape (Acc: the result type).
template <class Op, class Acc, class In> Tensor reduce_values(const ReduceLayout& l, const Tensor& x) {
  Tensor out = empty(l.result, dtype_of<Acc>());
  Acc* o = out.data<Acc>();
  if (x.numel() == 0) {
    for (std::size_t i = 0; i < l.out_numel; ++i) o[i] = Op::identity();
  } else {
    const Tensor cx = contiguous_values(x);
    reduce_into<Op, Acc>(l, cx.data<In>(), o);
  }
  return out;
}

// --- exp(x - shift) with xsimd (std::exp in a loop is ~14x slower) ---------------------------

/// For j < n: f(j, exp(x[j] - shift[j])) on whole SIMD batches, then on the scalar tail. When
/// ShiftScalar, shift[0] is used for every j.
template <bool ShiftScalar, class T, class Batch, class Scalar>
void exp_shifted(const T* x, const T* shift, std::size_t n, Batch&& on_batch, Scalar&& on_scalar) {
  using B = xsimd::batch<T>;
  constexpr std::size_t W = B::size;
  std::size_t j = 0;
  if constexpr (ShiftScalar) {
    const B s(shift[0]);
    for (; j + W <= n; j += W) on_batch(j, kernels::exp(B::load_unaligned(x + j) - s));
    for (; j < n; ++j) on_scalar(j, std::exp(x[j] - shift[0]));
  } else {
    for (; j + W <= n; j += W) on_batch(j, kernels::exp(B::load_unaligned(x + j) - B::load_unaligned(shift + j)));
    for (; j < n; ++j) on_scalar(j, std::exp(x[j] - shift[j]));
  }
}

}  // namespace descent::detail
