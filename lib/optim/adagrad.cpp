#include "descent/optim/adagrad.hpp"

#include <cmath>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/simd.hpp"

namespace descent::optim {

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options) : OptimizerImpl("Adagrad", options) {
  add_param_group(std::move(params));
}

void Adagrad::validate(const AdagradOptions& o) const {
  detail::check_non_negative("Adagrad", "lr_decay", o.lr_decay);
  detail::check_non_negative("Adagrad", "weight_decay", o.weight_decay);
  detail::check_non_negative("Adagrad", "initial_accumulator_value", o.initial_accumulator_value);
  // eps = 0 would make 0 / 0 = NaN where the gradient (and the accumulator) is 0
  detail::check_positive("Adagrad", "eps", o.eps);
}

void Adagrad::update(Tensor& param, const Tensor& grad, AdagradState& state, const AdagradOptions& o) {
  state_buffer(state.sum, param, o.initial_accumulator_value);
  const auto step = ++state.step;
  const double clr = o.lr / (1 + static_cast<double>(step - 1) * o.lr_decay);
  detail::dispatch_floating("Adagrad", param.dtype(), [&](auto e) {
    using T = decltype(e);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* sum = state.sum.data<T>();
    const T minus_clr = static_cast<T>(-clr), wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps),
            sign = o.maximize ? T(-1) : T(1);
    kernels::simd::for_each<T>(param.numel(), [&](std::size_t i, auto lanes) {
      using V = decltype(lanes);
      const V pi = kernels::simd::load<V>(p + i);
      V gi = sign * kernels::simd::load<V>(g + i);
      if (o.weight_decay != 0) gi = gi + wd * pi;
      const V si = kernels::simd::load<V>(sum + i) + gi * gi;
      kernels::simd::store(sum + i, si);
      kernels::simd::store(p + i, pi + minus_clr * gi / (kernels::simd::sqrt(si) + eps));
    });
  });
}

}  // namespace descent::optim
