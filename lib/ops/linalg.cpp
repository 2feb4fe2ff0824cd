// Matrix products through BLAS. Operands reach cblas_?gemm / ?gemv / ?dot as they are stored: a
// transposed view goes with CblasTrans and its own leading dimension, never copied; only layouts
// BLAS cannot describe (broadcast, or strided both ways) are made contiguous first.
// (xtensor-blas's xlinalg.hpp must not be included here: it redeclares cblas_sgemm.)
#include "descent/ops/linalg.hpp"

#include <algorithm>
#include <climits>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "kernels/gemm.hpp"
#include "detail/dispatch.hpp"
#include "detail/shape.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

using kernels::blas_matrix;
using kernels::dot;
using kernels::gemv;

/// An operand's matrices (strides in elements): a 1-D operand is one row on the left and one
/// column on the right. Its batch dimensions are described by batch_offsets below.
struct Operand {
  void* data = nullptr;
  std::size_t rows = 1, cols = 1;
  std::ptrdiff_t row_stride = 0, col_stride = 0;
};

Operand describe(const Tensor& t, bool left) {
  Operand op;
  op.data = t.impl().data;
  const auto& shape = t.shape();
  const auto& strides = t.strides();
  if (t.dim() == 1) {
    (left ? op.cols : op.rows) = shape[0];
    (left ? op.col_stride : op.row_stride) = strides[0];
    return op;
  }
  const std::size_t r = t.dim() - 2;
  op.rows = shape[r];
  op.cols = shape[r + 1];
  op.row_stride = strides[r];
  op.col_stride = strides[r + 1];
  return op;
}

/// The batch dimensions of a matmul operand: all but its last two (none for 1-D and 2-D).
Shape batch_shape(const Tensor& t) {
  return t.dim() <= 2 ? Shape{} : Shape(t.shape().begin(), t.shape().end() - 2);
}

using Offsets = kernels::BatchOffsets;
using kernels::batch_offsets;

/// The increment of a left operand's row / a right operand's column read as a BLAS vector.
std::ptrdiff_t vector_stride(const Operand& op, bool left) {
  const std::size_t n = left ? op.cols : op.rows;
  return n <= 1 ? 1 : (left ? op.col_stride : op.row_stride);
}

/// Whether BLAS reads the operand in place: as a vector (when its side of the product has length
/// 1) it needs a positive increment, as a matrix a layout blas_matrix accepts.
bool readable(const Operand& op, bool left) {
  if ((left ? op.rows : op.cols) == 1) return vector_stride(op, left) > 0;
  return blas_matrix(op.rows, op.cols, op.row_stride, op.col_stride).usable;
}

/// out[i] = A[i]·B[i] for each batch i (matrices at the given offsets), into contiguous `out`:
/// ?dot for a 1×1 result, ?gemv when one side is a vector, ?gemm otherwise.
template <class T> void multiply(const Operand& A, const Operand& B, const Offsets& oa, const Offsets& ob, T* out) {
  const int m = static_cast<int>(A.rows), k = static_cast<int>(A.cols), n = static_cast<int>(B.cols);
  const auto la = blas_matrix(A.rows, A.cols, A.row_stride, A.col_stride);
  const auto lb = blas_matrix(B.rows, B.cols, B.row_stride, B.col_stride);
  const int lda = static_cast<int>(la.leading_dim), ldb = static_cast<int>(lb.leading_dim);
  const int inca = static_cast<int>(vector_stride(A, true)), incb = static_cast<int>(vector_stride(B, false));
  for (std::size_t i = 0; i < oa.size(); ++i) {
    const T* a = static_cast<const T*>(A.data) + oa[i];
    const T* b = static_cast<const T*>(B.data) + ob[i];
    T* c = out + i * A.rows * B.cols;
    if (m == 1 && n == 1) *c = dot(k, a, inca, b, incb);
    else if (n == 1) gemv(la.transposed, la.transposed ? k : m, la.transposed ? m : k, a, lda, b, incb, c);
    else if (m == 1) gemv(!lb.transposed, lb.transposed ? n : k, lb.transposed ? k : n, b, ldb, a, inca, c);
    else kernels::gemm(la.transposed, lb.transposed, m, n, k, a, lda, b, ldb, T(0), c);
  }
}

/// Whether offsets are evenly spaced: offsets[i] = offsets[0] + i·step.
bool evenly_spaced(const Offsets& offsets, std::ptrdiff_t step) {
  for (std::size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] - offsets[0] != static_cast<std::ptrdiff_t>(i) * step) return false;
  return true;
}

template <class T> void product(const Tensor& a, const Tensor& b, const Shape& batch, const Tensor& out) {
  Tensor ca = a, cb = b;  // keep any copies alive through the calls
  Operand A = describe(a, true), B = describe(b, false);
  if (!readable(A, true)) A = describe(ca = detail::contiguous_values(a), true);
  if (!readable(B, false)) B = describe(cb = detail::contiguous_values(b), false);
  Offsets oa = batch_offsets(ca, batch), ob = batch_offsets(cb, batch);
  // A batch of matrices over one right operand, stacked evenly: one tall matrix, one BLAS call.
  if (oa.size() > 1 && evenly_spaced(ob, 0)) {
    const std::ptrdiff_t step = oa[1] - oa[0];
    if ((A.rows == 1 || step == static_cast<std::ptrdiff_t>(A.rows) * A.row_stride) && evenly_spaced(oa, step)) {
      Operand tall = A;
      tall.row_stride = A.rows == 1 ? step : A.row_stride;
      tall.rows = oa.size() * A.rows;
      if (readable(tall, true)) A = tall, oa.resize(1), ob.resize(1);
    }
  }
  multiply<T>(A, B, oa, ob, out.data<T>());
}

