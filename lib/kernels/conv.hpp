#pragma once
// Convolution kernels: im2col into reused scratch buffers, then GEMMs (BLAS transpose flags, no
// transposed copies). Small images are unrolled a chunk at a time, side by side into one column
// matrix (C·kh·kw × chunk·OH·OW), so that each group's product is one wider GEMM (see conv_chunk
// for when that pays). The products of
// y = conv(x, W), per chunk and group:
//   forward       Y    = W · col(x)
//   input grad    dx   = col2im(Wᵀ · dY)          (= conv_transpose2d(dy, W))
//   weight grad   dW  += dY · col(x)ᵀ
// Y and dY are (O × chunk·OH·OW): a chunk's output is scattered into / gathered from NCHW.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/im2col.hpp"

namespace descent::kernels {

/// A per-thread buffer of at least n elements: grows to the largest convolution seen, then stays
/// (no allocation per step in the steady state). Separate slots for buffers needed at once.
template <class T> T* conv_scratch(int slot, std::size_t n) {
  thread_local std::vector<T> buffers[3];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

/// Images per chunk: column matrices of up to 2^15 elements (128 KiB of float32), at least one
/// image; a pointwise kernel reads its images in place, one at a time. Measured on W5's layers
/// (bench_conv, 2 OpenBLAS threads, min of 6 interleaved runs): conv1 (9 × 784 per image)
/// forward+backward 5.7 ms per image, 5.3 ms by 4; conv2 (288 × 196) 47 ms per image, 53 ms by 2,
/// 74 ms by 4 or 8: wider products only pay where one image's is tiny.
inline std::size_t conv_chunk(const ConvGeometry& g) {
  if (g.pointwise()) return 1;
  const std::size_t per_image = g.c * g.kh * g.kw * g.spatial();
  return std::clamp<std::size_t>((std::size_t(1) << 15) / std::max<std::size_t>(per_image, 1), 1, std::max<std::size_t>(g.n, 1));
}

/// Images [n0, n0 + nb) side by side as one column matrix (row stride nb·OH·OW): `col`, or the
/// image itself for a pointwise kernel (nb = 1).
template <class T> const T* chunk_columns(const T* x, std::size_t n0, std::size_t nb, const ConvGeometry& g, T* col) {
  if (g.pointwise()) return x + n0 * g.in_image();
  for (std::size_t j = 0; j < nb; ++j) im2col(x + (n0 + j) * g.in_image(), g, nb * g.spatial(), col + j * g.spatial());
  return col;
}

/// y (N×O×OH×OW) = conv(x (N×C×H×W), w (O×C/groups×kh×kw)) + b (O, or null).
template <class T> void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups, chunk = conv_chunk(g);
  T* col = conv_scratch<T>(0, g.c * g.kh * g.kw * sp * chunk);
  T* wide = chunk > 1 ? conv_scratch<T>(2, g.o * sp * chunk) : nullptr;
  for (std::size_t n0 = 0; n0 < g.n; n0 += chunk) {
    const std::size_t nb = std::min(chunk, g.n - n0), cols = nb * sp;
    const T* c = chunk_columns(x, n0, nb, g, col);
    T* out = nb > 1 ? wide : y + n0 * g.out_image();  // (O × cols)
    for (std::size_t k = 0; k < g.groups; ++k)
      dense_gemm(false, false, og, cols, rows, w + k * og * rows, c + k * rows * cols, T(0), out + k * og * cols);
    for (std::size_t j = 0; j < nb; ++j)
      for (std::size_t o = 0; o < g.o; ++o) {
        const T* src = out + o * cols + j * sp;
        T* dst = y + (n0 + j) * g.out_image() + o * sp;
        const T bias = b ? b[o] : T(0);
        for (std::size_t i = 0; i < sp; ++i) dst[i] = src[i] + bias;  // in place when nb = 1
      }
  }
}

/// The backward of y = conv(x, w): dx and dw (each only when non-null; x is read only for dw, w
/// only for dx) in one pass over the batch, each chunk unrolled and gathered once for both.
template <class T> void conv_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups, chunk = conv_chunk(g);
  const std::size_t col_size = g.c * g.kh * g.kw * sp * chunk;
  T* col = dw ? conv_scratch<T>(0, col_size) : nullptr;
  T* dcol = dx ? conv_scratch<T>(1, col_size) : nullptr;
  T* wide = chunk > 1 ? conv_scratch<T>(2, g.o * sp * chunk) : nullptr;
  if (dw) std::fill(dw, dw + g.o * rows, T(0));
  for (std::size_t n0 = 0; n0 < g.n; n0 += chunk) {
    const std::size_t nb = std::min(chunk, g.n - n0), cols = nb * sp;
    const T* d = dy + n0 * g.out_image();  // (O × cols): the chunk's output gradient, gathered
    if (nb > 1) {
      for (std::size_t j = 0; j < nb; ++j)
        for (std::size_t o = 0; o < g.o; ++o)
          std::memcpy(wide + o * cols + j * sp, dy + (n0 + j) * g.out_image() + o * sp, sp * sizeof(T));
      d = wide;
    }
    if (dw) {
      const T* c = chunk_columns(x, n0, nb, g, col);
      for (std::size_t k = 0; k < g.groups; ++k)
        dense_gemm(false, true, og, rows, cols, d + k * og * cols, c + k * rows * cols, T(1), dw + k * og * rows);
    }
    if (dx) {
      T* target = g.pointwise() ? dx + n0 * g.in_image() : dcol;  // a pointwise kernel's product is dx itself
      for (std::size_t k = 0; k < g.groups; ++k)
        dense_gemm(true, false, rows, cols, og, w + k * og * rows, d + k * og * cols, T(0), target + k * rows * cols);
      if (g.pointwise()) continue;
      for (std::size_t j = 0; j < nb; ++j) {
        T* dxn = dx + (n0 + j) * g.in_image();
        std::fill(dxn, dxn + g.in_image(), T(0));
        col2im_add(dcol + j * sp, g, cols, dxn);
      }
    }
  }
}

}  // namespace descent::kernels
