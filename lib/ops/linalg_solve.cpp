// linalg.solve, inv, det and lstsq: LU (getrf / getrs / getri) and QR (gels) factorisations forward,
// one matrix of the batch at a time; backward rules written with solve, inv and matmul, so that
// they differentiate again under create_graph.
//
// A row-major matrix handed to LAPACK as it is reads as its transpose: getrf factors Aᵀ, and
// getrs('T') with those factors solves A·X = B; getri of Aᵀ gives (A⁻¹)ᵀ, which read row-major is
// A⁻¹; det(Aᵀ) = det(A). Only right-hand sides (and gels's A) are copied to column-major.
#include <algorithm>
#include <climits>
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/linalg_decompositions.hpp"
#include "descent/ops/shape.hpp"
#include "kernels/lapack.hpp"
#include "ops/linalg_batch.hpp"

namespace descent::linalg {

using autograd::record;
using detail::batch_element;
using detail::batch_of;
using detail::broadcast_values;
using detail::check_matrices;
using Grads = std::vector<Tensor>;

namespace {

/// X with A·X = B for A (*, n, n) and B (*, n, k), batch dimensions broadcast; b_shape is B's shape
/// as the caller gave it, for the error message.
Tensor solve_matrices(const Tensor& A, const Tensor& B, const Shape& b_shape) {
  const char* op = "linalg.solve";
  const Shape batch = broadcast_shapes(op, batch_of(A), batch_of(B));
  const std::size_t n = A.size(-1), k = B.size(-1), count = numel(batch);
  Shape shape = batch;
  shape.push_back(n);
  shape.push_back(k);
  Tensor x = empty(shape, A.dtype());
  if (x.numel() > 0) {
    const Tensor a = broadcast_values(A, batch), b = broadcast_values(B, batch);
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      std::vector<T> lu(n * n), rhs(n * k);
      std::vector<int> pivots(n);
      const int ni = static_cast<int>(n), ki = static_cast<int>(k);
      for (std::size_t i = 0; i < count; ++i) {
        std::copy_n(a.data<T>() + i * n * n, n * n, lu.begin());
        DESCENT_CHECK(kernels::lapack::getrf(ni, lu.data(), pivots.data()) == 0, op, batch_element(batch, i),
                      "The solver failed because the input matrix is singular (A ", to_string(A.shape()), ", B ",
                      to_string(b_shape), ").");
        detail::to_column_major(b.data<T>() + i * n * k, n, k, rhs.data(), n);
        kernels::lapack::getrs(true, ni, ki, lu.data(), pivots.data(), rhs.data());
        detail::to_row_major(rhs.data(), n, k, n, x.data<T>() + i * n * k);
      }
    });
  }
  // PyTorch's linalg_solve_backward: gB = A^{-T}·g, gA = -gB·Xᵀ (broadcast batches summed back).
  return record(op, x, {A, B}, [sa = SavedTensor(A), sx = SavedTensor::output(x)](const Tensor& g) {
    const Tensor a = sa.unpack();
    const Tensor gb = solve_matrices(transpose(a), g, g.shape());
    return Grads{a.requires_grad() ? -matmul(gb, transpose(sx.unpack())) : Tensor(), gb};
  });
}

/// Normalises solve's and lstsq's B to matrices: (checked) B, or B with a trailing axis of 1.
Tensor rhs_matrices(const char* op, const Tensor& A, const Tensor& B, bool vector) {
  descent::detail::check_same_dtype(op, A, B);
  DESCENT_CHECK(B.numel() < INT_MAX, op, "B ", to_string(B.shape()), " is too large for LAPACK");
  const Tensor b = vector ? unsqueeze(B, -1) : B;
  DESCENT_CHECK(b.dim() >= 2 && b.size(-2) == A.size(-2), op, "incompatible shapes of A and B for the equation ",
                "A·X = B (", to_string(A.shape()), " and ", to_string(B.shape()), ")");
  return b;
}

}  // namespace

Tensor solve(const Tensor& A, const Tensor& B, bool left) {
  const char* op = "linalg.solve";
  check_matrices(op, A, true);
  const bool vector = detail::vector_rhs(A, B);
  if (!left) {  // X·A = B is Aᵀ·Xᵀ = Bᵀ (a vector is its own transpose)
    check_matrices(op, B, false);
    return vector ? solve(transpose(A), B) : transpose(solve(transpose(A), transpose(B)));
  }
  const Tensor x = solve_matrices(A, rhs_matrices(op, A, B, vector), B.shape());
  return vector ? squeeze(x, -1) : x;
}

Tensor inv(const Tensor& A) {
  const char* op = "linalg.inv";
  check_matrices(op, A, true);
  const Shape batch = batch_of(A);
  const std::size_t n = A.size(-1), count = numel(batch);
  Tensor y = A.detach().contiguous().clone();  // getri overwrites its input
  if (y.numel() > 0) {
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      const int ni = static_cast<int>(n), lwork = 64 * ni;
      std::vector<T> work(static_cast<std::size_t>(lwork));
      std::vector<int> pivots(n);
      for (std::size_t i = 0; i < count; ++i) {
        T* m = y.data<T>() + i * n * n;
        DESCENT_CHECK(kernels::lapack::getrf(ni, m, pivots.data()) == 0, op, batch_element(batch, i),
                      "The diagonal element of the LU factorization is zero, so the inverse could not be computed: "
                      "the input matrix is singular (A ",
                      to_string(A.shape()), ").");
        kernels::lapack::getri(ni, m, pivots.data(), work.data(), lwork);
      }
    });
  }
  // d(A⁻¹) = -A⁻¹·dA·A⁻¹, so gA = -A^{-T}·g·A^{-T}.
  return record(op, y, {A}, [sy = SavedTensor::output(y)](const Tensor& g) {
    const Tensor yt = transpose(sy.unpack());
    return Grads{-matmul(yt, matmul(g, yt))};
  });
}

