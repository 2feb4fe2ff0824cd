// The fused losses: mse_loss, cross_entropy (log-softmax + NLL), nll_loss and
// binary_cross_entropy_with_logits. Each is one recorded op with one pass forward and one backward,
// instead of a chain of recorded ops: they run at every training step. The loops come from the
// kernels (kernels/reduce.hpp, softmax.hpp, elementwise.hpp); each loss is gradchecked.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/loss.hpp"

#include <cmath>
#include <cstring>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/math.hpp"
#include "kernels/reduce.hpp"
#include "kernels/softmax.hpp"
#include "ops/loss_common.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;
using kernels::value_t;

Reduction::Reduction(const char* name) {
  if (std::strcmp(name, "mean") == 0) kind = mean;
  else if (std::strcmp(name, "sum") == 0) kind = sum;
  else if (std::strcmp(name, "none") == 0) kind = none;
  else throw Error(detail::concat("loss: reduction must be \"none\", \"mean\" or \"sum\", got \"", name, "\""));
}

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
  switch (reduction.kind) {
    case Reduction::none: return losses;
    case Reduction::sum: return sum(losses);
    case Reduction::mean: break;
  }
  return mean(losses);
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  DESCENT_CHECK(input.shape() == target.shape(), op, "input ", to_string(input.shape()), " and target ",
                to_string(target.shape()), " must have the same shape");
  DESCENT_CHECK(input.dtype() == target.dtype(), op, "input is ", to_string(input.dtype()), " but target is ",
                to_string(target.dtype()));
}

// --- mse_loss --------------------------------------------------------------------------------

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("mse_loss", input, target);
  if (reduction.kind == Reduction::none) {
    const Tensor d = input - target;
    return d * d;
  }
  // Mean or sum: one fused pass each way (the loss of every regression step: its overhead counts).
  detail::check_floating("mse_loss", input);
  const Tensor a = detail::contiguous_values(input), b = detail::contiguous_values(target);
  const std::size_t n = a.numel();
  const double scale = reduction.kind == Reduction::mean ? 1.0 / static_cast<double>(n) : 1.0;
  Tensor loss = detail::dispatch_floating("mse_loss", a.dtype(), [&](auto e) {
    using T = decltype(e);
    const double total = kernels::sum_squared_difference(a.data<T>(), b.data<T>(), n);
    return full({}, total * scale, a.dtype());
  });
  // d/dinput = 2·(input - target)·scale, d/dtarget = the negative: one fused pass, or recorded ops
  // under create_graph
  const bool want_a = input.requires_grad(), want_b = target.requires_grad();
  return record("mse_loss", loss, {input, target}, [sa = SavedTensor(input), sb = SavedTensor(target), n, scale,
                                                    want_a, want_b](const Tensor& grad) {
    if (autograd::is_grad_enabled()) {
      const Tensor da = (sa.unpack() - sb.unpack()) * (grad * (2 * scale));
      return Grads{want_a ? da : Tensor(), want_b ? -da : Tensor()};
    }
    const Tensor a = detail::contiguous_values(sa.unpack()), b = detail::contiguous_values(sb.unpack());
    Tensor da = want_a ? empty(a.shape(), a.dtype()) : Tensor();
    Tensor db = want_b ? empty(a.shape(), a.dtype()) : Tensor();
    detail::dispatch_floating("mse_loss", a.dtype(), [&](auto e) {
      using T = decltype(e);
      const T k = static_cast<T>(2 * scale * grad.item());
      const T* x = a.data<T>();
      const T* y = b.data<T>();
      T* pa = want_a ? da.data<T>() : nullptr;
      T* pb = want_b ? db.data<T>() : nullptr;
      for (std::size_t i = 0; i < n; ++i) {
        const T d = k * (x[i] - y[i]);
        if (pa) pa[i] = d;
        if (pb) pb[i] = -d;
      }
    });
    return Grads{da, db};
  });
}

// --- cross_entropy and nll_loss ----------------------------------------------------------------

