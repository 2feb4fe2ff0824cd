// linalg.cholesky (potrf) and linalg.qr (geqrf + orgqr), one matrix of the batch at a time, with
// backward rules (PyTorch's cholesky_backward and linalg_qr_backward) written with differentiable
// ops, so that they differentiate again under create_graph.
#include <algorithm>
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/indexing.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/linalg_decompositions.hpp"
#include "descent/ops/shape.hpp"
#include "detail/shape.hpp"
#include "kernels/lapack.hpp"
#include "ops/linalg_batch.hpp"

namespace descent::linalg {

using autograd::record;
using detail::batch_element;
using detail::batch_of;
using detail::check_matrices;
using Grads = std::vector<Tensor>;

namespace {

/// The lower Cholesky factor. Handed to LAPACK as it is, a row-major A reads as Aᵀ, whose upper
/// triangle is A's lower one; potrf('U') leaves U there with Aᵀ = UᵀU, and U read row-major is L.
Tensor cholesky_lower(const Tensor& A) {
  const char* op = "linalg.cholesky";
  const Shape batch = batch_of(A);
  const std::size_t n = A.size(-1), count = numel(batch);
  Tensor l = A.detach().contiguous().clone();  // potrf overwrites its input
  if (l.numel() > 0) {
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      for (std::size_t i = 0; i < count; ++i) {
        T* m = l.data<T>() + i * n * n;
        const int info = kernels::lapack::potrf_upper(static_cast<int>(n), m);
        DESCENT_CHECK(info == 0, op, batch_element(batch, i),
                      "The factorization could not be completed because the input is not positive-definite (the "
                      "leading minor of order ",
                      info, " is not positive-definite; A ", to_string(A.shape()), ").");
        for (std::size_t r = 0; r < n; ++r) std::fill(m + r * n + r + 1, m + (r + 1) * n, T(0));  // potrf leaves it
      }
    });
  }
  // cholesky_backward: Φ = tril(Lᵀ·g) with its diagonal halved, gA = sym(L^{-T}·Φ·L⁻¹), sym(X) = (X + Xᵀ)/2.
  return record(op, l, {A}, [sl = SavedTensor::output(l)](const Tensor& g) {
    const Tensor L = sl.unpack();
    const Tensor m = matmul(transpose(L), g);
    const Tensor phi = tril(m) - 0.5 * m * eye(L.size(-1), L.dtype());
    const Tensor linv = inv(L);
    const Tensor ga = matmul(transpose(linv), matmul(phi, linv));
    return Grads{0.5 * (ga + transpose(ga))};
  });
}

/// x[..., start:start + rows·cols] as (*, rows, cols).
Tensor unpack_matrix(const Tensor& x, std::size_t start, std::size_t rows, std::size_t cols) {
  std::vector<std::ptrdiff_t> shape = descent::detail::signed_shape(Shape(x.shape().begin(), x.shape().end() - 1));
  shape.push_back(static_cast<std::ptrdiff_t>(rows));
  shape.push_back(static_cast<std::ptrdiff_t>(cols));
  return reshape(narrow(x, -1, static_cast<std::ptrdiff_t>(start), rows * cols), shape);
}

/// linalg_qr_backward for m >= n with square R (Q m×n): gA = (gQ + Q·syminvadj(triu(M)))·R^{-T},
/// M = gR·Rᵀ - Qᵀ·gQ and syminvadj(U) = U + Uᵀ with the diagonal counted once.
Tensor qr_backward_tall(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  const Tensor m = matmul(gR, transpose(R)) - matmul(transpose(Q), gQ);
  const Tensor y = gQ + matmul(Q, triu(m) + transpose(triu(m, 1)));
  return transpose(solve(R, transpose(y)));  // y·R^{-T}
}

