#pragma once
// Convolution kernels: im2col into one reused scratch buffer, then one GEMM per image and group
// (BLAS transpose flags, no transposed copies). The three products of a convolution y = conv(x, W):
//   forward       y_n  = W · col(x_n)
//   input grad    dx_n = col2im(Wᵀ · dy_n)          (= conv_transpose2d(dy, W))
//   weight grad   dW   = Σ_n dy_n · col(x_n)ᵀ
// and the fused first-order backward, which unrolls each image once for both gradients.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"

namespace descent::kernels {

/// A per-thread buffer of at least n elements: grows to the largest convolution seen, then stays
/// (no allocation per step in the steady state). Two slots: the fused backward needs two at once.
template <class T> T* conv_scratch(int slot, std::size_t n) {
  thread_local std::vector<T> buffers[2];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

/// Image n's column matrix: the image itself for a pointwise kernel, else im2col into `col`.
template <class T> const T* columns(const T* x, std::size_t n, const ConvGeometry& g, T* col) {
  const T* xn = x + n * g.in_image();
  if (g.pointwise()) return xn;
  im2col(xn, g, col);
  return col;
}

/// y (N×O×OH×OW) = conv(x (N×C×H×W), w (O×C/groups×kh×kw)) + b (O, or null).
template <class T> void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups;
  T* col = g.pointwise() ? nullptr : conv_scratch<T>(0, g.c * g.kh * g.kw * sp);
  for (std::size_t n = 0; n < g.n; ++n) {
    const T* cn = columns(x, n, g, col);
    T* yn = y + n * g.out_image();
    for (std::size_t k = 0; k < g.groups; ++k)
      dense_gemm(false, false, og, sp, rows, w + k * og * rows, cn + k * rows * sp, T(0), yn + k * og * sp);
    if (b)
      for (std::size_t o = 0; o < g.o; ++o) {
        T* row = yn + o * sp;
        for (std::size_t i = 0; i < sp; ++i) row[i] += b[o];
      }
  }
}

/// dx_n = col2im(Wᵀ · dy_n) for image n (written, not accumulated); dcol is scratch of one image's
/// column matrix (unused for a pointwise kernel, whose product lands in dx directly).
template <class T> void conv_input_grad_image(const T* dy, const T* w, T* dx, std::size_t n, const ConvGeometry& g,
                                              T* dcol) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups;
  const T* dyn = dy + n * g.out_image();
  T* dxn = dx + n * g.in_image();
  T* target = g.pointwise() ? dxn : dcol;
  for (std::size_t k = 0; k < g.groups; ++k)
    dense_gemm(true, false, rows, sp, og, w + k * og * rows, dyn + k * og * sp, T(0), target + k * rows * sp);
  if (g.pointwise()) return;
  std::fill(dxn, dxn + g.in_image(), T(0));
  col2im_add(dcol, g, dxn);
}

/// dW += dy_n · col_nᵀ for image n, with col_n its column matrix.
template <class T> void conv_weight_grad_image(const T* dy, const T* col_n, T* dw, std::size_t n, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups;
  const T* dyn = dy + n * g.out_image();
  for (std::size_t k = 0; k < g.groups; ++k)
    dense_gemm(false, true, og, rows, sp, dyn + k * og * sp, col_n + k * rows * sp, T(1), dw + k * og * rows);
}

/// dx (N×C×H×W) = the input gradient of conv for output gradient dy.
template <class T> void conv_input_grad(const T* dy, const T* w, T* dx, const ConvGeometry& g) {
  T* dcol = g.pointwise() ? nullptr : conv_scratch<T>(0, g.c * g.kh * g.kw * g.spatial());
  for (std::size_t n = 0; n < g.n; ++n) conv_input_grad_image(dy, w, dx, n, g, dcol);
}

/// dw (O×C/groups×kh×kw) = the weight gradient of conv at input x for output gradient dy.
template <class T> void conv_weight_grad(const T* x, const T* dy, T* dw, const ConvGeometry& g) {
  std::fill(dw, dw + g.o * g.group_rows(), T(0));
  T* col = g.pointwise() ? nullptr : conv_scratch<T>(0, g.c * g.kh * g.kw * g.spatial());
  for (std::size_t n = 0; n < g.n; ++n) conv_weight_grad_image(dy, columns(x, n, g, col), dw, n, g);
}

/// The fused first-order backward of y = conv(x, w) + b: dx, dw, db (each only when non-null) in one
/// pass over the batch, each image unrolled once.
template <class T> void conv_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const ConvGeometry& g) {
  const std::size_t col_size = g.c * g.kh * g.kw * g.spatial();
  T* col = dw && !g.pointwise() ? conv_scratch<T>(0, col_size) : nullptr;
  T* dcol = dx && !g.pointwise() ? conv_scratch<T>(1, col_size) : nullptr;
  if (dw) std::fill(dw, dw + g.o * g.group_rows(), T(0));
  if (db) std::fill(db, db + g.o, T(0));
  for (std::size_t n = 0; n < g.n; ++n) {
    if (dw) conv_weight_grad_image(dy, columns(x, n, g, col), dw, n, g);
    if (dx) conv_input_grad_image(dy, w, dx, n, g, dcol);
    if (db)
      for (std::size_t o = 0; o < g.o; ++o) {
        const T* row = dy + n * g.out_image() + o * g.spatial();
        double s = 0;  // float32 sums accumulate in float64, as every reduction of descent does
        for (std::size_t i = 0; i < g.spatial(); ++i) s += row[i];
        db[o] += T(s);
      }
  }
}

}  // namespace descent::kernels
