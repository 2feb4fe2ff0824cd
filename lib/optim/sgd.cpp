#include "descent/optim/sgd.hpp"

#include <cmath>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/simd.hpp"

namespace descent::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options) : OptimizerImpl("SGD", options) {
  add_param_group(std::move(params));
}

void SGD::validate(const SGDOptions& o) const {
  DESCENT_CHECK(!std::isnan(o.lr), "SGD", "lr is required (PyTorch's SGD has no default either), e.g. ",
                "SGD(params, {.lr = 0.01})");
  detail::check_non_negative("SGD", "momentum", o.momentum);
  detail::check_unit_interval("SGD", "dampening", o.dampening, true);
  detail::check_non_negative("SGD", "weight_decay", o.weight_decay);
  DESCENT_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "SGD",
                "Nesterov momentum requires a momentum > 0 and zero dampening, got momentum ", o.momentum,
                " and dampening ", o.dampening);
}

void SGD::update(Tensor& param, const Tensor& grad, SGDState& state, const SGDOptions& o) {
  const bool first = !state.momentum_buffer.defined();
  if (o.momentum != 0) state_buffer(state.momentum_buffer, param, 0);
  detail::dispatch_floating("SGD", param.dtype(), [&](auto e) {
    using T = decltype(e);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    const std::size_t n = param.numel();
    const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay), sign = o.maximize ? T(-1) : T(1);
    T* buf = o.momentum != 0 ? state.momentum_buffer.data<T>() : nullptr;
    const T momentum = static_cast<T>(o.momentum), keep = static_cast<T>(1 - o.dampening);
    kernels::simd::for_each<T>(n, [&](std::size_t i, auto lanes) {
      using V = decltype(lanes);
      const V pi = kernels::simd::load<V>(p + i);
      V d = sign * kernels::simd::load<V>(g + i);
      if (o.weight_decay != 0) d = d + wd * pi;
      if (buf) {
        // the first step starts the buffer at d, without dampening
        const V b = first ? d : momentum * kernels::simd::load<V>(buf + i) + keep * d;
        kernels::simd::store(buf + i, b);
        d = o.nesterov ? d + momentum * b : b;
      }
      kernels::simd::store(p + i, pi - lr * d);
    });
  });
}

}  // namespace descent::optim
