#include "descent/optim/lbfgs.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <type_traits>
#include <tuple>
#include <vector>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/gemm.hpp"

namespace descent::optim {

namespace {

/// A number of PyTorch's LBFGS code: a Python float, or a 0-dim tensor of the parameters' dtype T
/// (dot products, norms and what is computed from them). As in PyTorch's type promotion, an
/// operation with a tensor operand rounds both operands to T, computes in T and gives a tensor;
/// Python floats compute in double. For T = double the two are the same; for float32 this is how
/// PyTorch's float32 trajectory is followed.
template <class T> struct Number {
  double value = 0;
  bool tensor = false;

  Number(double v = 0, bool is_tensor = false) : value(v), tensor(is_tensor) {}  // a Python float
  static Number of(T v) { return {static_cast<double>(v), true}; }

  template <class Op> static Number arithmetic(Number a, Number b, Op op) {
    if (a.tensor || b.tensor) return of(op(static_cast<T>(a.value), static_cast<T>(b.value)));
    return Number(op(a.value, b.value));
  }
  template <class Op> static bool compare(Number a, Number b, Op op) {
    if (a.tensor || b.tensor) return op(static_cast<T>(a.value), static_cast<T>(b.value));
    return op(a.value, b.value);
  }
  friend Number operator+(Number a, Number b) { return arithmetic(a, b, std::plus<>()); }
  friend Number operator-(Number a, Number b) { return arithmetic(a, b, std::minus<>()); }
  friend Number operator*(Number a, Number b) { return arithmetic(a, b, std::multiplies<>()); }
  friend Number operator/(Number a, Number b) {
    // a Python float over a tensor is b.reciprocal() * a in PyTorch (Tensor.__rtruediv__)
    if (!a.tensor && b.tensor) return of(T(1) / static_cast<T>(b.value) * static_cast<T>(a.value));
    return arithmetic(a, b, std::divides<>());
  }
  friend Number operator-(Number a) { return {-a.value, a.tensor}; }
  friend bool operator<(Number a, Number b) { return compare(a, b, std::less<>()); }
  friend bool operator<=(Number a, Number b) { return compare(a, b, std::less_equal<>()); }
  friend bool operator>(Number a, Number b) { return compare(a, b, std::greater<>()); }
  friend bool operator>=(Number a, Number b) { return compare(a, b, std::greater_equal<>()); }
  friend Number abs(Number a) { return {std::abs(a.value), a.tensor}; }
  friend Number sqrt(Number a) { return a.tensor ? of(std::sqrt(static_cast<T>(a.value))) : Number(std::sqrt(a.value)); }
};

// torch.optim.lbfgs._cubic_interpolate: the minimiser of the cubic through (x1, f1, g1) and
// (x2, f2, g2), clamped to [lo, hi]; the middle of the bounds when the cubic has no minimum.
// std::min and std::max pick as Python's min and max do (the first argument on ties and NaN).
template <class N> N cubic_interpolate(N x1, N f1, N g1, N x2, N f2, N g2, N lo, N hi) {
  const N d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const N d2_square = d1 * d1 - g1 * g2;
  if (!(d2_square >= 0)) return (lo + hi) / 2.0;
  const N d2 = sqrt(d2_square);
  const N min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                             : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(min_pos, lo), hi);
}

template <class N> N cubic_interpolate(N x1, N f1, N g1, N x2, N f2, N g2) {
  return x1 <= x2 ? cubic_interpolate(x1, f1, g1, x2, f2, g2, x1, x2) : cubic_interpolate(x1, f1, g1, x2, f2, g2, x2, x1);
}

}  // namespace

