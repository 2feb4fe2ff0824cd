#include "descent/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
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
  DESCENT_CHECK(std::isfinite(lr) && lr >= 0, name_, "invalid learning rate ", lr, " (must be a finite number >= 0)");
}

double Optimizer::momentum(std::size_t group) const {
  check_group(group);
  throw Error(detail::concat(name_, ": has no momentum (no momentum or betas option)"));
}

void Optimizer::set_momentum(std::size_t group, double) {
  check_group(group);
  throw Error(detail::concat(name_, ": has no momentum (no momentum or betas option)"));
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

std::vector<std::pair<std::string, Tensor>> Optimizer::state_tensors() const {
  no_state("it does not implement state_tensors()");
}

void Optimizer::load_state_tensors(const std::vector<std::pair<std::string, Tensor>>&) {
  no_state("it does not implement load_state_tensors()");
}

void Optimizer::no_state(const char* reason) const {
  throw Error(detail::concat(name_, ": cannot save or load its state (", reason, ")"));
}

std::string Optimizer::state_key(std::size_t group, const char* name) {
  return "group" + std::to_string(group) + "." + name;
}

std::string Optimizer::state_key(std::size_t group, std::size_t index, const char* name) {
  return "group" + std::to_string(group) + ".param" + std::to_string(index) + "." + name;
}

Tensor Optimizer::state_scalar(double value, Dtype dtype) { return full(Shape{}, value, dtype); }

std::unordered_map<std::string, Tensor> Optimizer::check_state_tensors(
    const std::vector<StateEntry>& expected, const std::vector<std::pair<std::string, Tensor>>& given) const {
  std::unordered_map<std::string, Tensor> by_name;
  std::vector<std::string> problems, unexpected, duplicated;
  for (const auto& [name, value] : given) {
    if (!value.defined())
      problems.push_back(name + " is an undefined tensor");
    else if (!by_name.emplace(name, value).second)
      duplicated.push_back(name);
  }
  std::vector<std::string> missing;
  std::unordered_set<std::string> known;
  for (const StateEntry& entry : expected) {
    known.insert(entry.name);
    const auto found = by_name.find(entry.name);
    if (found == by_name.end()) {
      if (entry.required) missing.push_back(entry.name);
      continue;
    }
    const Tensor& value = found->second;
    if (value.shape() != entry.shape)
      problems.push_back(detail::concat(entry.name, " has shape ", to_string(value.shape()), ", expected ",
                                        to_string(entry.shape)));
    if (value.dtype() != entry.dtype)
      problems.push_back(detail::concat(entry.name, " has dtype ", to_string(value.dtype()), ", expected ",
                                        to_string(entry.dtype)));
    constexpr std::int64_t max_count = std::int64_t{1} << 53;  // exact as a double, far from overflow
    if (entry.dtype == int64 && entry.shape.empty() && value.dtype() == int64 && value.shape().empty()) {
      const auto count = value.item<std::int64_t>();
      if (count < 0 || count > max_count)
        problems.push_back(detail::concat(entry.name, " is ", count, ", expected a step count from 0 to 2^53"));
    }
  }
  for (const auto& [name, value] : given)
    if (!known.count(name)) unexpected.push_back(name);
  std::string message;
  const auto list = [&](const char* what, std::vector<std::string> names) {
    if (names.empty()) return;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    message += (message.empty() ? "" : "; ") + std::string(what);
    for (std::size_t i = 0; i < names.size(); ++i) message += (i ? ", " : " ") + names[i];
  };
  list("missing:", missing);
  list("unexpected:", unexpected);
  list("given twice:", duplicated);
  for (const std::string& problem : problems) message += (message.empty() ? "" : "; ") + problem;
  DESCENT_CHECK(message.empty(), name_, "the state does not fit this optimizer (", message, ")");
  return by_name;
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
