// var / std and the normalisations. var, std and group_norm are composed of differentiable ops
// (mean, sub, mul, sqrt), so their gradients of every order come from those. batch_norm and
// layer_norm are hot ops (BatchNorm2d on (128, 32, 28, 28) in W5; five LayerNorms per step in W6's
// transformer), so each is one fused kernel each way (kernels/norm.hpp): statistics and
// normalisation in one pass per channel or row forward, one for the three gradients backward.
// Under create_graph their backward rules are written with differentiable ops instead (the
// statistics recomputed from x, so that their dependence on x is seen); gradgradchecks cover both.
#include "descent/ops/norm.hpp"

#include <cmath>
#include <numeric>
#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/norm.hpp"
#include "kernels/reduce.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

// --- var / std -------------------------------------------------------------------------------

Tensor var(const Tensor& x, const Axes& axes, double correction, bool keepdim) {
  detail::check_floating("var", x);
  const double n = static_cast<double>(kernels::reduce_layout("var", x, axes, keepdim).extent);
  const Tensor d = x - mean(x, axes, true);
  // n <= correction gives inf or NaN, as in PyTorch
  return sum(d * d, axes, keepdim) / (n - correction);
}

namespace {
Axes every_axis(const Tensor& x) {
  Axes axes(x.dim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}
}  // namespace

Tensor var(const Tensor& x) { return var(x, every_axis(x)); }
Tensor std(const Tensor& x, const Axes& axes, double correction, bool keepdim) {
  return sqrt(var(x, axes, correction, keepdim));
}
Tensor std(const Tensor& x) { return sqrt(var(x)); }

// --- shared pieces ---------------------------------------------------------------------------

namespace {

/// (x - mean) / √(biased var + eps) over `axes`, with differentiable ops.
Tensor normalize(const Tensor& x, const Axes& axes, double eps) {
  const Tensor d = x - mean(x, axes, true);
  return d / sqrt(mean(d * d, axes, true) + eps);
}

/// A per-channel (C) tensor shaped (1, C, 1, ...) to broadcast against a `dim`-d (N, C, ...) input.
Tensor per_channel(const Tensor& t, std::size_t dim) {
  std::vector<std::ptrdiff_t> shape(dim, 1);
  shape[1] = -1;
  return reshape(t, shape);
}

/// y·weight + bias, each when defined (already shaped to broadcast).
Tensor affine(Tensor y, const Tensor& weight, const Tensor& bias) {
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

/// Every axis of a `dim`-d (N, C, ...) tensor but the channel axis 1.
Axes channel_stat_axes(std::size_t dim) {
  Axes axes{0};
  for (std::size_t d = 2; d < dim; ++d) axes.push_back(static_cast<std::ptrdiff_t>(d));
  return axes;
}

/// Checks that `t` (undefined, or per channel) is (C) in x's dtype.
void check_per_channel(const char* op, const char* what, const Tensor& t, const Tensor& x) {
  if (!t.defined()) return;
  DESCENT_CHECK(t.dim() == 1 && t.size(0) == x.size(1), op, what, " has shape ", to_string(t.shape()), ", expected ",
                to_string(Shape{x.size(1)}), " for the channels of input ", to_string(x.shape()));
  detail::check_same_dtype(op, x, t);
}

/// The batch_norm backward rule with differentiable ops (create_graph): dx, dw, db for g, with the
/// batch's statistics recomputed from x in training, the saved constants (mean, invstd) in eval.
Grads batch_norm_graph_backward(const Tensor& g, const Tensor& x, const Tensor& w, const Tensor& saved_mean,
                                const Tensor& saved_invstd, bool batch_stats, double eps, bool want_dw, bool want_db) {
  const std::size_t dim = x.dim();
  const Axes axes = channel_stat_axes(dim);
  Tensor xhat, invstd;
  if (batch_stats) {
    const Tensor d = x - mean(x, axes, true);
    invstd = 1.0 / sqrt(mean(d * d, axes, true) + eps);
    xhat = d * invstd;
  } else {
    invstd = per_channel(saved_invstd.to(x.dtype()), dim);
    xhat = (x - per_channel(saved_mean.to(x.dtype()), dim)) * invstd;
  }
  const Tensor a = w.defined() ? invstd * per_channel(w, dim) : invstd;
  // training: d/dx of xhat couples every value of a channel through its mean and variance
  const Tensor dx = batch_stats ? a * (g - mean(g, axes, true) - xhat * mean(g * xhat, axes, true)) : g * a;
  return Grads{dx, want_dw ? sum(g * xhat, axes) : Tensor(), want_db ? sum(g, axes) : Tensor()};
}

/// The layer_norm backward rule with differentiable ops (create_graph): dx, dw, db for g, the
/// statistics recomputed from x over the last `k` axes.
Grads layer_norm_graph_backward(const Tensor& g, const Tensor& x, const Tensor& w, std::size_t k, double eps,
                                bool want_dw, bool want_db) {
  Axes axes, lead;
  for (std::size_t d = 0; d < x.dim(); ++d) (d + k < x.dim() ? lead : axes).push_back(static_cast<std::ptrdiff_t>(d));
  const Tensor d = x - mean(x, axes, true);
  const Tensor invstd = 1.0 / sqrt(mean(d * d, axes, true) + eps);
  const Tensor xhat = d * invstd, gw = w.defined() ? g * w : g;
  const Tensor dx = invstd * (gw - mean(gw, axes, true) - xhat * mean(gw * xhat, axes, true));
  const auto over_rows = [&](const Tensor& t) { return lead.empty() ? t : sum(t, lead); };
  return Grads{dx, want_dw ? over_rows(g * xhat) : Tensor(), want_db ? over_rows(g) : Tensor()};
}

}  // namespace

// --- batch_norm ------------------------------------------------------------------------------

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  detail::check_floating(op, x);
  DESCENT_CHECK(x.dim() >= 2, op, "expected an input of shape (N, C), (N, C, L) or (N, C, H, W), got ",
                to_string(x.shape()));
  check_per_channel(op, "running_mean", running_mean, x);
  check_per_channel(op, "running_var", running_var, x);
  check_per_channel(op, "weight", weight, x);
  check_per_channel(op, "bias", bias, x);
  DESCENT_CHECK(training || (running_mean.defined() && running_var.defined()), op,
                "evaluation (training = false) needs running_mean and running_var");
  for (const Tensor* running : {&running_mean, &running_var})
    DESCENT_CHECK(!running->defined() || (running->is_contiguous() && !running->requires_grad()), op,
                  "running statistics must be contiguous tensors that do not require grad");
  DESCENT_CHECK(std::isfinite(eps) && eps >= 0, op, "invalid eps ", eps, " (must be finite and >= 0)");
  DESCENT_CHECK(std::isfinite(momentum), op, "invalid momentum ", momentum, " (must be finite)");
  const std::size_t channels = x.size(1);
  std::size_t inner = 1;
  for (std::size_t d = 2; d < x.dim(); ++d) inner *= x.size(d);
  const kernels::ChannelLayout l{x.size(0), channels, inner};
  DESCENT_CHECK(!training || l.count() > 1, op, "expected more than 1 value per channel when training, got input ",
                to_string(x.shape()));