/// One step() in element type T: PyTorch's LBFGS.step and _strong_wolfe, on flat vectors of T.
template <class T> struct LBFGS::Run {
  using Num = Number<T>;
  LBFGS& o;
  const std::function<Tensor()>& closure;
  const std::size_t n = o.numel_;

  // --- flat vectors ----------------------------------------------------------------------
  Tensor vector() const { return full(Shape{n}, 0, std::is_same_v<T, double> ? float64 : float32); }
  T dot(const Tensor& a, const Tensor& b) const { return kernels::dot(int(n), a.data<T>(), 1, b.data<T>(), 1); }
  /// max |a| and, as PyTorch's a.abs().max(), NaN if any is (a NaN gradient never passes a tolerance)
  T max_abs(const Tensor& a) const {
    const T* x = a.data<T>();
    T m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i])) return x[i];
      m = std::max(m, std::abs(x[i]));
    }
    return m;
  }
  /// a * s
  Tensor scaled(const Tensor& a, T s) const {
    Tensor out = vector();
    const T* x = a.data<T>();
    T* r = out.data<T>();
    for (std::size_t i = 0; i < n; ++i) r[i] = x[i] * s;
    return out;
  }
  /// a += alpha * b: PyTorch's a.add_(b, alpha=alpha), whose CPU kernel is a fused multiply-add.
  void add(Tensor& a, const Tensor& b, T alpha) const {
    T* x = a.data<T>();
    const T* y = b.data<T>();
    for (std::size_t i = 0; i < n; ++i) x[i] = std::fma(alpha, y[i], x[i]);
  }

  // --- the parameters as one vector --------------------------------------------------------
  /// Every in-place write of the parameters goes through here: f(values, offset, count) per parameter.
  template <class F> void write_params(F&& f) {
    std::size_t offset = 0;
    for (Tensor& p : o.params_[0]) {
      f(p.data<T>(), offset, p.numel());
      p.bump_version();  // graphs that saved the old values refuse to backward through them
      offset += p.numel();
    }
  }
  /// params += step * direction (PyTorch's _add_grad: p.add_(d, alpha=step), fused as add() is).
  void add_to_params(double step, const Tensor& direction) {
    const T* d = direction.data<T>();
    const T alpha = static_cast<T>(step);
    write_params([&](T* p, std::size_t offset, std::size_t count) {
      for (std::size_t i = 0; i < count; ++i) p[i] = std::fma(alpha, d[offset + i], p[i]);
    });
  }
  /// params = values (PyTorch's _set_param, restoring a copy taken by clone_params()).
  void set_params(const Tensor& values) {
    const T* x = values.data<T>();
    write_params([&](T* p, std::size_t offset, std::size_t count) { std::memcpy(p, x + offset, count * sizeof(T)); });
  }
  Tensor clone_params() const {
    Tensor out = vector();
    std::size_t offset = 0;
    for (const Tensor& p : o.params_[0]) {
      std::memcpy(out.data<T>() + offset, p.data<T>(), p.numel() * sizeof(T));
      offset += p.numel();
    }
    return out;
  }
  /// The gradients as one vector, zeros for a parameter without one (PyTorch's _gather_flat_grad).
  Tensor gather_flat_grad() const {
    Tensor out = vector();
    std::size_t offset = 0;
    for (const Tensor& p : o.params_[0]) {
      const Tensor grad = o.gradient_for_update(p);
      if (grad.defined()) std::memcpy(out.data<T>() + offset, grad.data<T>(), p.numel() * sizeof(T));
      offset += p.numel();
    }
    return out;
  }

  /// The closure's loss, with grad mode on.
  double evaluate() const {
    Tensor loss;
    {
      AutoGradMode grad_mode(true);  // the closure's backward() needs a tape even inside step()
      loss = closure();
    }
    DESCENT_CHECK(loss.defined() && loss.numel() == 1, o.name(),
                  "the closure must return the loss as a one-element tensor, got ",
                  loss.defined() ? "shape " + to_string(loss.shape()) : std::string("an undefined tensor"));
    return loss.item<double>();
  }
  /// Loss and gradient at x + t * d; the parameters are x again afterwards.
  std::pair<double, Tensor> directional_evaluate(const Tensor& x, double t, const Tensor& d) {
    add_to_params(t, d);
    const double loss = evaluate();
    Tensor flat_grad = gather_flat_grad();
    set_params(x);
    return {loss, flat_grad};
  }

  struct Search {
    double f;
    Tensor g;
    Num t;
    int evals;
  };
  // torch.optim.lbfgs._strong_wolfe with its defaults c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9
  // (LBFGS.step does not pass its own tolerance_change) and max_ls = 25.
  Search strong_wolfe(const Tensor& x, Num t, const Tensor& d, double f, const Tensor& g, Num gtd) {
    constexpr double c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9;
    constexpr int max_ls = 25;
    const Num d_norm = Num::of(max_abs(d));
    auto [f_new, g_new] = directional_evaluate(x, t.value, d);
    int evals = 1;
    Num gtd_new = Num::of(dot(g_new, d));

    // bracket an interval containing a point satisfying the Wolfe criteria
    Num t_prev = 0, gtd_prev = gtd;
    double f_prev = f;
    Tensor g_prev = g;
    std::array<Num, 2> bracket{}, bracket_gtd{};
    std::array<double, 2> bracket_f{};
    std::array<Tensor, 2> bracket_g;
    std::size_t size = 0;  // 1: bracket[0] satisfies the conditions
    bool done = false;
    int ls_iter = 0;
    const auto bracket_with = [&](Num t1, double f1, const Tensor& g1, Num gtd1) {
      bracket = {t_prev, t1};
      bracket_f = {f_prev, f1};
      bracket_g = {g_prev, g1};
      bracket_gtd = {gtd_prev, gtd1};
      size = 2;
    };
    while (ls_iter < max_ls) {
      if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
        bracket_with(t, f_new, g_new, gtd_new);
        break;
      }
      if (abs(gtd_new) <= -c2 * gtd) {
        bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new, size = 1;
        done = true;
        break;
      }
      if (gtd_new >= 0) {
        bracket_with(t, f_new, g_new, gtd_new);
        break;
      }
      // interpolate
      const Num min_step = t + 0.01 * (t - t_prev), max_step = t * 10, previous = t;
      t = cubic_interpolate<Num>(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
      t_prev = previous, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
      std::tie(f_new, g_new) = directional_evaluate(x, t.value, d);
      ++evals;
      gtd_new = Num::of(dot(g_new, d));
      ++ls_iter;
    }
    if (ls_iter == max_ls) {  // reached max number of iterations
      bracket = {0, t};
      bracket_f = {f, f_new};
      bracket_g = {g, g_new};
      size = 2;
    }

    // zoom phase: refine the bracket until a point satisfies the criteria
    bool insufficient_progress = false;
    const auto order = [&] { return size == 1 || bracket_f[0] <= bracket_f[1] ? std::pair{0, 1} : std::pair{1, 0}; };
    auto [low, high] = order();
    while (!done && ls_iter < max_ls) {
      if (abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;  // bracket too small
      t = cubic_interpolate<Num>(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
      // A t close to a boundary is moved 0.1 * the bracket's length away from it if the last step also
      // made insufficient progress or t is at (or beyond) the boundary.
      const Num top = std::max(bracket[0], bracket[1]), bottom = std::min(bracket[0], bracket[1]);
      const Num eps = 0.1 * (top - bottom);
      if (std::min(top - t, t - bottom) < eps) {
        if (insufficient_progress || t >= top || t <= bottom) {
          t = abs(t - top) < abs(t - bottom) ? top - eps : bottom + eps;
          insufficient_progress = false;
        } else {
          insufficient_progress = true;
        }
      } else {
        insufficient_progress = false;
      }
      std::tie(f_new, g_new) = directional_evaluate(x, t.value, d);
      ++evals;
      gtd_new = Num::of(dot(g_new, d));
      ++ls_iter;
      if (f_new > f + c1 * t * gtd || f_new >= bracket_f[low]) {
        // Armijo condition not satisfied or not lower than the lowest point
        bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new, bracket_gtd[high] = gtd_new;
        std::tie(low, high) = order();
      } else {
        if (abs(gtd_new) <= -c2 * gtd) {
          done = true;  // Wolfe conditions satisfied
        } else if (gtd_new * (bracket[high] - bracket[low]) >= 0) {
          // old high becomes new low
          bracket[high] = bracket[low], bracket_f[high] = bracket_f[low], bracket_g[high] = bracket_g[low];
          bracket_gtd[high] = bracket_gtd[low];
        }
        // new point becomes new low
        bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new, bracket_gtd[low] = gtd_new;
      }
    }
    return {bracket_f[low], bracket_g[low], bracket[low], evals};
  }

  // torch.optim.LBFGS.step.
  double step() {
    const LBFGSOptions& opt = o.options_;
    const std::int64_t max_eval = opt.max_eval ? *opt.max_eval : std::int64_t{opt.max_iter} * 5 / 4;
    const double orig_loss = evaluate();
    double loss = orig_loss;
    std::int64_t current_evals = 1;
    ++o.func_evals_;
    Tensor flat_grad = gather_flat_grad();
    // max|x| <= tolerance, compared in T as PyTorch's x.abs().max() <= tolerance is
    const auto at_most = [](T max_abs, double tolerance) { return Num::of(max_abs) <= tolerance; };
    bool opt_cond = at_most(max_abs(flat_grad), opt.tolerance_grad);
    if (opt_cond) return orig_loss;  // optimal condition

    for (int n_iter = 1; n_iter <= opt.max_iter; ++n_iter) {
      ++o.n_iter_;
      // compute the descent direction
      if (o.n_iter_ == 1) {
        o.d_ = scaled(flat_grad, T(-1));
        o.old_dirs_.clear(), o.old_stps_.clear(), o.ro_.clear();
        o.h_diag_ = 1;
      } else {
        // update the memory with y = g - g_prev, s = t * d when y·s is large enough
        Tensor y = flat_grad.clone();
        add(y, o.prev_flat_grad_, T(-1));
        Tensor s = scaled(o.d_, static_cast<T>(o.t_));
        const T ys = dot(y, s);
        if (ys > T(1e-10)) {
          if (o.old_dirs_.size() == static_cast<std::size_t>(opt.history_size)) {
            o.old_dirs_.pop_front(), o.old_stps_.pop_front(), o.ro_.pop_front();
          }
          o.old_dirs_.push_back(y), o.old_stps_.push_back(s), o.ro_.push_back(T(1) / ys);
          o.h_diag_ = ys / dot(y, y);  // scale of the initial inverse Hessian
        }
        // two-loop recursion: d = -H·g with the L-BFGS estimate H of the inverse Hessian
        const std::size_t num_old = o.old_dirs_.size();
        std::vector<T> al(num_old);
        Tensor q = scaled(flat_grad, T(-1));
        for (std::size_t i = num_old; i-- > 0;) {
          al[i] = dot(o.old_stps_[i], q) * static_cast<T>(o.ro_[i]);
          add(q, o.old_dirs_[i], -al[i]);
        }
        o.d_ = scaled(q, static_cast<T>(o.h_diag_));
        for (std::size_t i = 0; i < num_old; ++i) {
          const T be_i = dot(o.old_dirs_[i], o.d_) * static_cast<T>(o.ro_[i]);
          add(o.d_, o.old_stps_[i], al[i] - be_i);
        }
      }
      o.prev_flat_grad_ = flat_grad.clone();
      o.prev_loss_ = loss;

      // compute the step length: the first ever is scaled down by the gradient's 1-norm
      Num t = opt.lr;
      if (o.n_iter_ == 1) {
        T abs_sum = 0;
        for (std::size_t i = 0; i < n; ++i) abs_sum += std::abs(flat_grad.data<T>()[i]);
        t = std::min(Num(1.0), 1.0 / Num::of(abs_sum)) * opt.lr;
      }
      o.t_ = t.value;
      const Num gtd = Num::of(dot(flat_grad, o.d_));  // directional derivative
      if (gtd > -opt.tolerance_change) break;

      int ls_func_evals = 0;
      if (opt.line_search_fn == "strong_wolfe") {
        const Tensor x_init = clone_params();
        Search found = strong_wolfe(x_init, t, o.d_, loss, flat_grad, gtd);
        loss = found.f, flat_grad = found.g, o.t_ = found.t.value, ls_func_evals = found.evals;
        add_to_params(o.t_, o.d_);
        opt_cond = at_most(max_abs(flat_grad), opt.tolerance_grad);
      } else {
        add_to_params(o.t_, o.d_);
        if (n_iter != opt.max_iter) {  // the last iteration's loss would go unused
          loss = evaluate();
          flat_grad = gather_flat_grad();
          opt_cond = at_most(max_abs(flat_grad), opt.tolerance_grad);
          ls_func_evals = 1;
        }
      }
      current_evals += ls_func_evals;
      o.func_evals_ += ls_func_evals;

      // check conditions
      if (n_iter == opt.max_iter || current_evals >= max_eval || opt_cond) break;
      if (at_most(max_abs(scaled(o.d_, static_cast<T>(o.t_))), opt.tolerance_change)) break;  // lack of progress
      if (std::abs(loss - o.prev_loss_) < opt.tolerance_change) break;
    }
    return orig_loss;
  }
};

LBFGS::LBFGS(std::vector<Tensor> params, const LBFGSOptions& options) : Optimizer("LBFGS"), options_(options) {
  const LBFGSOptions& o = options_;
  check_lr(o.lr);
  DESCENT_CHECK(o.max_iter >= 1, name(), "invalid max_iter ", o.max_iter, " (must be >= 1)");
  DESCENT_CHECK(!o.max_eval || *o.max_eval >= 1, name(), "invalid max_eval ", o.max_eval.value_or(0),
                " (must be >= 1, or left out for max_iter * 5 / 4)");
  detail::check_non_negative("LBFGS", "tolerance_grad", o.tolerance_grad);
  detail::check_non_negative("LBFGS", "tolerance_change", o.tolerance_change);
  DESCENT_CHECK(o.history_size >= 1, name(), "invalid history_size ", o.history_size, " (must be >= 1)");
  DESCENT_CHECK(o.line_search_fn.empty() || o.line_search_fn == "strong_wolfe", name(), "invalid line_search_fn \"",
                o.line_search_fn, "\" (must be \"\" for a fixed step or \"strong_wolfe\")");
  add_parameters(std::move(params));
  dtype();
}

Dtype LBFGS::dtype() const {
  const std::vector<Tensor>& params = params_[0];
  const Dtype dtype = params[0].dtype();
  std::size_t numel = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    DESCENT_CHECK(params[i].dtype() == dtype, name(), "all parameters must share one dtype (they form one vector): ",
                  "parameter 0 is ", to_string(dtype), ", parameter ", i, " is ", to_string(params[i].dtype()));
    DESCENT_CHECK(params[i].is_contiguous(), name(), "cannot update parameter ", i, " of shape ",
                  to_string(params[i].shape()), " in place: it is not contiguous");
    numel += params[i].numel();
  }
  detail::dispatch_floating("LBFGS", dtype, [](auto) {});
  DESCENT_CHECK(numel <= INT_MAX, name(), numel, " parameter values are more than its dot products take (", INT_MAX,
                ")");
  return dtype;
}

