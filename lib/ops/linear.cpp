// The fused affine map y = x·Wᵀ + b: one recorded op instead of three (transpose, matmul, add),
// one GEMM each way, and plain loops where the sizes are too small for BLAS's call overhead to pay
// (the per-step cost of small networks is mostly overhead).
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "detail/blas.hpp"
#include "detail/dispatch.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

constexpr std::size_t blas_from = 32768;  // multiply-adds; below this, loops beat the BLAS call

// c (m×n) = op(a)·op(b) + beta·c with a, b stored densely: lda/ldb follow from the flags.
template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b, T beta, T* c) {
  detail::gemm(ta, tb, int(m), int(n), int(k), a, int(ta ? m : k), b, int(tb ? k : n), beta, c);
}

// The small-size loops are written as row updates (axpy over a contiguous row) rather than dot
// products: without -ffast-math the compiler may not reorder a reduction, so only axpy vectorises.

/// y (N×out) = x (N×in) · Wᵀ + b.
template <class T>
void forward(const T* __restrict x, const T* __restrict w, const T* __restrict b, T* __restrict y, std::size_t rows,
             std::size_t in, std::size_t out) {
  if (rows * in * out >= blas_from) {
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t o = 0; o < out; ++o) y[i * out + o] = b ? b[o] : T(0);
    gemm(false, true, rows, out, in, x, w, b ? T(1) : T(0), y);
    return;
  }
  // Wᵀ (in×out) in a scratch buffer, so that each input feature scales one contiguous row of it.
  thread_local std::vector<T> scratch;
  scratch.resize(in * out);
  T* __restrict wt = scratch.data();
  for (std::size_t o = 0; o < out; ++o)
    for (std::size_t k = 0; k < in; ++k) wt[k * out + o] = w[o * in + k];
  for (std::size_t i = 0; i < rows; ++i) {
    T* __restrict yi = y + i * out;
    for (std::size_t o = 0; o < out; ++o) yi[o] = b ? b[o] : T(0);
    for (std::size_t k = 0; k < in; ++k) {
      const T xik = x[i * in + k];
      const T* __restrict row = wt + k * out;
      for (std::size_t o = 0; o < out; ++o) yi[o] += xik * row[o];
    }
  }
}

/// dx = g·W, dW = gᵀ·x, db = Σ_rows g (each only when wanted, i.e. non-null).
template <class T>
void backward(const T* __restrict g, const T* __restrict x, const T* __restrict w, T* __restrict dx,
              T* __restrict dw, T* __restrict db, std::size_t rows, std::size_t in, std::size_t out) {
  const bool big = rows * in * out >= blas_from;
  if (dx && big) gemm(false, false, rows, in, out, g, w, T(0), dx);
  if (dw && big) gemm(true, false, out, in, rows, g, x, T(0), dw);
  if (dx && !big) {
    for (std::size_t i = 0; i < rows; ++i) {
      T* __restrict dxi = dx + i * in;
      for (std::size_t k = 0; k < in; ++k) dxi[k] = T(0);
      for (std::size_t o = 0; o < out; ++o) {
        const T gio = g[i * out + o];
        const T* __restrict wo = w + o * in;
        for (std::size_t k = 0; k < in; ++k) dxi[k] += gio * wo[k];
      }
    }
  }
  if (dw && !big) {
    for (std::size_t j = 0; j < out * in; ++j) dw[j] = T(0);
    for (std::size_t i = 0; i < rows; ++i) {
      const T* __restrict xi = x + i * in;
      for (std::size_t o = 0; o < out; ++o) {
        const T gio = g[i * out + o];
        T* __restrict dwo = dw + o * in;
        for (std::size_t k = 0; k < in; ++k) dwo[k] += gio * xi[k];
      }
    }
  }
  if (db) {
    for (std::size_t o = 0; o < out; ++o) db[o] = T(0);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t o = 0; o < out; ++o) db[o] += g[i * out + o];
  }
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  DESCENT_CHECK(weight.dim() == 2, "linear", "weight must be 2-D (out, in), got shape ", to_string(weight.shape()));
  DESCENT_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear", "cannot multiply input ",
                to_string(x.shape()), " by weightᵀ of ", to_string(weight.shape()));
  DESCENT_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), "linear", "bias ",
                to_string(bias.shape()), " does not match weight ", to_string(weight.shape()));
  if (x.dim() != 2) {
    Tensor y = matmul(x, transpose(weight));
    return bias.defined() ? y + bias : y;
  }
  detail::check_same_dtype("linear", x, weight);
  if (bias.defined()) detail::check_same_dtype("linear", x, bias);
  const std::size_t rows = x.size(0), in = x.size(1), out = weight.size(0);
  const Tensor cx = detail::contiguous_values(x), cw = detail::contiguous_values(weight);
  const Tensor cb = bias.defined() ? detail::contiguous_values(bias) : Tensor();
  Tensor y = empty({rows, out}, x.dtype());
  detail::dispatch_floating("linear", x.dtype(), [&](auto e) {
    using T = decltype(e);
    forward(cx.data<T>(), cw.data<T>(), cb.defined() ? cb.data<T>() : nullptr, y.data<T>(), rows, in, out);
  });
  // dy/dx = W, dy/dW = xᵀ (per row), dy/db = 1
  const bool want_dx = x.requires_grad(), want_dw = weight.requires_grad();
  const bool want_db = bias.defined() && bias.requires_grad();
  return record("linear", y, {x, weight, bias}, [cx, cw, want_dx, want_dw, want_db, rows, in, out](const Tensor& grad) {
    const Tensor g = detail::contiguous_values(grad);
    Tensor dx = want_dx ? empty(cx.shape(), cx.dtype()) : Tensor();
    Tensor dw = want_dw ? empty(cw.shape(), cw.dtype()) : Tensor();
    Tensor db = want_db ? empty({out}, cx.dtype()) : Tensor();
    detail::dispatch_floating("linear", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      backward(g.data<T>(), cx.data<T>(), cw.data<T>(), dx.defined() ? dx.data<T>() : nullptr,
               dw.defined() ? dw.data<T>() : nullptr, db.defined() ? db.data<T>() : nullptr, rows, in, out);
    });
    return Grads{dx, dw, db};
  });
}

}  // namespace descent