  const Tensor cx = detail::contiguous_values(x);
  const Tensor cw = weight.defined() ? detail::contiguous_values(weight) : Tensor();
  const Tensor cb = bias.defined() ? detail::contiguous_values(bias) : Tensor();
  Tensor y = empty(x.shape(), x.dtype());
  // the statistics in float64 whatever x's dtype (kernels/norm.hpp)
  Tensor mean = empty({channels}, float64), var = empty({channels}, float64), invstd = empty({channels}, float64);
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    if (!training) kernels::running_invstd(running_mean.data<T>(), running_var.data<T>(), channels, eps,
                                           mean.data<double>(), invstd.data<double>());
    kernels::batch_norm_forward(cx.data<T>(), cw.defined() ? cw.data<T>() : nullptr,
                                cb.defined() ? cb.data<T>() : nullptr, l, training, eps, mean.data<double>(),
                                var.data<double>(), invstd.data<double>(), y.data<T>());
    if (training && (running_mean.defined() || running_var.defined()))
      kernels::update_running_stats(running_mean.defined() ? running_mean.data<T>() : nullptr,
                                    running_var.defined() ? running_var.data<T>() : nullptr, mean.data<double>(),
                                    var.data<double>(), channels, momentum, static_cast<double>(l.count()));
  });
  for (const Tensor* running : {&running_mean, &running_var})
    if (training && running->defined()) running->bump_version();

  // dy/dx, dy/dw, dy/db: one fused kernel (kernels::batch_norm_backward), or differentiable ops
  // under create_graph
  const bool want_dx = x.requires_grad(), want_dw = weight.defined() && weight.requires_grad();
  const bool want_db = bias.defined() && bias.requires_grad();
  autograd::trace_attributes(y, [&] {
    return autograd::TraceAttributes{{"running_mean", running_mean}, {"running_var", running_var}, {"epsilon", eps},
                                     {"training", training}};
  });
  return record(op, y, {x, weight, bias}, [sx = SavedTensor(x), sw = SavedTensor(weight), mean, invstd, training,
                                          eps, want_dx, want_dw, want_db, l](const Tensor& grad) {
    const Tensor xv = sx.unpack(), wv = sw.unpack();
    if (autograd::is_grad_enabled())
      return batch_norm_graph_backward(grad, xv, wv, mean, invstd, training, eps, want_dw, want_db);
    const Tensor g = detail::contiguous_values(grad), cx = detail::contiguous_values(xv);
    const Tensor cw = wv.defined() ? detail::contiguous_values(wv) : Tensor();
    Tensor dx = want_dx ? empty(cx.shape(), cx.dtype()) : Tensor();
    Tensor dw = want_dw ? empty({l.channels}, cx.dtype()) : Tensor();
    Tensor db = want_db ? empty({l.channels}, cx.dtype()) : Tensor();
    detail::dispatch_floating("batch_norm", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      kernels::batch_norm_backward(g.data<T>(), cx.data<T>(), cw.defined() ? cw.data<T>() : nullptr,
                                   mean.data<double>(), invstd.data<double>(), l, training, dx.defined() ? dx.data<T>() : nullptr,
                                   dw.defined() ? dw.data<T>() : nullptr, db.defined() ? db.data<T>() : nullptr);
    });
    return Grads{dx, dw, db};
  });
}