void LBFGS::step() {
  throw Error("LBFGS: step() needs a closure that re-evaluates the loss: call step(closure), with a closure that "
              "zeroes the gradients, computes the loss, calls backward() and returns the loss");
}

double LBFGS::step(const std::function<Tensor()>& closure) {
  DESCENT_CHECK(static_cast<bool>(closure), name(), "step(closure) was given an empty closure");
  const Dtype dtype = this->dtype();
  numel_ = 0;
  for (const Tensor& p : params_[0]) numel_ += p.numel();
  convert_state(dtype);
  NoGradGuard no_grad;
  return detail::dispatch_floating("LBFGS", dtype, [&](auto e) { return Run<decltype(e)>{*this, closure}.step(); });
}

void LBFGS::convert_state(Dtype dtype) {
  // parameters converted by Module::to since the last step take their state along
  if (!d_.defined() || d_.dtype() == dtype) return;
  NoGradGuard no_grad;
  d_ = d_.to(dtype);
  prev_flat_grad_ = prev_flat_grad_.to(dtype);
  for (auto* history : {&old_dirs_, &old_stps_})
    for (Tensor& v : *history) v = v.to(dtype);
}

double LBFGS::lr(std::size_t group) const {
  check_group(group);
  return options_.lr;
}

void LBFGS::set_lr(std::size_t group, double lr) {
  check_group(group);
  check_lr(lr);
  options_.lr = lr;
}

}  // namespace descent::optim
