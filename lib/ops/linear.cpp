// The fused affine map y = x·Wᵀ + b: one recorded op instead of three (transpose, matmul, add),
// one GEMM each way (kernels::linear_forward / linear_backward, with plain loops where the sizes
// are too small for BLAS's call overhead to pay: the per-step cost of small networks is mostly
// overhead).
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/gemm.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  DESCENT_CHECK(weight.dim() == 2, "linear", "weight must be 2-D (out, in), got shape ", to_string(weight.shape()));
  DESCENT_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear", "cannot multiply input ",
                to_string(x.shape()), " by weightᵀ of ", to_string(weight.shape()));
  DESCENT_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), "linear", "bias ",
                to_string(bias.shape()), " does not match weight ", to_string(weight.shape()));
  if (x.dim() == 1) {
    Tensor y = matmul(x, transpose(weight));
    return bias.defined() ? y + bias : y;
  }
  if (x.dim() > 2) {  // (*, in) as rows (a view when they stack), as PyTorch: one GEMM, bias included
    std::vector<std::ptrdiff_t> shape(x.shape().begin(), x.shape().end());
    std::ptrdiff_t rows = 1;
    for (std::size_t d = 0; d + 1 < x.dim(); ++d) rows *= shape[d];
    shape.back() = static_cast<std::ptrdiff_t>(weight.size(0));
    // (a tracer sees one linear of x, not the rows' reshapes: ONNX's MatMul keeps the batch dimension)
    const Tensor y = linear(reshape(x, {rows, static_cast<std::ptrdiff_t>(x.size(-1))}), weight, bias);
    return autograd::traced("linear", reshape(y, shape), {x, weight, bias}, [] { return autograd::TraceAttributes{}; });
  }
  detail::check_same_dtype("linear", x, weight);
  if (bias.defined()) detail::check_same_dtype("linear", x, bias);
  const std::size_t rows = x.size(0), in = x.size(1), out = weight.size(0);
  const Tensor cx = detail::contiguous_values(x), cw = detail::contiguous_values(weight);
  const Tensor cb = bias.defined() ? detail::contiguous_values(bias) : Tensor();
  Tensor y = empty({rows, out}, x.dtype());
  detail::dispatch_floating("linear", x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::linear_forward(cx.data<T>(), cw.data<T>(), cb.defined() ? cb.data<T>() : nullptr, y.data<T>(), rows, in, out);
  });
  // dy/dx = W, dy/dW = xᵀ (per row), dy/db = 1: one fused pass, or recorded ops under create_graph
  const bool want_dx = x.requires_grad(), want_dw = weight.requires_grad();
  const bool want_db = bias.defined() && bias.requires_grad();
  return record("linear", y, {x, weight, bias}, [sx = SavedTensor(x), sw = SavedTensor(weight), want_dx, want_dw,
                                                 want_db, rows, in, out](const Tensor& grad) {
    if (autograd::is_grad_enabled())
      return Grads{want_dx ? matmul(grad, sw.unpack()) : Tensor(),
                   want_dw ? matmul(transpose(grad), sx.unpack()) : Tensor(), want_db ? sum(grad, {0}) : Tensor()};
    const Tensor g = detail::contiguous_values(grad);
    const Tensor cx = detail::contiguous_values(sx.unpack()), cw = detail::contiguous_values(sw.unpack());
    Tensor dx = want_dx ? empty(cx.shape(), cx.dtype()) : Tensor();
    Tensor dw = want_dw ? empty(cw.shape(), cw.dtype()) : Tensor();
    Tensor db = want_db ? empty({out}, cx.dtype()) : Tensor();
    detail::dispatch_floating("linear", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      kernels::linear_backward(g.data<T>(), cx.data<T>(), cw.data<T>(), dx.defined() ? dx.data<T>() : nullptr,
               dw.defined() ? dw.data<T>() : nullptr, db.defined() ? db.data<T>() : nullptr, rows, in, out);
    });
    return Grads{dx, dw, db};
  });
}

}  // namespace descent