Tensor det(const Tensor& A) {
  const char* op = "linalg.det";
  check_matrices(op, A, true);
  const Shape batch = batch_of(A);
  const std::size_t n = A.size(-1), count = numel(batch);
  Tensor d = empty(batch, A.dtype());
  if (count > 0) {
    const Tensor a = A.detach().contiguous();
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      std::vector<T> lu(n * n);
      std::vector<int> pivots(n);
      for (std::size_t i = 0; i < count; ++i) {
        T value = 1;  // the product of U's diagonal, negated for each row swap (0 for a singular A)
        if (n > 0) {
          std::copy_n(a.data<T>() + i * n * n, n * n, lu.begin());
          kernels::lapack::getrf(static_cast<int>(n), lu.data(), pivots.data());
          for (std::size_t j = 0; j < n; ++j)
            value *= pivots[j] != static_cast<int>(j + 1) ? -lu[j * n + j] : lu[j * n + j];
        }
        d.data<T>()[i] = value;
      }
    });
  }
  // d det(A)/dA = det(A)·A^{-T}.
  return record(op, d, {A}, [sa = SavedTensor(A), sd = SavedTensor::output(d)](const Tensor& g) {
    const Tensor value = sd.unpack();
    const bool singular = descent::detail::dispatch_floating("linalg.det", value.dtype(), [&](auto e) {
      const auto* v = value.data<decltype(e)>();
      return std::any_of(v, v + value.numel(), [](auto x) { return x == 0; });
    });
    DESCENT_CHECK(!singular, "linalg.det", "its gradient at a singular matrix (A ", to_string(sa.unpack().shape()),
                  ") is not supported (it needs A's inverse)");
    return Grads{unsqueeze(unsqueeze(g * value, -1), -1) * transpose(inv(sa.unpack()))};
  });
}

namespace {

/// The gels solution of A·X = B for A (*, m, n) and B (*, m, k), batch dimensions broadcast.
Tensor lstsq_matrices(const Tensor& A, const Tensor& B) {
  const char* op = "linalg.lstsq";
  const Shape batch = broadcast_shapes(op, batch_of(A), batch_of(B));
  const std::size_t m = A.size(-2), n = A.size(-1), k = B.size(-1), count = numel(batch), ldb = std::max(m, n);
  Shape shape = batch;
  shape.push_back(n);
  shape.push_back(k);
  Tensor x = zeros(shape, A.dtype());  // zeros: the minimum-norm solution when A has no rows
  if (x.numel() > 0 && m > 0) {
    const Tensor a = broadcast_values(A, batch), b = broadcast_values(B, batch);
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      std::vector<T> ca(m * n), cb(ldb * k);
      const int lwork = static_cast<int>(std::min(m, n) + std::max({m, n, k}) * 64);
      std::vector<T> work(static_cast<std::size_t>(lwork));
      for (std::size_t i = 0; i < count; ++i) {
        detail::to_column_major(a.data<T>() + i * m * n, m, n, ca.data(), m);
        detail::to_column_major(b.data<T>() + i * m * k, m, k, cb.data(), ldb);
        const int info = kernels::lapack::gels(static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ca.data(),
                                               cb.data(), work.data(), lwork);
        DESCENT_CHECK(info == 0, op, batch_element(batch, i), "the input matrix A (", to_string(A.shape()),
                      ") does not have full rank, which the QR-based solver (gels) needs");
        detail::to_row_major(cb.data(), n, k, ldb, x.data<T>() + i * n * k);
      }
    });
  }
  // The solution of a full-rank A is pinv(A)·B, differentiated through the normal equations:
  // m >= n, X = (AᵀA)⁻¹AᵀB: with Z = (AᵀA)⁻¹g, gB = A·Z, gA = (B - A·X)·Zᵀ - A·Z·Xᵀ;
  // m < n, X = Aᵀ(AAᵀ)⁻¹B: with Y = (AAᵀ)⁻¹B, W = (AAᵀ)⁻¹A·g, gB = W, gA = Y·gᵀ - W·Xᵀ - Y·Wᵀ·A.
  return record(
      op, x, {A, B}, [sa = SavedTensor(A), sb = SavedTensor(B), sx = SavedTensor::output(x)](const Tensor& g) {
        const Tensor a = sa.unpack(), b = sb.unpack(), x = sx.unpack(), at = transpose(a);
        if (a.size(-2) >= a.size(-1)) {
          const Tensor z = solve_matrices(matmul(at, a), g, g.shape()), az = matmul(a, z);
          return Grads{matmul(b - matmul(a, x), transpose(z)) - matmul(az, transpose(x)), az};
        }
        const Tensor gram = matmul(a, at);
        const Tensor y = solve_matrices(gram, b, b.shape()), w = solve_matrices(gram, matmul(a, g), g.shape());
        return Grads{matmul(y, transpose(g)) - matmul(w, transpose(x)) - matmul(y, matmul(transpose(w), a)), w};
      });
}

}  // namespace

LstsqResult lstsq(const Tensor& A, const Tensor& B) {
  const char* op = "linalg.lstsq";
  check_matrices(op, A, false);
  const bool vector = B.dim() + 1 == A.dim();  // torch.linalg.lstsq's rule: B is (*, m)
  const Tensor x = lstsq_matrices(A, rhs_matrices(op, A, B, vector));
  return {vector ? squeeze(x, -1) : x};
}

}  // namespace descent::linalg
