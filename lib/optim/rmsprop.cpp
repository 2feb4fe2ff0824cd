#include "descent/optim/rmsprop.hpp"

#include <cmath>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/simd.hpp"

namespace descent::optim {

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options) : OptimizerImpl("RMSprop", options) {
  add_param_group(std::move(params));
}

void RMSprop::validate(const RMSpropOptions& o) const {
  // eps = 0 would make 0 / 0 = NaN where the gradient is 0; alpha > 1 would give the running
  // average of squares a negative weight, and its square root NaN
  detail::check_positive("RMSprop", "eps", o.eps);
  detail::check_non_negative("RMSprop", "momentum", o.momentum);
  detail::check_non_negative("RMSprop", "weight_decay", o.weight_decay);
  detail::check_unit_interval("RMSprop", "alpha", o.alpha, true);
}

void RMSprop::update(Tensor& param, const Tensor& grad, RMSpropState& state, const RMSpropOptions& o) {
  state_buffer(state.square_avg, param);
  if (o.centered) state_buffer(state.grad_avg, param);
  if (o.momentum > 0) state_buffer(state.momentum_buffer, param);
  ++state.step;
  detail::dispatch_floating("RMSprop", param.dtype(), [&](auto e) {
    using T = decltype(e);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* s = state.square_avg.data<T>();
    T* a = o.centered ? state.grad_avg.data<T>() : nullptr;
    T* buf = o.momentum > 0 ? state.momentum_buffer.data<T>() : nullptr;
    const T alpha = static_cast<T>(o.alpha), one_alpha = static_cast<T>(1 - o.alpha), eps = static_cast<T>(o.eps),
            wd = static_cast<T>(o.weight_decay), lr = static_cast<T>(o.lr), momentum = static_cast<T>(o.momentum),
            sign = o.maximize ? T(-1) : T(1);
    kernels::simd::for_each<T>(param.numel(), [&](std::size_t i, auto lanes) {
      using V = decltype(lanes);
      const V pi = kernels::simd::load<V>(p + i);
      V gi = sign * kernels::simd::load<V>(g + i);
      if (o.weight_decay != 0) gi = gi + wd * pi;
      const V si = alpha * kernels::simd::load<V>(s + i) + one_alpha * gi * gi;
      kernels::simd::store(s + i, si);
      V avg = si;
      if (a) {
        const V ai = alpha * kernels::simd::load<V>(a + i) + one_alpha * gi;
        kernels::simd::store(a + i, ai);
        avg = si - ai * ai;
      }
      avg = kernels::simd::sqrt(avg) + eps;
      if (buf) {
        const V b = momentum * kernels::simd::load<V>(buf + i) + gi / avg;
        kernels::simd::store(buf + i, b);
        kernels::simd::store(p + i, pi - lr * b);
      } else {
        kernels::simd::store(p + i, pi - lr * gi / avg);
      }
    });
  });
}

}  // namespace descent::optim
