#include "descent/optim/optimizer.hpp"

#include <unordered_set>

namespace descent::optim {

void Optimizer::zero_grad() {
  for (auto& group : params_)
    for (auto& param : group) param.zero_grad();
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> all;
  for (const auto& group : params_) all.insert(all.end(), group.begin(), group.end());
  return all;
}

const std::vector<Tensor>& Optimizer::parameters(std::size_t group) const {
  check_group(group);
  return params_[group];
}

void Optimizer::add_parameters(std::vector<Tensor> params) {
  DESCENT_CHECK(!params.empty(), name_, "got an empty parameter list");
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& group : params_)
    for (const auto& param : group) seen.insert(param.impl_ptr().get());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& param = params[i];
    DESCENT_CHECK(param.defined(), name_, "parameter ", i, " is an undefined tensor");
    DESCENT_CHECK(param.is_leaf(), name_, "parameter ", i, " of shape ", to_string(param.shape()),
                  " is not a leaf (it was computed by ", "an operation): optimize the tensor it came from");
    DESCENT_CHECK(param.requires_grad(), name_, "parameter ", i, " of shape ", to_string(param.shape()),
                  " does not require grad (call requires_grad_() on it or leave it out)");
    DESCENT_CHECK(seen.insert(param.impl_ptr().get()).second, name_, "parameter ", i, " of shape ",
                  to_string(param.shape()), " is given twice (a parameter may appear in one group only, once)");
  }
  params_.push_back(std::move(params));
}

void Optimizer::check_group(std::size_t group) const {
  DESCENT_CHECK(group < params_.size(), name_, "parameter group ", group, " does not exist (", params_.size(),
                params_.size() == 1 ? " group)" : " groups)");
}

void Optimizer::check_lr(double lr) const {
  DESCENT_CHECK(lr >= 0, name_, "invalid learning rate ", lr, " (must be >= 0)");
}

Tensor Optimizer::gradient_for_update(const Tensor& param) const {
  Tensor grad = param.grad();
  if (!grad.defined()) return grad;
  DESCENT_CHECK(param.is_contiguous(), name_, "cannot update a non-contiguous parameter of shape ",
                to_string(param.shape()), " in place");
  DESCENT_CHECK(grad.shape() == param.shape(), name_, "the gradient of shape ", to_string(grad.shape()),
                " does not match its parameter of shape ", to_string(param.shape()));
  if (grad.dtype() != param.dtype()) grad = grad.detach().to(param.dtype());
  if (!grad.is_contiguous()) grad = grad.detach().contiguous();
  return grad;
}

Tensor& state_buffer(Tensor& buffer, const Tensor& param, double initial) {
  if (!buffer.defined()) {
    buffer = full(param.shape(), initial, param.dtype());
  } else if (buffer.dtype() != param.dtype()) {
    NoGradGuard no_grad;
    buffer = buffer.to(param.dtype());
  }
  DESCENT_CHECK(buffer.shape() == param.shape(), "optimizer", "a state buffer of shape ", to_string(buffer.shape()),
                " does not match its parameter of shape ", to_string(param.shape()));
  return buffer;
}

}  // namespace descent::optim
