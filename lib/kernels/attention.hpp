#pragma once
// Fused scaled dot-product attention, batch-head by batch-head (in parallel on descent's threads,
// each product on one BLAS thread, operands read in place with transpose flags and their own
// leading dimensions). Per batch-head, with Q (L×E), K (S×E), V (S×Ev):
//   forward   S = Q·Kᵀ (BLAS), then one pass per row: scale, mask, max, exp(s - max), sum,
//             normalise: P (saved); O = (P ⊙ M)·V (BLAS), M the dropout mask (0 or 1/(1-p))
//   backward  dV = (P ⊙ M)ᵀ·dO, dP = (dO·Vᵀ) ⊙ M, dS = P ⊙ (dP - rowsum(dP ⊙ P)),
//             dQ = scale·dS·K, dK = scale·dSᵀ·Q (and d mask = dS for a floating mask)
// (rowsum(dP ⊙ P) is rowsum(dO ⊙ O).) A row whose keys are all masked out has P = 0: its output
// and its gradients are 0.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "detail/parallel.hpp"
#include "kernels/gemm.hpp"
#include "kernels/softmax.hpp"

namespace descent::kernels {

/// One operand of attention: a batch of matrices at `offsets` (elements), each described to BLAS.
struct AttentionOperand {
  const void* data = nullptr;
  BatchOffsets offsets;  // one per batch-head
  BlasMatrix layout;
};

/// What the kernels need: the sizes, the operands, the mask (bool or of the operands' dtype, read
/// through its strides, broadcast ones 0), and the dropout multipliers (contiguous heads×L×S, or
/// null).
struct AttentionGeometry {
  std::size_t heads = 0, L = 0, S = 0, E = 0, Ev = 0;
  double scale = 1;
  bool causal = false;
  AttentionOperand q, k, v;
  const void* mask = nullptr;
  bool mask_is_bool = false;
  BatchOffsets mask_offsets;
  std::ptrdiff_t mask_row_stride = 0, mask_col_stride = 0;
  const void* dropout = nullptr;

  /// Batch-heads per thread at least: ~2^18 multiply-adds each part.
  std::size_t grain() const {
    return std::max<std::size_t>(1, (std::size_t(1) << 18) / std::max<std::size_t>(L * S * (E + Ev), 1));
  }
};

template <class T> const T* operand(const AttentionOperand& op, std::size_t h) {
  return static_cast<const T*>(op.data) + op.offsets[h];
}

/// c (m×n, contiguous) = op(a)·op(b) on one BLAS call; zeros when k == 0, nothing when c is empty.
template <class T>
void attention_product(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::ptrdiff_t lda,
                       const T* b, std::ptrdiff_t ldb, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) return std::fill(c, c + m * n, T(0));
  gemm(ta, tb, int(m), int(n), int(k), a, int(lda), b, int(ldb), T(0), c);
}

/// The probabilities of head h's rows from its raw scores s (L×S, overwritten): scale, mask,
/// softmax with the row's max subtracted, into p (L×S). A row with no key left gets zeros.
template <class T> void attention_probabilities(const AttentionGeometry& g, std::size_t h, T* s, T* p) {
  constexpr T neg_inf = -std::numeric_limits<T>::infinity();
  const T scale = T(g.scale);
  for (std::size_t i = 0; i < g.L; ++i) {
    T* si = s + i * g.S;
    T* pi = p + i * g.S;
    const std::size_t n = g.causal ? std::min(i + 1, g.S) : g.S;  // keys j <= i only
    if (!g.mask) {
      for (std::size_t j = 0; j < n; ++j) si[j] *= scale;
    } else if (g.mask_is_bool) {
      const bool* m = static_cast<const bool*>(g.mask) + g.mask_offsets[h] + std::ptrdiff_t(i) * g.mask_row_stride;
      for (std::size_t j = 0; j < n; ++j) si[j] = m[std::ptrdiff_t(j) * g.mask_col_stride] ? si[j] * scale : neg_inf;
    } else {
      const T* m = static_cast<const T*>(g.mask) + g.mask_offsets[h] + std::ptrdiff_t(i) * g.mask_row_stride;
      for (std::size_t j = 0; j < n; ++j) si[j] = si[j] * scale + m[std::ptrdiff_t(j) * g.mask_col_stride];
    }
    const T max = n == 0 ? neg_inf : fold_run<MaxOp<T>, T>(si, n);
    std::fill(pi + n, pi + g.S, T(0));
    if (max == neg_inf) {  // every key masked out
      std::fill(pi, pi + n, T(0));
      continue;
    }
    const T r = T(1) / sum_exp_shifted(si, max, n, pi);
    for (std::size_t j = 0; j < n; ++j) pi[j] *= r;
  }
}

