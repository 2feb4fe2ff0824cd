#pragma once
// torch.linalg's solvers, decompositions and norms: LAPACK (through OpenBLAS) forward, backward
// rules composed of differentiable descent ops, so that gradients of every order exist. Every
// function takes float32 or float64 tensors with any number of leading batch dimensions.
#include <optional>
#include <string>

#include "descent/shape.hpp"
#include "descent/tensor.hpp"

namespace descent::linalg {

/// torch.linalg.solve: X with A·X = B for square A (*, n, n). B is (*, n, k), or a vector: (n) or,
/// when B.dim() == A.dim() - 1 and B's shape is A's without its last dimension, (*, n). Batch
/// dimensions broadcast. With left = false, X with X·A = B (B (*, k, n)). Throws for a singular A.
Tensor solve(const Tensor& A, const Tensor& B, bool left = true);

/// torch.linalg.lstsq's solution: the least squares solution of A·X = B for a full-rank A (*, m, n)
/// with m >= n, the minimum-norm solution for m < n (LAPACK's gels, QR based). B is (*, m, k), or
/// (*, m) when B.dim() == A.dim() - 1 (torch's rule); batch dimensions broadcast. Throws for a
/// rank-deficient A (where torch's default driver, gelsy, returns a basic solution).
struct LstsqResult {
  Tensor solution;
};
LstsqResult lstsq(const Tensor& A, const Tensor& B);

/// torch.linalg.inv: the inverse of square A (*, n, n); throws for a singular A.
Tensor inv(const Tensor& A);

/// torch.linalg.det: the determinant of square A (*, n, n), shape (*). (Its gradient needs A's
/// inverse, so it throws for a singular A, where PyTorch goes through the SVD.)
Tensor det(const Tensor& A);

/// torch.linalg.cholesky: L lower triangular with A = L·Lᵀ for symmetric positive-definite A
/// (*, n, n) (only its lower triangle is read), or U = Lᵀ with upper. Throws when A is not
/// positive-definite.
Tensor cholesky(const Tensor& A, bool upper = false);

/// torch.linalg.qr: A (*, m, n) = Q·R, Q with orthonormal columns, R upper triangular; k = min(m, n).
/// mode "reduced": Q (*, m, k), R (*, k, n); "complete": Q (*, m, m), R (*, m, n); "r": R (*, k, n)
/// only (Q undefined). Differentiable in "reduced" mode and in "complete" mode with m <= n.
struct QRResult {
  Tensor Q, R;
};
QRResult qr(const Tensor& A, const std::string& mode = "reduced");

/// torch.linalg.vector_norm: (Σ|x|^ord)^(1/ord) over `dim` (every axis when absent); ord inf is
/// max|x|, -inf min|x|, 0 the count of non-zeros (no gradient).
Tensor vector_norm(const Tensor& x, double ord = 2, const std::optional<Axes>& dim = std::nullopt,
                   bool keepdim = false);

/// torch.linalg.matrix_norm over the two axes `dim`: ord "fro" (Frobenius); 1 / -1 the max / min
/// column sum of |A|, inf / -inf the max / min row sum. (2, -2 and "nuc" need the SVD: not available.)
Tensor matrix_norm(const Tensor& A, const std::string& ord = "fro", const Axes& dim = {-2, -1}, bool keepdim = false);
Tensor matrix_norm(const Tensor& A, double ord, const Axes& dim = {-2, -1}, bool keepdim = false);

/// torch.linalg.norm: without ord, the 2-norm of x flattened (or over `dim`, one axis or, as Frobenius,
/// two); with a numeric ord, a vector norm when `dim` has one axis (or x is 1-D and dim absent), a
/// matrix norm when it has two (or x is 2-D and dim absent). A string ord is a matrix norm.
Tensor norm(const Tensor& x, std::optional<double> ord = std::nullopt, const std::optional<Axes>& dim = std::nullopt,
            bool keepdim = false);
Tensor norm(const Tensor& x, const std::string& ord, const std::optional<Axes>& dim = std::nullopt,
            bool keepdim = false);

}  // namespace descent::linalg
