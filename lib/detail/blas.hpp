#pragma once
// Typed CBLAS calls shared by the matrix-product ops: row-major, alpha = 1, C contiguous (ldc = n).
// (xtensor-blas's xlinalg.hpp must not be included beside this: it redeclares cblas_sgemm.)
#include <cblas.h>

namespace descent::detail {

inline CBLAS_TRANSPOSE blas_flag(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }

/// c (m×n) = op(a)·op(b) + beta·c.
inline void gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta,
                 float* c) {
  cblas_sgemm(CblasRowMajor, blas_flag(ta), blas_flag(tb), m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
}
inline void gemm(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                 double beta, double* c) {
  cblas_dgemm(CblasRowMajor, blas_flag(ta), blas_flag(tb), m, n, k, 1.0, a, lda, b, ldb, beta, c, n);
}

}  // namespace descent::detail
