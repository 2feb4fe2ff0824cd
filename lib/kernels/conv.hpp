#pragma once
// Convolution kernels: image by image, im2col into a per-thread buffer, then GEMMs (BLAS transpose
// flags, no transposed copies). The products of y = conv(x, W), per image and group:
//   forward       Y    = W · col(x)
//   input grad    dx   = col2im(Wᵀ · dY)          (= conv_transpose2d(dy, W))
//   weight grad   dW  += dY · col(x)ᵀ
// The images run in parallel on descent's threads (descent/parallel.hpp), each thread unrolling
// into its own buffer, cache-hot for its products, which then run on one BLAS thread each. The
// arithmetic is the same for any number of threads: each image's products are computed alike (on
// one BLAS thread, always), and the weight gradient is summed over a fixed split of the batch. Measured on W5's layers
// (bench_conv, batch 128, 4 interleaved runs, forward+backward), against the batch unrolled 16
// images at a time into wide products on OpenBLAS's 2 threads: conv1 2.8–7.0 ms against 9.5–11.8,
// conv2 22.8–23.1 ms against 27–35.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "detail/parallel.hpp"
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

/// Images per thread at least: ~2^18 multiply-adds each.
inline std::size_t image_grain(const ConvGeometry& g) {
  return std::max<std::size_t>(1, (std::size_t(1) << 18) / std::max<std::size_t>(g.o * g.spatial() * g.group_rows(), 1));
}

/// Image n's column matrix (C·kh·kw × OH·OW): unrolled into `col`, or the image itself for a
/// pointwise kernel.
template <class T> const T* image_columns(const T* x, std::size_t n, const ConvGeometry& g, T* col) {
  if (g.pointwise()) return x + n * g.in_image();
  im2col(x + n * g.in_image(), g, g.spatial(), col);
  return col;
}

/// y (N×O×OH×OW) = conv(x (N×C×H×W), w (O×C/groups×kh×kw)) + b (O, or null).
template <class T> void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups, grain = image_grain(g);
  const SingleThreadedBlas blas;
  detail::parallel_for(g.n, grain, [&](std::size_t n0, std::size_t n1) {
    T* col = g.pointwise() ? nullptr : conv_scratch<T>(0, g.c * g.kh * g.kw * sp);  // this thread's
    for (std::size_t n = n0; n < n1; ++n) {
      const T* c = image_columns(x, n, g, col);
      T* out = y + n * g.out_image();
      if (b)  // the bias as the products' initial value
        for (std::size_t o = 0; o < g.o; ++o) std::fill(out + o * sp, out + (o + 1) * sp, b[o]);
      for (std::size_t k = 0; k < g.groups; ++k)
        dense_gemm(false, false, og, sp, rows, w + k * og * rows, c + k * rows * sp, b ? T(1) : T(0), out + k * og * sp);
    }
  });
}

/// The backward of y = conv(x, w): dx and dw (each only when non-null; x is read only for dw, w
/// only for dx), each image unrolled once for both. dw is summed over 8 fixed parts of the batch
/// (each its own partial sum, then added in order), however many threads run them.
template <class T> void conv_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, const ConvGeometry& g) {
  const std::size_t rows = g.group_rows(), sp = g.spatial(), og = g.o / g.groups, wsize = g.o * rows;
  const std::size_t parts = std::clamp<std::size_t>(g.n, 1, 8);
  const std::size_t grain = std::max<std::size_t>(1, image_grain(g) * parts / std::max<std::size_t>(g.n, 1));
  T* partial = dw ? conv_scratch<T>(2, parts * wsize) : nullptr;  // the caller's
  if (dw) std::fill(partial, partial + parts * wsize, T(0));
  const SingleThreadedBlas blas;
  detail::parallel_for(parts, grain, [&](std::size_t p0, std::size_t p1) {
    T* col = dw && !g.pointwise() ? conv_scratch<T>(0, g.c * g.kh * g.kw * sp) : nullptr;
    T* dcol = dx && !g.pointwise() ? conv_scratch<T>(1, g.c * g.kh * g.kw * sp) : nullptr;
    for (std::size_t p = p0; p < p1; ++p)
      for (std::size_t n = p * g.n / parts; n < (p + 1) * g.n / parts; ++n) {
        const T* d = dy + n * g.out_image();  // (O × OH·OW)
        if (dw) {
          const T* c = image_columns(x, n, g, col);
          T* pw = partial + p * wsize;
          for (std::size_t k = 0; k < g.groups; ++k)
            dense_gemm(false, true, og, rows, sp, d + k * og * sp, c + k * rows * sp, T(1), pw + k * og * rows);
        }
        if (dx) {
          T* dxn = dx + n * g.in_image();
          T* target = g.pointwise() ? dxn : dcol;  // a pointwise kernel's product is dx itself
          for (std::size_t k = 0; k < g.groups; ++k)
            dense_gemm(true, false, rows, sp, og, w + k * og * rows, d + k * og * sp, T(0), target + k * rows * sp);
          if (g.pointwise()) continue;
          std::fill(dxn, dxn + g.in_image(), T(0));
          col2im_add(dcol, g, sp, dxn);
        }
      }
  });
  if (!dw) return;
  std::fill(dw, dw + wsize, T(0));
  for (std::size_t p = 0; p < parts; ++p)
    for (std::size_t i = 0; i < wsize; ++i) dw[i] += partial[p * wsize + i];
}

}  // namespace descent::kernels
