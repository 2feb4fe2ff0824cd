#pragma once
// LAPACK's Fortran routines, which Debian's OpenBLAS exports (liblapacke is not a dependency), and
// typed overloads over them. Matrices are column-major with a leading dimension; a row-major
// matrix passed as is reads as its transpose. Character arguments carry gfortran's hidden lengths.
#include <cstddef>

extern "C" {
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetrs_(const char* trans, const int* n, const int* nrhs, const float* a, const int* lda, const int* ipiv,
             float* b, const int* ldb, int* info, std::size_t);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda, const int* ipiv,
             double* b, const int* ldb, int* info, std::size_t);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork, int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work, const int* lwork, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork,
             int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
void sgels_(const char* trans, const int* m, const int* n, const int* nrhs, float* a, const int* lda, float* b,
            const int* ldb, float* work, const int* lwork, int* info, std::size_t);
void dgels_(const char* trans, const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b,
            const int* ldb, double* work, const int* lwork, int* info, std::size_t);
}

namespace descent::kernels::lapack {

// Each returns LAPACK's info: 0 on success, > 0 for a numerical failure (singular, not positive-definite).

/// LU factorisation with partial pivoting of the n×n matrix a, in place.
inline int getrf(int n, float* a, int* ipiv) {
  int info = 0;
  sgetrf_(&n, &n, a, &n, ipiv, &info);
  return info;
}
inline int getrf(int n, double* a, int* ipiv) {
  int info = 0;
  dgetrf_(&n, &n, a, &n, ipiv, &info);
  return info;
}

/// Solves op(A)·X = B (B n×nrhs, column-major) with getrf's factors of A.
inline void getrs(bool transposed, int n, int nrhs, const float* a, const int* ipiv, float* b) {
  int info = 0;
  sgetrs_(transposed ? "T" : "N", &n, &nrhs, a, &n, ipiv, b, &n, &info, 1);
}
inline void getrs(bool transposed, int n, int nrhs, const double* a, const int* ipiv, double* b) {
  int info = 0;
  dgetrs_(transposed ? "T" : "N", &n, &nrhs, a, &n, ipiv, b, &n, &info, 1);
}

/// The inverse from getrf's factors, in place (work has n·64 elements).
inline void getri(int n, float* a, const int* ipiv, float* work, int lwork) {
  int info = 0;
  sgetri_(&n, a, &n, ipiv, work, &lwork, &info);
}
inline void getri(int n, double* a, const int* ipiv, double* work, int lwork) {
  int info = 0;
  dgetri_(&n, a, &n, ipiv, work, &lwork, &info);
}

/// Cholesky factor U (A = Uᵀ·U) in the upper triangle of the column-major n×n a.
inline int potrf_upper(int n, float* a) {
  int info = 0;
  spotrf_("U", &n, a, &n, &info, 1);
  return info;
}
inline int potrf_upper(int n, double* a) {
  int info = 0;
  dpotrf_("U", &n, a, &n, &info, 1);
  return info;
}

/// Householder QR of the column-major m×n a (lda = m): R above the diagonal, reflectors below.
inline void geqrf(int m, int n, float* a, float* tau, float* work, int lwork) {
  int info = 0;
  sgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
}
inline void geqrf(int m, int n, double* a, double* tau, double* work, int lwork) {
  int info = 0;
  dgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
}

/// The first n columns of Q (m×n, lda = m) from k of geqrf's reflectors.
inline void orgqr(int m, int n, int k, float* a, const float* tau, float* work, int lwork) {
  int info = 0;
  sorgqr_(&m, &n, &k, a, &m, tau, work, &lwork, &info);
}
inline void orgqr(int m, int n, int k, double* a, const double* tau, double* work, int lwork) {
  int info = 0;
  dorgqr_(&m, &n, &k, a, &m, tau, work, &lwork, &info);
}

/// Least squares / minimum norm solution of A·X = B for a full-rank column-major m×n A; B is
/// max(m, n)×nrhs (ldb = max(m, n)) and holds X in its first n rows after.
inline int gels(int m, int n, int nrhs, float* a, float* b, float* work, int lwork) {
  int info = 0, ldb = m > n ? m : n;
  sgels_("N", &m, &n, &nrhs, a, &m, b, &ldb, work, &lwork, &info, 1);
  return info;
}
inline int gels(int m, int n, int nrhs, double* a, double* b, double* work, int lwork) {
  int info = 0, ldb = m > n ? m : n;
  dgels_("N", &m, &n, &nrhs, a, &m, b, &ldb, work, &lwork, &info, 1);
  return info;
}

}  // namespace descent::kernels::lapack