// --- layer_norm, group_norm ------------------------------------------------------------------

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "layer_norm";
  detail::check_floating(op, x);
  const std::size_t k = normalized_shape.size(), dim = x.dim();
  bool fits = k >= 1 && dim >= k;
  for (std::size_t i = 0; fits && i < k; ++i) fits = x.size(dim - k + i) == normalized_shape[i];
  DESCENT_CHECK(fits, op, "normalized_shape ", to_string(normalized_shape), " does not match the last dims of input ",
                to_string(x.shape()));
  for (const auto& [what, t] : {std::pair{"weight", &weight}, std::pair{"bias", &bias}}) {
    if (!t->defined()) continue;
    DESCENT_CHECK(t->shape() == normalized_shape, op, what, " has shape ", to_string(t->shape()),
                  ", expected normalized_shape ", to_string(normalized_shape));
    detail::check_same_dtype(op, x, *t);
  }
  DESCENT_CHECK(std::isfinite(eps) && eps >= 0, op, "invalid eps ", eps, " (must be finite and >= 0)");
  std::size_t width = 1;
  for (const std::size_t n : normalized_shape) width *= n;
  const kernels::RowLayout l{width == 0 ? 0 : x.numel() / width, width};

  const Tensor cx = detail::contiguous_values(x);
  const Tensor cw = weight.defined() ? detail::contiguous_values(weight) : Tensor();
  const Tensor cb = bias.defined() ? detail::contiguous_values(bias) : Tensor();
  Tensor y = empty(x.shape(), x.dtype());
  Tensor mean = empty({l.rows}, float64), invstd = empty({l.rows}, float64);  // kernels/norm.hpp
  if (width > 0)
    detail::dispatch_floating(op, x.dtype(), [&](auto e) {
      using T = decltype(e);
      kernels::layer_norm_forward(cx.data<T>(), cw.defined() ? cw.data<T>() : nullptr,
                                  cb.defined() ? cb.data<T>() : nullptr, l, eps, mean.data<double>(),
                                  invstd.data<double>(), y.data<T>());
    });

  // dy/dx, dy/dw, dy/db: one fused kernel (kernels::layer_norm_backward), or differentiable ops
  // under create_graph
  const bool want_dx = x.requires_grad(), want_dw = weight.defined() && weight.requires_grad();
  const bool want_db = bias.defined() && bias.requires_grad();
  autograd::trace_attributes(y, [&] {
    return autograd::TraceAttributes{{"axis", -static_cast<std::ptrdiff_t>(k)}, {"epsilon", eps}};
  });
  return record(op, y, {x, weight, bias}, [sx = SavedTensor(x), sw = SavedTensor(weight), mean, invstd, eps, k,
                                          want_dx, want_dw, want_db, l](const Tensor& grad) {
    const Tensor xv = sx.unpack(), wv = sw.unpack();
    if (autograd::is_grad_enabled()) return layer_norm_graph_backward(grad, xv, wv, k, eps, want_dw, want_db);
    const Tensor g = detail::contiguous_values(grad), cx = detail::contiguous_values(xv);
    const Tensor cw = wv.defined() ? detail::contiguous_values(wv) : Tensor();
    const Shape normalized(cx.shape().end() - static_cast<std::ptrdiff_t>(k), cx.shape().end());
    Tensor dx = want_dx ? empty(cx.shape(), cx.dtype()) : Tensor();
    Tensor dw = want_dw ? empty(normalized, cx.dtype()) : Tensor();
    Tensor db = want_db ? empty(normalized, cx.dtype()) : Tensor();
    std::vector<double> partial(want_dw || want_db ? 2 * l.width * l.blocks() : 0);
    if (l.width > 0)
      detail::dispatch_floating("layer_norm", cx.dtype(), [&](auto e) {
        using T = decltype(e);
        kernels::layer_norm_backward(g.data<T>(), cx.data<T>(), cw.defined() ? cw.data<T>() : nullptr,
                                     mean.data<double>(), invstd.data<double>(), l,
                                     dx.defined() ? dx.data<T>() : nullptr, dw.defined() ? dw.data<T>() : nullptr,
                                     db.defined() ? db.data<T>() : nullptr, partial.data());
      });
    return Grads{dx, dw, db};
  });
}