namespace {

/// Logits as (N, C) and int64 targets as (N,), accepting the unbatched (C,) with ().
std::pair<Tensor, Tensor> as_batch(const char* op, const Tensor& logits, const Tensor& target, bool class_indices) {
  detail::check_floating(op, logits);
  DESCENT_CHECK(logits.dim() == 1 || logits.dim() == 2, op, "expected input of shape (N, C) or (C,), got ",
                to_string(logits.shape()));
  const bool single = logits.dim() == 1;
  if (class_indices) {
    DESCENT_CHECK(target.dtype() == Dtype::int64, op, "class-index targets must be int64, got ",
                  to_string(target.dtype()));
    const Shape expected = single ? Shape{} : Shape{logits.shape()[0]};
    DESCENT_CHECK(target.shape() == expected, op, "target ", to_string(target.shape()), " does not match input ",
                  to_string(logits.shape()), ": expected ", to_string(expected));
  } else {
    // A float target one axis short of the input is class labels stored as floats, not probabilities
    DESCENT_CHECK(target.dim() + 1 != logits.dim(), op, "target ", to_string(target.shape()), " of ",
                  to_string(target.dtype()), " looks like class indices, which must be int64 (float targets are ",
                  "class probabilities of the input's shape ", to_string(logits.shape()), ")");
    check_same_shape(op, logits, target);
  }
  if (!single) return {logits, target};
  return {reshape(logits, {1, -1}),
          reshape(target, class_indices ? std::vector<std::ptrdiff_t>{1} : std::vector<std::ptrdiff_t>{1, -1})};
}

void check_labels(const char* op, const Tensor& labels, std::size_t classes) {
  const auto* t = labels.data<std::int64_t>();
  for (std::size_t i = 0; i < labels.numel(); ++i)
    DESCENT_CHECK(t[i] >= 0 && static_cast<std::size_t>(t[i]) < classes, op, "target ", t[i], " at position ", i,
                  " is out of range for ", classes, " classes");
}

/// Rows of zeros with a 1 at each row's class index: the target distribution of class indices.
Tensor one_hot_rows(const Tensor& labels, std::size_t classes, Dtype dtype) {
  Tensor out = zeros({labels.numel(), classes}, dtype);
  detail::dispatch_floating("one_hot", dtype, [&](auto e) {
    using T = decltype(e);
    for (std::size_t i = 0; i < labels.numel(); ++i)
      out.data<T>()[i * classes + static_cast<std::size_t>(labels.data<std::int64_t>()[i])] = T(1);
  });
  return out;
}

/// Sums (or averages, or keeps) per-row losses; unbatched input gives unbatched output.
Tensor reduce_rows(const Tensor& losses, Reduction reduction, bool single) {
  if (reduction.kind == Reduction::none) return single ? reshape(losses, {}) : losses;
  return reduce_loss(losses, reduction);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction) {
  const bool indices = !is_floating(target.dtype());
  const bool single = logits.dim() == 1;
  auto [x, t] = as_batch("cross_entropy", logits, target, indices);
  const Tensor cx = detail::contiguous_values(x), ct = detail::contiguous_values(t);
  const std::size_t rows = cx.shape()[0], cols = cx.shape()[1];
  if (indices) check_labels("cross_entropy", ct, cols);
  Tensor lse = empty({rows}, cx.dtype());
  Tensor losses = empty({rows}, cx.dtype());
  // Per row: loss = logsumexp(x) - x_target, or Σ_j p_j·(logsumexp(x) - x_j) for probabilities.
  detail::dispatch_floating("cross_entropy", cx.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* xv = cx.data<T>();
    T* l = lse.data<T>();
    T* out = losses.data<T>();
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = xv + i * cols;
      l[i] = kernels::row_logsumexp(row, cols);
      if (indices) {
        out[i] = l[i] - row[static_cast<std::size_t>(ct.data<std::int64_t>()[i])];
      } else {
        const T* p = ct.data<T>() + i * cols;
        T s = 0;
        for (std::size_t j = 0; j < cols; ++j) s += p[j] * (l[i] - row[j]);
        out[i] = s;
      }
    }
  });
  // Per row: dloss/dx_j = softmax_j·Σp - p_j (p = one-hot for indices), dloss/dp_j = -log_softmax_j.
  Tensor rows_loss = record("cross_entropy", losses, {x, indices ? Tensor() : t},
                            [sx = SavedTensor(x), st = SavedTensor(t), lse, indices, rows, cols](const Tensor& g) {
    const Tensor ct = detail::contiguous_values(st.unpack());
    if (autograd::is_grad_enabled()) {  // recorded ops: softmax·Σp - p, and -log_softmax
      const Tensor xv = sx.unpack(), gi = unsqueeze(g, 1);
      const Tensor p = indices ? one_hot_rows(ct, cols, xv.dtype()) : st.unpack();
      const Tensor mass = indices ? detail::scalar_like(xv, 1) : sum(p, {1}, true);
      return Grads{gi * (softmax(xv, 1) * mass - p), indices ? Tensor() : -(gi * log_softmax(xv, 1))};
    }
    const Tensor cx = detail::contiguous_values(sx.unpack());
    Tensor dx = empty(cx.shape(), cx.dtype());
    Tensor dp = indices ? Tensor() : empty(cx.shape(), cx.dtype());
    const Tensor cg = detail::contiguous_values(g);  // may arrive as a broadcast view
    detail::dispatch_floating("cross_entropy", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      using B = xsimd::batch<T>;
      const T* l = lse.data<T>();
      const T* gv = cg.data<T>();
      for (std::size_t i = 0; i < rows; ++i) {
        const T* row = cx.data<T>() + i * cols;
        T* drow = dx.data<T>() + i * cols;
        const T gi = gv[i];
        if (indices) {  // g·softmax, then -g at the target
          kernels::for_each_exp_shifted<true>(
              row, &l[i], cols, [&](std::size_t j, B s) { (s * B(gi)).store_unaligned(drow + j); },
              [&](std::size_t j, T s) { drow[j] = s * gi; });
          drow[ct.data<std::int64_t>()[i]] -= gi;
          continue;
        }
        const T* p = ct.data<T>() + i * cols;
        T* dprow = dp.data<T>() + i * cols;
        const T mass = kernels::fold_run<kernels::SumOp<T>, T>(p, cols);
        kernels::for_each_exp_shifted<true>(
            row, &l[i], cols,
            [&](std::size_t j, B s) { (B(gi) * (s * B(mass) - B::load_unaligned(p + j))).store_unaligned(drow + j); },
            [&](std::size_t j, T s) { drow[j] = gi * (s * mass - p[j]); });
        for (std::size_t j = 0; j < cols; ++j) dprow[j] = gi * (l[i] - row[j]);
      }
    });
    return Grads{dx, dp};
  });
  return reduce_rows(rows_loss, reduction, single);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  const bool single = log_probs.dim() == 1;
  auto [x, t] = as_batch("nll_loss", log_probs, target, true);
  const Tensor cx = detail::contiguous_values(x), ct = detail::contiguous_values(t);
  const std::size_t rows = cx.shape()[0], cols = cx.shape()[1];
  check_labels("nll_loss", ct, cols);
  Tensor losses = empty({rows}, cx.dtype());
  detail::dispatch_floating("nll_loss", cx.dtype(), [&](auto e) {
    using T = decltype(e);
    for (std::size_t i = 0; i < rows; ++i)
      losses.data<T>()[i] = -cx.data<T>()[i * cols + static_cast<std::size_t>(ct.data<std::int64_t>()[i])];
  });
  // dloss_i/dx_ij = -1 where j is the target, 0 elsewhere (linear in g: recorded ops under create_graph)
  Tensor rows_loss = record("nll_loss", losses, {x}, [ct, rows, cols, dtype = cx.dtype()](const Tensor& g) {
    if (autograd::is_grad_enabled()) return Grads{-(unsqueeze(g, 1) * one_hot_rows(ct, cols, dtype))};
    Tensor dx = zeros({rows, cols}, dtype);
    const Tensor cg = detail::contiguous_values(g);
    detail::dispatch_floating("nll_loss", dtype, [&](auto e) {
      using T = decltype(e);
      for (std::size_t i = 0; i < rows; ++i)
        dx.data<T>()[i * cols + static_cast<std::size_t>(ct.data<std::int64_t>()[i])] = -cg.data<T>()[i];
    });
    return Grads{dx};
  });
  return reduce_rows(rows_loss, reduction, single);
}

