// Tensor's methods: each the free function of the same name (ops/*.hpp) on *this.
#include "descent/tensor.hpp"

#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"

namespace descent {

Tensor Tensor::sum() const { return descent::sum(*this); }
Tensor Tensor::sum(const Axes& axes, bool keepdim) const { return descent::sum(*this, axes, keepdim); }
Tensor Tensor::sum(AllAxes all, bool keepdim) const { return descent::sum(*this, all, keepdim); }
Tensor Tensor::mean() const { return descent::mean(*this); }
Tensor Tensor::mean(const Axes& axes, bool keepdim) const { return descent::mean(*this, axes, keepdim); }
Tensor Tensor::mean(AllAxes all, bool keepdim) const { return descent::mean(*this, all, keepdim); }
Tensor Tensor::max() const { return descent::max(*this); }
Tensor Tensor::max(const Axes& axes, bool keepdim) const { return descent::max(*this, axes, keepdim); }
Tensor Tensor::max(AllAxes all, bool keepdim) const { return descent::max(*this, all, keepdim); }
Tensor Tensor::min() const { return descent::min(*this); }
Tensor Tensor::min(const Axes& axes, bool keepdim) const { return descent::min(*this, axes, keepdim); }
Tensor Tensor::min(AllAxes all, bool keepdim) const { return descent::min(*this, all, keepdim); }
Tensor Tensor::argmax(std::ptrdiff_t axis, bool keepdim) const { return descent::argmax(*this, axis, keepdim); }

Tensor Tensor::reshape(const std::vector<std::ptrdiff_t>& shape) const { return descent::reshape(*this, shape); }
Tensor Tensor::view(const std::vector<std::ptrdiff_t>& shape) const {
  Tensor out = descent::reshape(*this, shape);
  DESCENT_CHECK(out.impl().owner == impl().owner, "view", "shape ", to_string(shape), " is not compatible with the strides of input ",
                to_string(this->shape()), " (a copy would be needed): use reshape(), or contiguous() first");
  return out;
}
Tensor Tensor::flatten(std::ptrdiff_t start, std::ptrdiff_t end) const { return descent::flatten(*this, start, end); }
Tensor Tensor::squeeze() const { return descent::squeeze(*this); }
Tensor Tensor::squeeze(std::ptrdiff_t axis) const { return descent::squeeze(*this, axis); }
Tensor Tensor::unsqueeze(std::ptrdiff_t axis) const { return descent::unsqueeze(*this, axis); }
Tensor Tensor::t() const {
  DESCENT_CHECK(dim() <= 2, "t", "expects a tensor with <= 2 dimensions, got shape ", to_string(shape()),
                " (use transpose(a, b) or permute)");
  return dim() < 2 ? *this : descent::transpose(*this, 0, 1);
}
Tensor Tensor::transpose(std::ptrdiff_t axis0, std::ptrdiff_t axis1) const {
  return descent::transpose(*this, axis0, axis1);
}
Tensor Tensor::permute(const Axes& axes) const { return descent::permute(*this, axes); }
Tensor Tensor::matmul(const Tensor& other) const { return descent::matmul(*this, other); }

Tensor Tensor::pow(double exponent) const { return descent::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return descent::pow(*this, exponent); }
Tensor Tensor::exp() const { return descent::exp(*this); }
Tensor Tensor::log() const { return descent::log(*this); }
Tensor Tensor::sqrt() const { return descent::sqrt(*this); }
Tensor Tensor::abs() const { return descent::abs(*this); }
Tensor Tensor::neg() const { return descent::neg(*this); }
Tensor Tensor::clamp(double min, double max) const { return descent::clamp(*this, min, max); }
Tensor Tensor::relu() const { return descent::relu(*this); }
Tensor Tensor::sigmoid() const { return descent::sigmoid(*this); }
Tensor Tensor::tanh() const { return descent::tanh(*this); }
Tensor Tensor::softmax(std::ptrdiff_t axis) const { return descent::softmax(*this, axis); }
Tensor Tensor::log_softmax(std::ptrdiff_t axis) const { return descent::log_softmax(*this, axis); }

}  // namespace descent
