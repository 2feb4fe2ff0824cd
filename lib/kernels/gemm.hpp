#pragma once
// Matrix-product kernels: typed CBLAS calls (row-major, alpha = 1, C contiguous) and how a strided
// matrix is described to BLAS without a copy. Used by matmul and linear.
// (xtensor-blas's xlinalg.hpp must not be included beside this: it redeclares cblas_sgemm.)
#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

#include <cblas.h>

#include "descent/tensor.hpp"

extern "C" {
// OpenBLAS's thread control, weak: absent with another BLAS.
int openblas_get_num_threads(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace descent::kernels {

inline CBLAS_TRANSPOSE blas_flag(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }

/// c (m×n, ldc = n) = op(a)·op(b) + beta·c.
inline void gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta,
                 float* c) {
  cblas_sgemm(CblasRowMajor, blas_flag(ta), blas_flag(tb), m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
}
inline void gemm(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                 double beta, double* c) {
  cblas_dgemm(CblasRowMajor, blas_flag(ta), blas_flag(tb), m, n, k, 1.0, a, lda, b, ldb, beta, c, n);
}

/// y = op(A)·x, A stored as rows×cols.
inline void gemv(bool t, int rows, int cols, const float* a, int lda, const float* x, int incx, float* y) {
  cblas_sgemv(CblasRowMajor, blas_flag(t), rows, cols, 1.0f, a, lda, x, incx, 0.0f, y, 1);
}
inline void gemv(bool t, int rows, int cols, const double* a, int lda, const double* x, int incx, double* y) {
  cblas_dgemv(CblasRowMajor, blas_flag(t), rows, cols, 1.0, a, lda, x, incx, 0.0, y, 1);
}

inline float dot(int n, const float* x, int incx, const float* y, int incy) { return cblas_sdot(n, x, incx, y, incy); }
inline double dot(int n, const double* x, int incx, const double* y, int incy) {
  return cblas_ddot(n, x, incx, y, incy);
}

/// How BLAS reads a matrix view in place: row-major (`leading_dim` = the row stride), or
/// column-major as transpose() leaves a row-major matrix (passed with CblasTrans, `leading_dim` =
/// the column stride). Not `usable` for layouts BLAS cannot describe (broadcast or strided both
/// ways): matmul copies those first.
struct BlasMatrix {
  bool usable = false;
  bool transposed = false;
  std::ptrdiff_t leading_dim = 0;
};

inline BlasMatrix blas_matrix(std::size_t rows, std::size_t cols, std::ptrdiff_t row_stride,
                              std::ptrdiff_t col_stride) {
  const auto r = static_cast<std::ptrdiff_t>(rows), c = static_cast<std::ptrdiff_t>(cols);
  // Row-major: element (i, j) at i·ld + j with ld >= cols.
  if ((c == 1 || col_stride == 1) && (r == 1 || row_stride >= std::max<std::ptrdiff_t>(1, c)))
    return {true, false, r == 1 ? std::max<std::ptrdiff_t>(1, c) : row_stride};
  // Column-major (what transpose() makes of a row-major matrix): element (i, j) at i + j·ld, ld >= rows.
  if ((r == 1 || row_stride == 1) && (c == 1 || col_stride >= std::max<std::ptrdiff_t>(1, r)))
    return {true, true, c == 1 ? std::max<std::ptrdiff_t>(1, r) : col_stride};
  return {};
}

/// The same for a 2-D tensor.
inline BlasMatrix blas_matrix(const Tensor& m) {
  DESCENT_CHECK(m.dim() == 2, "blas_matrix", "expected a 2-D tensor, got shape ", to_string(m.shape()));
  return blas_matrix(m.shape()[0], m.shape()[1], m.strides()[0], m.strides()[1]);
}

/// Element offsets of a batch of matrices (small batches without a heap allocation).
using BatchOffsets = xt::svector<std::ptrdiff_t, 4>;

/// The element offset in t of each matrix of the batch `batch` (row-major order), t's batch
/// dimensions (all but its last two) aligned to the right of it: 0 along those it broadcasts
/// (missing or of size 1).
inline BatchOffsets batch_offsets(const Tensor& t, const Shape& batch) {
  const std::size_t own = t.dim() <= 2 ? 0 : t.dim() - 2, n = batch.size();
  xt::svector<std::ptrdiff_t, 4> strides(n, 0);
  for (std::size_t i = 0; i < own; ++i)
    if (t.shape()[i] != 1) strides[n - own + i] = t.strides()[i];
  BatchOffsets offsets(numel(batch));
  xt::svector<std::size_t, 4> index(n, 0);
  std::ptrdiff_t offset = 0;
  for (auto& o : offsets) {  // an odometer over the batch index
    o = offset;
    for (std::size_t d = n; d-- > 0;) {
      offset += strides[d];
      if (++index[d] < batch[d]) break;
      offset -= strides[d] * static_cast<std::ptrdiff_t>(batch[d]);
      index[d] = 0;
    }
  }
  return offsets;
}

/// OpenBLAS single-threaded for a scope (the kernels that run their products on descent's threads:
/// convolution, attention): every convolution product runs on one BLAS thread, on
/// whichever of descent's threads takes its image. That makes the arithmetic independent of the
/// number of threads (OpenBLAS's Haswell kernels round some entries differently when its own threads
/// split a product: CI's avx2 stage caught it), and several callers at once would otherwise queue
/// for OpenBLAS's threads, which then spin on the cores descent's threads need. With another BLAS
/// (no openblas_set_num_threads) it does nothing.
/// Counted across threads: OpenBLAS stays on one thread until the last convolution running ends.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() {
    if (!openblas_get_num_threads || !openblas_set_num_threads) return;
    std::lock_guard lock(state().mutex);
    if (state().active++ == 0) {
      state().saved = openblas_get_num_threads();
      if (state().saved > 1) openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    if (!openblas_get_num_threads || !openblas_set_num_threads) return;
    std::lock_guard lock(state().mutex);
    if (--state().active == 0 && state().saved > 1) openblas_set_num_threads(state().saved);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  struct State {
    std::mutex mutex;
    int active = 0, saved = 1;
  };
  static State& state() {
    static State s;
    return s;
  }
};

// --- the fused affine map of linear() ----------------------------------------------------------


inline constexpr std::size_t blas_from = 32768;  // multiply-adds; below this, loops beat the BLAS call

// c (m×n) = op(a)·op(b) + beta·c with a, b stored densely: lda/ldb follow from the flags.
template <class T>
void dense_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b, T beta, T* c) {
  gemm(ta, tb, int(m), int(n), int(k), a, int(ta ? m : k), b, int(tb ? k : n), beta, c);
}

// The small-size loops are written as row updates (axpy over a contiguous row) rather than dot
// products: without -ffast-math the compiler may not reorder a reduction, so only axpy vectorises.

/// y (N×out) = x (N×in) · Wᵀ + b.
template <class T>
void linear_forward(const T* __restrict x, const T* __restrict w, const T* __restrict b, T* __restrict y,
                    std::size_t rows, std::size_t in, std::size_t out) {
  if (rows * in * out >= blas_from) {
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t o = 0; o < out; ++o) y[i * out + o] = b ? b[o] : T(0);
    dense_gemm(false, true, rows, out, in, x, w, b ? T(1) : T(0), y);
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
void linear_backward(const T* __restrict g, const T* __restrict x, const T* __restrict w, T* __restrict dx,
                     T* __restrict dw, T* __restrict db, std::size_t rows, std::size_t in, std::size_t out) {
  const bool big = rows * in * out >= blas_from;
  if (dx && big) dense_gemm(false, false, rows, in, out, g, w, T(0), dx);
  if (dw && big) dense_gemm(true, false, out, in, rows, g, x, T(0), dw);
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

}  // namespace descent::kernels