// --- binary_cross_entropy_with_logits ------------------------------------------------------------

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  detail::check_floating(op, logits);
  check_same_shape(op, logits, target);
  const Tensor losses = kernels::zip_values(op, logits, target, [](auto&& x, auto&& y) {
    using T = value_t<decltype(x)>;
    return xt::maximum(x, T(0)) - x * y + xt::log1p(kernels::exp(-xt::abs(x)));
  });
  // dloss/dx = sigmoid(x) - y, dloss/dy = -x; 1/(1 + exp(-x)) is stable both ways (exp(-x) = inf
  // for x << 0 gives exactly 0)
  Tensor elementwise = record(op, losses, {logits, target}, [sx = SavedTensor(logits), sy = SavedTensor(target),
                                                            op](const Tensor& g) {
    const Tensor x = sx.unpack(), y = sy.unpack();
    if (autograd::is_grad_enabled()) return Grads{g * (sigmoid(x) - y), -(g * x)};
    const Tensor dx = kernels::ternary_values(op, g, x, y, [](auto&& gv, auto&& xv, auto&& yv) {
      using T = value_t<decltype(xv)>;
      return gv * (T(1) / (T(1) + kernels::exp(-xv)) - yv);
    });
    const Tensor dy = kernels::zip_values(op, g, x, [](auto&& gv, auto&& xv) { return -(gv * xv); });
    return Grads{dx, dy};
  });
  return reduce_loss(elementwise, reduction);
}

}  // namespace descent