/// out (heads×L×Ev, contiguous) = attention; probs (heads×L×S) gets P unless null (nothing to
/// save: P stays in a per-part buffer).
template <class T> void attention_forward(const AttentionGeometry& g, T* out, T* probs) {
  const std::size_t L = g.L, S = g.S, E = g.E, Ev = g.Ev;
  const SingleThreadedBlas blas;
  detail::parallel_for(g.heads, g.grain(), [&](std::size_t h0, std::size_t h1) {
    std::vector<T> scores(L * S), local(probs ? 0 : L * S);
    for (std::size_t h = h0; h < h1; ++h) {
      T* p = probs ? probs + h * L * S : local.data();
      attention_product(g.q.layout.transposed, !g.k.layout.transposed, L, S, E, operand<T>(g.q, h), g.q.layout.leading_dim,
                        operand<T>(g.k, h), g.k.layout.leading_dim, scores.data());
      attention_probabilities(g, h, scores.data(), p);
      const T* pd = p;
      if (g.dropout) {  // P ⊙ M, in the scores' buffer
        const T* m = static_cast<const T*>(g.dropout) + h * L * S;
        for (std::size_t j = 0; j < L * S; ++j) scores[j] = p[j] * m[j];
        pd = scores.data();
      }
      T* o = out + h * L * Ev;
      attention_product(false, g.v.layout.transposed, L, Ev, S, pd, S, operand<T>(g.v, h), g.v.layout.leading_dim, o);
    }
  });
}

/// The gradients from dout (heads×L×Ev, contiguous) and the saved probs, into contiguous
/// heads×L×E (dq), heads×S×E (dk), heads×S×Ev (dv) and heads×L×S (dmask, the unscaled dS):
/// each only when not null.
template <class T>
void attention_backward(const AttentionGeometry& g, const T* probs, const T* dout, T* dq, T* dk, T* dv, T* dmask) {
  const std::size_t L = g.L, S = g.S, E = g.E, Ev = g.Ev;
  const T scale = T(g.scale);
  const SingleThreadedBlas blas;
  detail::parallel_for(g.heads, g.grain(), [&](std::size_t h0, std::size_t h1) {
    std::vector<T> dp(L * S), pd(g.dropout ? L * S : 0);
    for (std::size_t h = h0; h < h1; ++h) {
      const std::size_t LS = L * S;
      const T* p = probs + h * LS;
      const T* m = g.dropout ? static_cast<const T*>(g.dropout) + h * LS : nullptr;
      const T* d = dout + h * L * Ev;
      if (m)
        for (std::size_t j = 0; j < LS; ++j) pd[j] = p[j] * m[j];
      if (dv) {  // dV = (P ⊙ M)ᵀ·dO
        attention_product(true, false, S, Ev, L, m ? pd.data() : p, S, d, Ev, dv + h * S * Ev);
      }
      if (!dq && !dk && !dmask) continue;
      // dP = (dO·Vᵀ) ⊙ M
      attention_product(false, !g.v.layout.transposed, L, S, Ev, d, Ev, operand<T>(g.v, h), g.v.layout.leading_dim,
                        dp.data());
      if (m)
        for (std::size_t j = 0; j < LS; ++j) dp[j] *= m[j];
      // dS = P ⊙ (dP - rowsum(dP ⊙ P)); d mask = dS; then scale·dS for the products
      for (std::size_t i = 0; i < g.L; ++i) {
        const T* pi = p + i * g.S;
        T* di = dp.data() + i * g.S;
        const T dot = row_dot(di, pi, g.S);
        for (std::size_t j = 0; j < g.S; ++j) di[j] = pi[j] * (di[j] - dot);
      }
      if (dmask) std::copy(dp.begin(), dp.end(), dmask + h * LS);
      for (auto& x : dp) x *= scale;
      if (dq) {  // dQ = scale·dS·K
        attention_product(false, g.k.layout.transposed, L, E, S, dp.data(), S, operand<T>(g.k, h), g.k.layout.leading_dim,
                          dq + h * L * E);
      }
      if (dk) {  // dK = scale·dSᵀ·Q
        attention_product(true, g.q.layout.transposed, S, E, L, dp.data(), S, operand<T>(g.q, h), g.q.layout.leading_dim,
                          dk + h * S * E);
      }
    }
  });
}

}  // namespace descent::kernels
