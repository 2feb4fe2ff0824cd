#pragma once
// Softmax, log-softmax and log-sum-exp kernels, the one home of exp(x - shift) with xsimd
// (std::exp in a loop is ~14x slower): used by softmax / log_softmax, logsumexp and cross_entropy.
// Maxima and sums come from the folds of kernels/reduce.hpp.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "kernels/math.hpp"
#include "kernels/reduce.hpp"

namespace descent::kernels {

/// For j < n: on_batch(j, exp(x[j] - shift[j])) on whole SIMD batches, then on_scalar(j, ...) on
/// the tail. When ShiftScalar, shift[0] is used for every j.
template <bool ShiftScalar, class T, class OnBatch, class OnScalar>
void for_each_exp_shifted(const T* x, const T* shift, std::size_t n, OnBatch&& on_batch, OnScalar&& on_scalar) {
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

/// Σ_j exp(x[j] - shift) over a row, also storing each exp in y[j] when y is not null.
template <class T> T sum_exp_shifted(const T* x, T shift, std::size_t n, T* y = nullptr) {
  using B = xsimd::batch<T>;
  B acc(T(0));
  T tail = 0;
  for_each_exp_shifted<true>(
      x, &shift, n,
      [&](std::size_t j, B e) {
        if (y) e.store_unaligned(y + j);
        acc += e;
      },
      [&](std::size_t j, T e) {
        if (y) y[j] = e;
        tail += e;
      });
  return xsimd::hadd(acc) + tail;
}

/// log(Σ exp(x)) of a row, stable: max + log(Σ exp(x - max)). NaN if the row holds NaN or +inf,
/// or is all -inf (as PyTorch's log_softmax and cross_entropy).
template <class T> T row_logsumexp(const T* x, std::size_t n) {
  const T m = fold_run<MaxOp<T>, T>(x, n);
  return m + std::log(sum_exp_shifted(x, m, n));
}

/// A contiguous tensor seen as (outer, n, inner) around the softmax axis. For the last axis
/// (inner == 1) each row is a tight xsimd loop; otherwise the kernels run over whole `inner`-long
/// rows at once, keeping one running max / sum per column.
struct AxisBlocks {
  std::size_t outer = 1, n = 1, inner = 1;
};

inline AxisBlocks axis_blocks(const char* op, const Tensor& x, std::ptrdiff_t axis) {
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

/// softmax (log = false) or log_softmax (log = true) of x into y, both contiguous. (x - max) is
/// NaN for lines of all -inf or holding +inf, which then give NaN like PyTorch.
template <class T> void softmax_forward(const T* x, T* y, AxisBlocks b, bool log) {
  const std::size_t n = b.n, inner = b.inner;
  if (inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o, x += n, y += n) {
      if (log) {
        const T shift = row_logsumexp(x, n);
        for (std::size_t k = 0; k < n; ++k) y[k] = x[k] - shift;
      } else {
        const T r = T(1) / sum_exp_shifted(x, fold_run<MaxOp<T>, T>(x, n), n, y);
        for (std::size_t k = 0; k < n; ++k) y[k] *= r;
      }
    }
    return;
  }
  using B = xsimd::batch<T>;
  std::vector<T> m(inner), s(inner);
  for (std::size_t o = 0; o < b.outer; ++o, x += n * inner, y += n * inner) {
    std::fill(m.begin(), m.end(), MaxOp<T>::identity());
    std::fill(s.begin(), s.end(), T(0));
    for (std::size_t k = 0; k < n; ++k) fold_into<MaxOp<T>, T>(x + k * inner, m.data(), inner);
    for (std::size_t k = 0; k < n; ++k) {  // y = exp(x - m) per column, s += y
      T* yk = y + k * inner;
      for_each_exp_shifted<false>(
          x + k * inner, m.data(), inner,
          [&](std::size_t i, B e) {
            e.store_unaligned(yk + i);
            (B::load_unaligned(s.data() + i) + e).store_unaligned(s.data() + i);
          },
          [&](std::size_t i, T e) { s[i] += (yk[i] = e); });
    }
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

/// Σ_k x[k]·y[k] with an xsimd fma accumulator.
template <class T> T row_dot(const T* x, const T* y, std::size_t n) {
  using B = xsimd::batch<T>;
  B acc(T(0));
  std::size_t k = 0;
  for (; k + B::size <= n; k += B::size) acc = xsimd::fma(B::load_unaligned(x + k), B::load_unaligned(y + k), acc);
  T s = xsimd::hadd(acc);
  for (; k < n; ++k) s += x[k] * y[k];
  return s;
}

/// dx = s * (g - Σ_axis g * s), from the saved softmax s.
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

/// dx = g - exp(y) * Σ_axis g, from the saved log_softmax y.
template <class T> void log_softmax_backward(const T* g, const T* y, T* dx, AxisBlocks b) {
  using B = xsimd::batch<T>;
  const std::size_t n = b.n, inner = b.inner;
  const T zero = 0;
  if (inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o, g += n, y += n, dx += n) {
      const T sg = fold_run<SumOp<T>, T>(g, n);
      for_each_exp_shifted<true>(
          y, &zero, n,
          [&](std::size_t k, B e) { xsimd::fnma(e, B(sg), B::load_unaligned(g + k)).store_unaligned(dx + k); },
          [&](std::size_t k, T e) { dx[k] = g[k] - e * sg; });
    }
    return;
  }
  std::vector<T> sg(inner);
  for (std::size_t o = 0; o < b.outer; ++o, g += n * inner, y += n * inner, dx += n * inner) {
    std::fill(sg.begin(), sg.end(), T(0));
    for (std::size_t k = 0; k < n; ++k) fold_into<SumOp<T>, T>(g + k * inner, sg.data(), inner);
    for (std::size_t k = 0; k < n; ++k) {
      const T* gk = g + k * inner;
      T* dk = dx + k * inner;
      for_each_exp_shifted<true>(
          y + k * inner, &zero, inner,
          [&](std::size_t i, B e) {
            xsimd::fnma(e, B::load_unaligned(sg.data() + i), B::load_unaligned(gk + i)).store_unaligned(dk + i);
          },
          [&](std::size_t i, T e) { dk[i] = gk[i] - e * sg[i]; });
    }
  }
}

/// out = log(Σ exp(x)) over the layout's axes of a contiguous, non-empty x, with shift = max(x)
/// so that nothing overflows. A shift of ±inf is replaced by 0 (as PyTorch does): a line of -inf
/// gives log(0) = -inf, not NaN.
template <class T> void logsumexp_into(const ReduceLayout& l, const T* x, T* out) {
  using B = xsimd::batch<T>;
  std::vector<T> shift(l.out_numel);
  reduce_into<MaxOp<T>, T>(l, x, shift.data());
  for (auto& s : shift)
    if (std::isinf(s)) s = 0;
  const std::size_t n = l.runs.back();
  for (std::size_t o = 0; o < l.out_numel; ++o) out[o] = 0;
  if (l.last_reduced) {
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) { out[o] += sum_exp_shifted(x + i, shift[o], n); });
  } else {
    for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
      T* s = out + o;
      for_each_exp_shifted<false>(x + i, &shift[o], n,
                                  [&](std::size_t j, B v) { (B::load_unaligned(s + j) + v).store_unaligned(s + j); },
                                  [&](std::size_t j, T v) { s[j] += v; });
    });
  }
  for (std::size_t o = 0; o < l.out_numel; ++o) out[o] = std::log(out[o]) + shift[o];
}

