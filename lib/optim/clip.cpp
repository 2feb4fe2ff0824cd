#include "descent/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"

namespace descent::optim {

namespace {

// The gradient of `param` as a contiguous tensor it owns, so that it can be changed in place.
Tensor writable_grad(const Tensor& param) {
  Tensor grad = param.grad();
  if (grad.defined() && !grad.is_contiguous()) {
    grad = grad.detach().contiguous();
    param.impl().grad = grad.impl_ptr();
  }
  return grad;
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  // max_norm = 0 (which PyTorch accepts) would silently zero every gradient
  detail::check_positive("clip_grad_norm", "max_norm", max_norm);
  DESCENT_CHECK(norm_type > 0, "clip_grad_norm", "norm_type must be > 0 (or infinity), got ", norm_type);
  const bool inf_norm = std::isinf(norm_type);
  std::vector<Tensor> grads;
  for (const auto& param : params) {
    Tensor grad = writable_grad(param);
    if (grad.defined()) grads.push_back(std::move(grad));
  }
  // inf: max |g|; p: (sum |g|^p)^(1/p), accumulated in double over all gradients as one vector
  double total = 0;
  for (const auto& grad : grads) {
    detail::dispatch_floating("clip_grad_norm", grad.dtype(), [&](auto e) {
      using T = decltype(e);
      const T* g = grad.data<T>();
      const std::size_t n = grad.numel();
      if (inf_norm) {
        for (std::size_t i = 0; i < n; ++i) {
          const double a = std::abs(static_cast<double>(g[i]));
          if (!(a <= total)) total = a;  // NaN propagates
        }
      } else if (norm_type == 2) {
        for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(g[i]) * static_cast<double>(g[i]);
      } else {
        for (std::size_t i = 0; i < n; ++i) total += std::pow(std::abs(static_cast<double>(g[i])), norm_type);
      }
    });
  }
  if (!inf_norm) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1) {
    for (auto& grad : grads) {
      detail::dispatch_floating("clip_grad_norm", grad.dtype(), [&](auto e) {
        using T = decltype(e);
        T* g = grad.data<T>();
        const T c = static_cast<T>(coef);
        for (std::size_t i = 0, n = grad.numel(); i < n; ++i) g[i] *= c;
      });
      grad.bump_version();
    }
  }
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
  detail::check_non_negative("clip_grad_value", "clip_value", clip_value);
  for (const auto& param : params) {
    Tensor grad = writable_grad(param);
    if (!grad.defined()) continue;
    detail::dispatch_floating("clip_grad_value", grad.dtype(), [&](auto e) {
      using T = decltype(e);
      T* g = grad.data<T>();
      const T hi = static_cast<T>(clip_value), lo = -hi;
      for (std::size_t i = 0, n = grad.numel(); i < n; ++i) g[i] = std::clamp(g[i], lo, hi);
    });
    grad.bump_version();
  }
}

}  // namespace descent::optim
