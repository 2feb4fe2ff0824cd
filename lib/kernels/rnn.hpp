#pragma once
// The pointwise part of one recurrent step, fused: the gate nonlinearities, the new cell and hidden
// state, and their backward, over B rows of H features (xsimd lanes, edge-safe exp and tanh of
// kernels/math.hpp). Gate blocks are laid out as PyTorch's: LSTM i, f, g, o; GRU r, z, n.
// gi is a row of the input projection (x·W_ihᵀ + b_ih), gh of the recurrent one (h·W_hhᵀ, or
// null), bh the recurrent bias (or null): the pre-activation of a gate is gi + gh + bh.
// Used by ops/rnn.cpp (the cell ops and the layer ops); no recording here.
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "kernels/math.hpp"
#include "kernels/simd.hpp"

namespace descent::kernels::rnn {

template <class V> inline V tanh(const V& x) {
  if constexpr (std::is_floating_point_v<V>)
    return std::tanh(x);
  else
    return kernels::tanh(x);
}
template <class V> inline V sigmoid(const V& x) {
  if constexpr (std::is_floating_point_v<V>)
    return V(1) / (V(1) + std::exp(-x));
  else
    return V(1) / (V(1) + kernels::exp(-x));
}
template <class V, class T> inline V load_or_zero(const T* p) { return p ? simd::load<V>(p) : V(T(0)); }

/// LSTM: act = (σ(i), σ(f), tanh(g), σ(o)); c = f·cp + i·g; h = o·tanh(c). Rows of gi/gh/act are
/// 4H wide (strides gi_ld, gh_ld: elements), of cp/c/h H wide.
template <class T>
void lstm_forward(std::size_t B, std::size_t H, const T* gi, std::size_t gi_ld, const T* gh, const T* bh, const T* cp,
                  T* act, T* c, T* h) {
  for (std::size_t b = 0; b < B; ++b) {
    const T* gir = gi + b * gi_ld;
    const T* ghr = gh ? gh + b * 4 * H : nullptr;
    T* ar = act + b * 4 * H;
    simd::for_each<T>(H, [&](std::size_t j, auto v) {
      using V = decltype(v);
      auto pre = [&](std::size_t k) {
        return simd::load<V>(gir + k * H + j) + load_or_zero<V>(ghr ? ghr + k * H + j : nullptr) +
               load_or_zero<V>(bh ? bh + k * H + j : nullptr);
      };
      const V i = sigmoid(pre(0)), f = sigmoid(pre(1)), g = tanh(pre(2)), o = sigmoid(pre(3));
      const V cn = f * simd::load<V>(cp + b * H + j) + i * g;
      simd::store(ar + j, i);
      simd::store(ar + H + j, f);
      simd::store(ar + 2 * H + j, g);
      simd::store(ar + 3 * H + j, o);
      simd::store(c + b * H + j, cn);
      simd::store(h + b * H + j, o * tanh(cn));
    });
  }
}

/// The LSTM step's backward: from dh and dc (the gradients of h and c, dc_in may be dc_out) to the
/// pre-activation gradients dgates (4H wide) and dc_out = ∂/∂cp.
template <class T>
void lstm_backward(std::size_t B, std::size_t H, const T* act, const T* cp, const T* c, const T* dh, const T* dc_in,
                   T* dc_out, T* dgates) {
  for (std::size_t b = 0; b < B; ++b) {
    const T* ar = act + b * 4 * H;
    T* dr = dgates + b * 4 * H;
    simd::for_each<T>(H, [&](std::size_t j, auto v) {
      using V = decltype(v);
      const std::size_t e = b * H + j;
      const V i = simd::load<V>(ar + j), f = simd::load<V>(ar + H + j), g = simd::load<V>(ar + 2 * H + j),
              o = simd::load<V>(ar + 3 * H + j);
      const V tc = tanh(simd::load<V>(c + e)), gh = simd::load<V>(dh + e);
      // dc' = dc + dh·o·(1 - tanh²c); the gates through σ' = s(1-s), tanh' = 1 - t²
      const V dct = simd::load<V>(dc_in + e) + gh * o * (V(1) - tc * tc);
      simd::store(dr + j, dct * g * i * (V(1) - i));
      simd::store(dr + H + j, dct * simd::load<V>(cp + e) * f * (V(1) - f));
      simd::store(dr + 2 * H + j, dct * i * (V(1) - g * g));
      simd::store(dr + 3 * H + j, gh * tc * o * (V(1) - o));
      simd::store(dc_out + e, dct * f);
    });
  }
}

/// GRU: r = σ(gi_r + gh_r + bh_r), z = σ(gi_z + gh_z + bh_z), ghn = gh_n + bh_n,
/// n = tanh(gi_n + r·ghn), h = (1 - z)·n + z·hp. act = (r, z, n) 3H wide; ghn H wide.
template <class T>
void gru_forward(std::size_t B, std::size_t H, const T* gi, std::size_t gi_ld, const T* gh, std::size_t gh_ld,
                 const T* bh, const T* hp, T* act, T* ghn, T* h) {
  for (std::size_t b = 0; b < B; ++b) {
    const T* gir = gi + b * gi_ld;
    const T* ghr = gh + b * gh_ld;
    T* ar = act + b * 3 * H;
    simd::for_each<T>(H, [&](std::size_t j, auto v) {
      using V = decltype(v);
      const std::size_t e = b * H + j;
      auto hidden = [&](std::size_t k) {
        return simd::load<V>(ghr + k * H + j) + load_or_zero<V>(bh ? bh + k * H + j : nullptr);
      };
      const V r = sigmoid(simd::load<V>(gir + j) + hidden(0)), z = sigmoid(simd::load<V>(gir + H + j) + hidden(1));
      const V hn = hidden(2), n = tanh(simd::load<V>(gir + 2 * H + j) + r * hn);
      simd::store(ar + j, r);
      simd::store(ar + H + j, z);
      simd::store(ar + 2 * H + j, n);
      simd::store(ghn + e, hn);
      simd::store(h + e, (V(1) - z) * n + z * simd::load<V>(hp + e));
    });
  }
}

/// The GRU step's backward: dgi (3H, = ∂/∂gi), dgh (3H, = ∂/∂gh, also ∂/∂bh) and dh_direct = dh·z
/// (the part of ∂/∂hp not through gh; dh_direct may be dh).
template <class T>
void gru_backward(std::size_t B, std::size_t H, const T* act, const T* ghn, const T* hp, const T* dh, T* dgi, T* dgh,
                  T* dh_direct) {
  for (std::size_t b = 0; b < B; ++b) {
    const T* ar = act + b * 3 * H;
    T* di = dgi + b * 3 * H;
    T* dg = dgh + b * 3 * H;
    simd::for_each<T>(H, [&](std::size_t j, auto v) {
      using V = decltype(v);
      const std::size_t e = b * H + j;
      const V r = simd::load<V>(ar + j), z = simd::load<V>(ar + H + j), n = simd::load<V>(ar + 2 * H + j);
      const V d = simd::load<V>(dh + e);
      // dn = dh(1-z) through tanh' = 1 - n²; dz = dh(hp - n) through σ'; dr = dn'·ghn through σ'
      const V dn = d * (V(1) - z) * (V(1) - n * n);
      const V dz = d * (simd::load<V>(hp + e) - n) * z * (V(1) - z);
      const V dr = dn * simd::load<V>(ghn + e) * r * (V(1) - r);
      simd::store(di + j, dr);
      simd::store(di + H + j, dz);
      simd::store(di + 2 * H + j, dn);
      simd::store(dg + j, dr);
      simd::store(dg + H + j, dz);
      simd::store(dg + 2 * H + j, dn * r);
      simd::store(dh_direct + e, d * z);
    });
  }
}

/// Elman RNN: h = tanh(gi + gh + bh), or relu.
template <class T>
void rnn_forward(std::size_t B, std::size_t H, bool relu, const T* gi, std::size_t gi_ld, const T* gh, const T* bh,
                 T* h) {
  for (std::size_t b = 0; b < B; ++b)
    simd::for_each<T>(H, [&](std::size_t j, auto v) {
      using V = decltype(v);
      const V pre = simd::load<V>(gi + b * gi_ld + j) + simd::load<V>(gh + b * H + j) + load_or_zero<V>(bh ? bh + j : nullptr);
      simd::store(h + b * H + j, relu ? simd::max(pre, V(T(0))) : tanh(pre));
    });
}

/// Its backward from the output h: dpre = dh·(1 - h²), or dh where h > 0.
template <class T> void rnn_backward(std::size_t n, bool relu, const T* h, const T* dh, T* dpre) {
  for (std::size_t k = 0; k < n; ++k) {
    const T y = h[k];
    dpre[k] = relu ? (y > T(0) ? dh[k] : T(0)) : dh[k] * (T(1) - y * y);
  }
}

}  // namespace descent::kernels::rnn