Tensor group_norm(const Tensor& x, std::size_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "group_norm";
  detail::check_floating(op, x);
  DESCENT_CHECK(x.dim() >= 2, op, "expected an input of shape (N, C, *), got ", to_string(x.shape()));
  const std::size_t channels = x.size(1);
  DESCENT_CHECK(num_groups > 0 && channels % num_groups == 0, op, "num_groups ", num_groups,
                " must divide the number of channels ", channels, " of input ", to_string(x.shape()));
  check_per_channel(op, "weight", weight, x);
  check_per_channel(op, "bias", bias, x);
  // (N, G, C/G · *): each group's values in one row
  const auto n = static_cast<std::ptrdiff_t>(x.size(0)), g = static_cast<std::ptrdiff_t>(num_groups);
  const auto row = static_cast<std::ptrdiff_t>(x.size(0) == 0 ? 0 : x.numel() / (x.size(0) * num_groups));
  const Tensor y = normalize(reshape(x, {n, g, row}), {2}, eps);
  const std::vector<std::ptrdiff_t> shape(x.shape().begin(), x.shape().end());
  const auto channel = [&](const Tensor& t) { return t.defined() ? per_channel(t, x.dim()) : t; };
  return affine(reshape(y, shape), channel(weight), channel(bias));
}

}  // namespace descent
