// Classification losses as fused kernels: one pass for log-softmax + NLL forward, one for the
// backward (softmax - target), instead of a chain of recorded ops. Hot in every classifier.
#include <cmath>
#include <limits>

#include "descent/autograd/function.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "nn/loss_common.hpp"

namespace descent::nn {

using autograd::record;
using Grads = std::vector<Tensor>;

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
  return {reshape(logits, {1, -1}), reshape(target, class_indices ? std::vector<std::ptrdiff_t>{1} : std::vector<std::ptrdiff_t>{1, -1})};
}

void check_labels(const char* op, const Tensor& labels, std::size_t classes) {
  const auto* t = labels.data<std::int64_t>();
  for (std::size_t i = 0; i < labels.numel(); ++i)
    DESCENT_CHECK(t[i] >= 0 && static_cast<std::size_t>(t[i]) < classes, op, "target ", t[i], " at position ", i,
                  " is out of range for ", classes, " classes");
}

/// Row-wise log(sum(exp(x))), stable: the max is subtracted first.
template <class T> void row_logsumexp(const T* x, std::size_t rows, std::size_t cols, T* lse) {
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = x + i * cols;
    T m = -std::numeric_limits<T>::infinity();
    for (std::size_t j = 0; j < cols; ++j) m = std::max(m, row[j]);
    T s = 0;
    for (std::size_t j = 0; j < cols; ++j) s += std::exp(row[j] - m);
    lse[i] = m + std::log(s);
  }
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
  detail::dispatch_floating("cross_entropy", cx.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* xv = cx.data<T>();
    T* l = lse.data<T>();
    T* out = losses.data<T>();
    row_logsumexp(xv, rows, cols, l);
    for (std::size_t i = 0; i < rows; ++i) {
      if (indices) {
        out[i] = l[i] - xv[i * cols + static_cast<std::size_t>(ct.data<std::int64_t>()[i])];
      } else {
        const T* p = ct.data<T>() + i * cols;
        T s = 0;
        for (std::size_t j = 0; j < cols; ++j) s += p[j] * (l[i] - xv[i * cols + j]);
        out[i] = s;
      }
    }
  });
  // Per row: dloss/dx_j = softmax_j·Σp - p_j (p = one-hot for indices), dloss/dp_j = -log_softmax_j.
  Tensor rows_loss = record("cross_entropy", losses, {x, indices ? Tensor() : t},
                            [cx, ct, lse, indices, rows, cols](const Tensor& g) {
    Tensor dx = empty(cx.shape(), cx.dtype());
    Tensor dp = indices ? Tensor() : empty(cx.shape(), cx.dtype());
    const Tensor cg = detail::contiguous_values(g);  // may arrive as a broadcast view
    detail::dispatch_floating("cross_entropy", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      const T* xv = cx.data<T>();
      const T* l = lse.data<T>();
      const T* gv = cg.data<T>();
      T* d = dx.data<T>();
      for (std::size_t i = 0; i < rows; ++i) {
        const T* row = xv + i * cols;
        T* drow = d + i * cols;
        if (indices) {
          for (std::size_t j = 0; j < cols; ++j) drow[j] = gv[i] * std::exp(row[j] - l[i]);
          drow[ct.data<std::int64_t>()[i]] -= gv[i];
        } else {
          const T* p = ct.data<T>() + i * cols;
          T* dprow = dp.data<T>() + i * cols;
          T mass = 0;
          for (std::size_t j = 0; j < cols; ++j) mass += p[j];
          for (std::size_t j = 0; j < cols; ++j) {
            drow[j] = gv[i] * (std::exp(row[j] - l[i]) * mass - p[j]);
            dprow[j] = gv[i] * (l[i] - row[j]);
          }
        }
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
  // dloss_i/dx_ij = -1 where j is the target, 0 elsewhere
  Tensor rows_loss = record("nll_loss", losses, {x}, [ct, rows, cols, dtype = cx.dtype()](const Tensor& g) {
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

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  detail::check_floating(op, logits);
  check_same_shape(op, logits, target);
  const Tensor cx = detail::contiguous_values(logits), cy = detail::contiguous_values(target);
  Tensor losses = empty(cx.shape(), cx.dtype());
  detail::dispatch_floating(op, cx.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* x = cx.data<T>();
    const T* y = cy.data<T>();
    T* out = losses.data<T>();
    for (std::size_t i = 0, n = cx.numel(); i < n; ++i)
      out[i] = std::max(x[i], T(0)) - x[i] * y[i] + std::log1p(std::exp(-std::abs(x[i])));
  });
  // dloss/dx = sigmoid(x) - y, dloss/dy = -x
  Tensor elementwise = record(op, losses, {logits, target}, [cx, cy, op](const Tensor& g) {
    Tensor dx = empty(cx.shape(), cx.dtype()), dy = empty(cx.shape(), cx.dtype());
    const Tensor cg = detail::contiguous_values(g);
    detail::dispatch_floating(op, cx.dtype(), [&](auto e) {
      using T = decltype(e);
      const T* x = cx.data<T>();
      const T* y = cy.data<T>();
      const T* gv = cg.data<T>();
      for (std::size_t i = 0, n = cx.numel(); i < n; ++i) {
        const T s = x[i] >= 0 ? T(1) / (T(1) + std::exp(-x[i])) : std::exp(x[i]) / (T(1) + std::exp(x[i]));
        dx.data<T>()[i] = gv[i] * (s - y[i]);
        dy.data<T>()[i] = -gv[i] * x[i];
      }
    });
    return Grads{dx, dy};
  });
  return reduce_loss(elementwise, reduction);
}

}  // namespace descent::nn