/// Whether the batch and row dimensions of t merge into one (reshape(t, {-1, cols}) is a view).
bool rows_stack(const Tensor& t) {
  std::ptrdiff_t inner = -1;  // stride × size of the next inner dimension longer than 1
  for (std::size_t d = t.dim() - 1; d-- > 0;) {
    if (t.shape()[d] == 1) continue;
    if (inner >= 0 && t.strides()[d] != inner) return false;
    inner = t.strides()[d] * static_cast<std::ptrdiff_t>(t.shape()[d]);
  }
  return true;
}

/// Whether t's matrices are stored column-major (as transpose() leaves row-major ones).
bool column_major(const Tensor& t) {
  const std::size_t r = t.dim() - 2;
  return blas_matrix(t.shape()[r], t.shape()[r + 1], t.strides()[r], t.strides()[r + 1]).transposed;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  DESCENT_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul", "both operands need at least one dimension, got ",
                to_string(a.shape()), " and ", to_string(b.shape()), " (multiply by a scalar with mul)");
  detail::check_same_dtype("matmul", a, b);
  DESCENT_CHECK(is_floating(a.dtype()), "matmul", "expected float32 or float64 operands, got ", to_string(a.dtype()),
                " ", to_string(a.shape()), " and ", to_string(b.shape()), " (convert with .to(float32))");
  const Operand A = describe(a, true), B = describe(b, false);
  DESCENT_CHECK(A.cols == B.rows, "matmul", "cannot multiply ", to_string(a.shape()), " by ", to_string(b.shape()));
  const Shape ba = batch_shape(a), bb = batch_shape(b);
  Shape batch(std::max(ba.size(), bb.size()));
  for (std::size_t i = 0; i < batch.size(); ++i) {  // NumPy broadcasting, aligned to the right
    const std::size_t da = i + ba.size() < batch.size() ? 1 : ba[i + ba.size() - batch.size()];
    const std::size_t db = i + bb.size() < batch.size() ? 1 : bb[i + bb.size() - batch.size()];
    DESCENT_CHECK(da == db || da == 1 || db == 1, "matmul", "cannot multiply ", to_string(a.shape()), " by ",
                  to_string(b.shape()), ": batch sizes ", da, " and ", db, " differ (and neither is 1)");
    batch[i] = da == 1 ? db : da;
  }
  DESCENT_CHECK(std::max({numel(batch) * A.rows, A.cols, B.cols}) < INT_MAX && a.numel() < INT_MAX &&
                    b.numel() < INT_MAX,
                "matmul", "operands ", to_string(a.shape()), " and ", to_string(b.shape()), " are too large for BLAS");
  Shape shape = batch;
  if (a.dim() >= 2) shape.push_back(A.rows);
  if (b.dim() >= 2) shape.push_back(B.cols);
  const bool empty_sum = A.cols == 0;  // a product over nothing: zeros
  Tensor out = empty_sum ? zeros(shape, a.dtype()) : empty(shape, a.dtype());
  if (!empty_sum && out.numel() > 0)
    detail::dispatch_floating("matmul", a.dtype(), [&](auto e) { product<decltype(e)>(a, b, batch, out); });

  // d(a·b)/da = g·bᵀ, d(a·b)/db = aᵀ·g, with a 1-D a as a row and a 1-D b as a column, and the
  // gradient of an operand broadcast over batch dimensions summed over them. A gradient is laid out
  // like its operand: for a transposed view, say W in x·transpose(W), the product is computed
  // transposed, (aᵀ·g)ᵀ = gᵀ·a, so W's gradient arrives row-major (no strided copy downstream).
  return record("matmul", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), batch](const Tensor& g) {
    const Tensor a = sa.unpack(), b = sb.unpack();
    const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
    const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
    const auto m = static_cast<std::ptrdiff_t>(a2.size(-2)), k = static_cast<std::ptrdiff_t>(a2.size(-1)),
               n = static_cast<std::ptrdiff_t>(b2.size(-1));
    std::vector<std::ptrdiff_t> shape2 = detail::signed_shape(batch);
    shape2.push_back(m);
    shape2.push_back(n);
    const Tensor g2 = reshape(g, shape2);
    Tensor ga, gb;
    if (a.requires_grad()) {
      ga = column_major(a2) ? transpose(matmul(b2, transpose(g2))) : matmul(g2, transpose(b2));
      ga = reshape(sum_to(ga, a2.shape()), detail::signed_shape(a.shape()));
    }
    if (b.requires_grad()) {
      // A batched a over a 2-D b whose batches stack into rows (a view): one product, no sum.
      const bool stacked = a2.dim() >= 3 && b2.dim() == 2 && rows_stack(a2);
      const Tensor a3 = stacked ? reshape(a2, {-1, k}) : a2, g3 = stacked ? reshape(g2, {-1, n}) : g2;
      gb = column_major(b2) ? transpose(matmul(transpose(g3), a3)) : matmul(transpose(a3), g3);
      gb = reshape(sum_to(gb, b2.shape()), detail::signed_shape(b.shape()));
    }
    return Grads{ga, gb};
  });
}

}  // namespace descent