/// The QR backward rule. A wide A (m < n) is [X | Y] with X = Q·U square (U = R's first m columns) and
/// Y = Q·V, V = Qᵀ·Y: X's rule with Q's gradient gQ + Y·gVᵀ (V's dependence on Q), and gY = Q·gV.
Tensor qr_backward(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  const std::size_t m = Q.size(-2), n = R.size(-1);
  if (m >= n) return qr_backward_tall(gQ, gR, Q, R);
  const auto w = static_cast<std::ptrdiff_t>(m);
  const Tensor u = narrow(R, -1, 0, m), v = narrow(R, -1, w, n - m);
  const Tensor gu = narrow(gR, -1, 0, m), gv = narrow(gR, -1, w, n - m);
  const Tensor gx = qr_backward_tall(gQ + matmul(matmul(Q, v), transpose(gv)), gu, Q, u);
  return concat({gx, matmul(Q, gv)}, -1);
}

}  // namespace

Tensor cholesky(const Tensor& A, bool upper) {
  check_matrices("linalg.cholesky", A, true);
  const Tensor l = cholesky_lower(A);
  return upper ? transpose(l) : l;
}

QRResult qr(const Tensor& A, const std::string& mode) {
  const char* op = "linalg.qr";
  check_matrices(op, A, false);
  DESCENT_CHECK(mode == "reduced" || mode == "complete" || mode == "r", op, "qr received unrecognized mode '", mode,
                "' but expected one of 'reduced' (default), 'r', or 'complete'");
  const Shape batch = batch_of(A);
  const std::size_t m = A.size(-2), n = A.size(-1), k = std::min(m, n), count = numel(batch);
  const bool complete = mode == "complete", want_q = mode != "r";
  const std::size_t q_cols = complete ? m : k, r_rows = complete ? m : k;
  const std::size_t q_size = want_q ? m * q_cols : 0, r_size = r_rows * n;
  // One recorded result holds Q and R side by side, (*, q_size + r_size): Q and R are views of it, so
  // one node sees both their gradients.
  Shape shape = batch;
  shape.push_back(q_size + r_size);
  Tensor packed = zeros(shape, A.dtype());
  if (count > 0 && m > 0) {  // n = 0 too: a complete Q is then the identity
    const Tensor a = A.detach().contiguous();
    descent::detail::dispatch_floating(op, A.dtype(), [&](auto e) {
      using T = decltype(e);
      const std::size_t cols = std::max(n, q_cols);  // complete Q (m×m) is formed in the buffer
      std::vector<T> buffer(m * cols), tau(k);
      const int lwork = static_cast<int>(64 * std::max(m, cols));
      std::vector<T> work(static_cast<std::size_t>(lwork));
      const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
      for (std::size_t i = 0; i < count; ++i) {
        T* out = packed.data<T>() + i * (q_size + r_size);
        detail::to_column_major(a.data<T>() + i * m * n, m, n, buffer.data(), m);
        kernels::lapack::geqrf(mi, ni, buffer.data(), tau.data(), work.data(), lwork);
        T* r = out + q_size;  // R: the upper triangle of the first r_rows rows (zeros below, from zeros())
        for (std::size_t row = 0; row < std::min(r_rows, k); ++row)
          for (std::size_t col = row; col < n; ++col) r[row * n + col] = buffer[col * m + row];
        if (!want_q) continue;
        kernels::lapack::orgqr(mi, static_cast<int>(q_cols), ki, buffer.data(), tau.data(), work.data(), lwork);
        detail::to_row_major(buffer.data(), m, q_cols, m, out);
      }
    });
  }
  packed = record(op, packed, {A},
                  [sp = SavedTensor::output(packed), m, n, q_size, q_cols, r_rows, complete, want_q](const Tensor& g) {
                    DESCENT_CHECK(want_q, "linalg.qr",
                                  "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                                  "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                                  "through linalg.qr.");
                    DESCENT_CHECK(!complete || m <= n, "linalg.qr",
                                  "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
                    const Tensor p = sp.unpack();
                    return Grads{qr_backward(unpack_matrix(g, 0, m, q_cols), unpack_matrix(g, q_size, r_rows, n),
                                             unpack_matrix(p, 0, m, q_cols), unpack_matrix(p, q_size, r_rows, n))};
                  });
  QRResult result;
  if (want_q) result.Q = unpack_matrix(packed, 0, m, q_cols);
  result.R = unpack_matrix(packed, q_size, r_rows, n);
  return result;
}

}  // namespace descent::linalg
