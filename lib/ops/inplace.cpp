// In-place arithmetic with a scalar (Tensor::add_, sub_, mul_, div_): for data preparation and
// hand-written updates, where a new tensor would double the memory (a dataset scaled to [0, 1]).
#include "descent/autograd/grad_mode.hpp"
#include "descent/tensor.hpp"
#include "detail/dispatch.hpp"

namespace descent {

namespace {
template <class Op> Tensor& update_in_place(Tensor& t, const char* op, Op f) {
  DESCENT_CHECK(!(t.requires_grad() && autograd::is_grad_enabled()), op,
                "a tensor that requires grad cannot be changed in place while recording (use NoGradGuard)");
  DESCENT_CHECK(t.is_contiguous(), op, "needs a contiguous tensor, got a view of shape ", to_string(t.shape()));
  detail::dispatch_floating(op, t.dtype(), [&](auto e) {
    using T = decltype(e);
    T* d = t.data<T>();
    for (std::size_t i = 0, n = t.numel(); i < n; ++i) d[i] = f(d[i]);
  });
  t.bump_version();
  return t;
}
}  // namespace

Tensor& Tensor::add_(double v) { return update_in_place(*this, "add_", [v](auto x) { return x + decltype(x)(v); }); }
Tensor& Tensor::sub_(double v) { return update_in_place(*this, "sub_", [v](auto x) { return x - decltype(x)(v); }); }
Tensor& Tensor::mul_(double v) { return update_in_place(*this, "mul_", [v](auto x) { return x * decltype(x)(v); }); }
Tensor& Tensor::div_(double v) { return update_in_place(*this, "div_", [v](auto x) { return x / decltype(x)(v); }); }

}  // namespace descent
