// LBFGS's state as named tensors, for checkpoints: what state_tensors() exports and
// load_state_tensors() checks and restores (the history as one history × numel tensor per list).
#include <deque>

#include "descent/optim/lbfgs.hpp"
#include "detail/check.hpp"
#include "detail/dispatch.hpp"

namespace descent::optim {

namespace {

/// The vectors of a history as the rows of one (k, numel) tensor, and back.
Tensor stack_rows(const std::deque<Tensor>& rows, std::size_t numel, Dtype dtype) {
  Tensor out = full(Shape{rows.size(), numel}, 0, dtype);
  detail::dispatch_floating("LBFGS", dtype, [&](auto e) {
    using T = decltype(e);
    for (std::size_t i = 0; i < rows.size(); ++i)
      std::memcpy(out.data<T>() + i * numel, rows[i].data<T>(), numel * sizeof(T));
  });
  return out;
}

std::deque<Tensor> unstack_rows(const Tensor& stacked) {
  std::deque<Tensor> rows;
  const std::size_t numel = stacked.shape()[1];
  detail::dispatch_floating("LBFGS", stacked.dtype(), [&](auto e) {
    using T = decltype(e);
    for (std::size_t i = 0; i < stacked.shape()[0]; ++i)
      rows.push_back(from_buffer<T>(stacked.data<T>() + i * numel, Shape{numel}));
  });
  return rows;
}

// The state names beside the counters: present once the first iteration has run.
constexpr const char* vectors[] = {"d", "prev_flat_grad"};
constexpr const char* histories[] = {"old_dirs", "old_stps"};
constexpr const char* scalars[] = {"t", "H_diag", "prev_loss"};

}  // namespace

std::vector<std::pair<std::string, Tensor>> LBFGS::state_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out = {
      {state_key(0, "lr"), state_scalar(options_.lr, float64)},
      {state_key(0, "func_evals"), state_scalar(static_cast<double>(func_evals_), int64)},
      {state_key(0, "n_iter"), state_scalar(static_cast<double>(n_iter_), int64)}};
  if (!d_.defined()) return out;
  const Dtype dtype = d_.dtype();
  out.emplace_back(state_key(0, "d"), d_);
  out.emplace_back(state_key(0, "prev_flat_grad"), prev_flat_grad_);
  out.emplace_back(state_key(0, "old_dirs"), stack_rows(old_dirs_, d_.numel(), dtype));
  out.emplace_back(state_key(0, "old_stps"), stack_rows(old_stps_, d_.numel(), dtype));
  Tensor ro = full(Shape{ro_.size()}, 0, float64);
  std::copy(ro_.begin(), ro_.end(), ro.data<double>());
  NoGradGuard no_grad;
  out.emplace_back(state_key(0, "ro"), ro.to(dtype));
  out.emplace_back(state_key(0, "t"), state_scalar(t_, float64));
  out.emplace_back(state_key(0, "H_diag"), state_scalar(h_diag_, float64));
  out.emplace_back(state_key(0, "prev_loss"), state_scalar(prev_loss_, float64));
  return out;
}

void LBFGS::load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors) {
  const Dtype dtype = this->dtype();
  std::size_t numel = 0;
  for (const Tensor& p : params_[0]) numel += p.numel();
  // The history length is whatever the given old_dirs has (at most history_size, checked below).
  std::size_t history = 0;
  for (const auto& [name, value] : tensors)
    if (name == state_key(0, "old_dirs") && value.defined() && value.dim() == 2) history = value.shape()[0];
  std::vector<StateEntry> expected = {{state_key(0, "lr"), Shape{}, float64, true},
                                      {state_key(0, "func_evals"), Shape{}, int64, true},
                                      {state_key(0, "n_iter"), Shape{}, int64, true}};
  for (const char* name : vectors) expected.push_back({state_key(0, name), Shape{numel}, dtype, false});
  for (const char* name : histories) expected.push_back({state_key(0, name), Shape{history, numel}, dtype, false});
  expected.push_back({state_key(0, "ro"), Shape{history}, dtype, false});
  for (const char* name : scalars) expected.push_back({state_key(0, name), Shape{}, float64, false});
  const auto given = check_state_tensors(expected, tensors);
  const double lr = given.at(state_key(0, "lr")).item();
  check_lr(lr);
  const auto n_iter = given.at(state_key(0, "n_iter")).item<std::int64_t>();
  const bool started = n_iter > 0;
  std::string wrong;  // the iteration state must be all there after an iteration, and absent before
  for (std::size_t i = 3; i < expected.size(); ++i)
    if (given.count(expected[i].name) != static_cast<std::size_t>(started)) wrong += " " + expected[i].name;
  DESCENT_CHECK(wrong.empty(), name(), "the state does not fit this optimizer (n_iter is ", n_iter,
                started ? ", so it needs" : ", so it must not have", wrong, ")");
  DESCENT_CHECK(history <= static_cast<std::size_t>(options_.history_size), name(),
                "the state does not fit this optimizer (its history has ", history, " pairs, history_size is ",
                options_.history_size, ")");
  NoGradGuard no_grad;
  options_.lr = lr;
  func_evals_ = given.at(state_key(0, "func_evals")).item<std::int64_t>();
  n_iter_ = n_iter;
  if (!started) {
    d_ = prev_flat_grad_ = Tensor();
    old_dirs_.clear(), old_stps_.clear(), ro_.clear();
    t_ = 0, h_diag_ = 1, prev_loss_ = 0;
    return;
  }
  d_ = given.at(state_key(0, "d")).detach().clone();
  prev_flat_grad_ = given.at(state_key(0, "prev_flat_grad")).detach().clone();
  old_dirs_ = unstack_rows(given.at(state_key(0, "old_dirs")));
  old_stps_ = unstack_rows(given.at(state_key(0, "old_stps")));
  const Tensor ro = given.at(state_key(0, "ro")).to(float64).contiguous();
  ro_.assign(ro.data<double>(), ro.data<double>() + history);
  t_ = given.at(state_key(0, "t")).item();
  h_diag_ = given.at(state_key(0, "H_diag")).item();
  prev_loss_ = given.at(state_key(0, "prev_loss")).item();
}

}  // namespace descent::optim