/// dx = g * softmax(x) = g * exp(x - lse) over the layout (lse: logsumexp_into's result), in one
/// pass over a contiguous, non-empty x. Where lse is -inf (every element -inf) dx is 0 rather than
/// PyTorch's NaN.
template <class T> void logsumexp_backward(const ReduceLayout& l, const T* x, const T* result, const T* g, T* dx) {
  using B = xsimd::batch<T>;
  std::vector<T> lse(result, result + l.out_numel);
  for (auto& v : lse)
    if (v == -std::numeric_limits<T>::infinity()) v = std::numeric_limits<T>::infinity();  // exp(-inf - inf) = 0
  const std::size_t n = l.runs.back();
  for_each_reduce_run(l, [&](std::size_t i, std::ptrdiff_t o) {
    T* gi = dx + i;
    if (l.last_reduced) {
      const T go = g[o];
      for_each_exp_shifted<true>(x + i, &lse[o], n, [&](std::size_t j, B v) { (v * B(go)).store_unaligned(gi + j); },
                                 [&](std::size_t j, T v) { gi[j] = v * go; });
    } else {
      const T* go = g + o;
      for_each_exp_shifted<false>(x + i, &lse[o], n,
                                  [&](std::size_t j, B v) { (v * B::load_unaligned(go + j)).store_unaligned(gi + j); },
                                  [&](std::size_t j, T v) { gi[j] = v * go[j]; });
    }
  });
}

}  // namespace descent::kernels
