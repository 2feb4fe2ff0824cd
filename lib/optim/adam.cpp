#include "descent/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/simd.hpp"

namespace descent::optim {

namespace {

template <class Options> void validate_adam(const char* name, const Options& o) {
  // eps = 0 (which PyTorch accepts) would make 0 / 0 = NaN of every weight whose gradient is 0
  detail::check_positive(name, "eps", o.eps);
  detail::check_unit_interval(name, "beta1", o.betas.first, false);
  detail::check_unit_interval(name, "beta2", o.betas.second, false);
  detail::check_non_negative(name, "weight_decay", o.weight_decay);
}

// One fused pass for Adam (decoupled = false: L2 in the gradient) and AdamW (decoupled = true).
template <class Options>
void adam_update(const char* name, bool decoupled, Tensor& param, const Tensor& grad, AdamState& state,
                 const Options& o) {
  state_buffer(state.exp_avg, param);
  state_buffer(state.exp_avg_sq, param);
  if (o.amsgrad) state_buffer(state.max_exp_avg_sq, param);
  const auto step = ++state.step;
  const double beta1 = o.betas.first, beta2 = o.betas.second;
  const double step_size = o.lr / (1 - std::pow(beta1, static_cast<double>(step)));
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  detail::dispatch_floating(name, param.dtype(), [&](auto e) {
    using T = decltype(e);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* m = state.exp_avg.data<T>();
    T* v = state.exp_avg_sq.data<T>();
    T* v_max = o.amsgrad ? state.max_exp_avg_sq.data<T>() : nullptr;
    const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2), one_b1 = static_cast<T>(1 - beta1),
            one_b2 = static_cast<T>(1 - beta2), eps = static_cast<T>(o.eps), wd = static_cast<T>(o.weight_decay),
            shrink = static_cast<T>(1 - o.lr * o.weight_decay), bc2 = static_cast<T>(bias_correction2_sqrt),
            minus_step = static_cast<T>(-step_size), sign = o.maximize ? T(-1) : T(1);
    const bool l2 = !decoupled && o.weight_decay != 0, decay = decoupled;
    kernels::simd::for_each<T>(param.numel(), [&](std::size_t i, auto lanes) {
      using V = decltype(lanes);
      V pi = kernels::simd::load<V>(p + i);
      V gi = sign * kernels::simd::load<V>(g + i);
      if (decay) pi = pi * shrink;
      if (l2) gi = gi + wd * pi;
      const V mi = b1 * kernels::simd::load<V>(m + i) + one_b1 * gi;
      const V vi = b2 * kernels::simd::load<V>(v + i) + one_b2 * gi * gi;
      kernels::simd::store(m + i, mi);
      kernels::simd::store(v + i, vi);
      V second = vi;
      if (v_max) {
        second = kernels::simd::max(kernels::simd::load<V>(v_max + i), vi);
        kernels::simd::store(v_max + i, second);
      }
      kernels::simd::store(p + i, pi + minus_step * mi / (kernels::simd::sqrt(second) / bc2 + eps));
    });
  });
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options) : OptimizerImpl("Adam", options) {
  add_param_group(std::move(params));
}

void Adam::validate(const AdamOptions& o) const { validate_adam("Adam", o); }

void Adam::update(Tensor& param, const Tensor& grad, AdamState& state, const AdamOptions& o) {
  adam_update("Adam", false, param, grad, state, o);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options) : OptimizerImpl("AdamW", options) {
  add_param_group(std::move(params));
}

void AdamW::validate(const AdamWOptions& o) const { validate_adam("AdamW", o); }

void AdamW::update(Tensor& param, const Tensor& grad, AdamState& state, const AdamWOptions& o) {
  adam_update("AdamW", true, param, grad, state, o);
}

}  // namespace descent::optim
