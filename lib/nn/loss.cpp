// Regression losses, composed from differentiable ops; the classification losses are fused
// kernels in cross_entropy.cpp.
#include "descent/nn/loss.hpp"

#include <cstring>

#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/autograd/function.hpp"
#include "detail/dispatch.hpp"
#include "nn/loss_common.hpp"

namespace descent::nn {

Reduction::Reduction(const char* name) {
  if (std::strcmp(name, "mean") == 0) kind = mean;
  else if (std::strcmp(name, "sum") == 0) kind = sum;
  else if (std::strcmp(name, "none") == 0) kind = none;
  else throw Error(detail::concat("loss: reduction must be \"none\", \"mean\" or \"sum\", got \"", name, "\""));
}

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
  switch (reduction.kind) {
    case Reduction::none: return losses;
    case Reduction::sum: return descent::sum(losses);
    case Reduction::mean: break;
  }
  return descent::mean(losses);
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  DESCENT_CHECK(input.shape() == target.shape(), op, "input ", to_string(input.shape()), " and target ",
                to_string(target.shape()), " must have the same shape");
  DESCENT_CHECK(input.dtype() == target.dtype(), op, "input is ", to_string(input.dtype()), " but target is ",
                to_string(target.dtype()));
}

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
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T total = 0;
    for (std::size_t i = 0; i < n; ++i) total += (x[i] - y[i]) * (x[i] - y[i]);
    return full({}, static_cast<double>(total) * scale, a.dtype());
  });
  // d/dinput = 2·(input - target)·scale, d/dtarget = the negative
  const bool want_a = input.requires_grad(), want_b = target.requires_grad();
  return autograd::record("mse_loss", loss, {input, target}, [a, b, n, scale, want_a, want_b](const Tensor& grad) {
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
    return std::vector<Tensor>{da, db};
  });
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("l1_loss", input, target);
  return reduce_loss(abs(input - target), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_same_shape("huber_loss", input, target);
  DESCENT_CHECK(delta > 0, "huber_loss", "delta must be positive, got ", delta);
  const Tensor d = input - target;
  const Tensor a = abs(d);
  return reduce_loss(where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction);
}

}  // namespace descent::nn
