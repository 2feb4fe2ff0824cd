// optim::LBFGS against torch.optim.LBFGS of PyTorch 1.13: the trajectories in lbfgs_values.inc were
// printed by tests/optim/lbfgs_reference.py (Debian 12's /usr/bin/python3):
//   /usr/bin/python3 tests/optim/lbfgs_reference.py > tests/optim/lbfgs_values.inc
// Each Rosenbrock run starts at (-1.5, 2) and checks, per step(), the loss it returns, the point it
// reaches and the total number of closure evaluations, plus every point the closure saw in step 1.
#include "support/check.hpp"

#include <cstdint>

#include <xtensor/xadapt.hpp>

#include "descent/nn.hpp"
#include "descent/optim.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {

struct Run {
  std::vector<double> losses;
  std::vector<std::vector<double>> points;
  std::vector<std::int64_t> evals;
  std::vector<std::vector<double>> first_step_points;
};
struct LinearStep {
  double loss;
  std::vector<double> weight, bias;
  std::int64_t evals;
};
using LinearRun = std::vector<LinearStep>;

namespace torch_reference {
#include "optim/lbfgs_values.inc"
}

xt::xarray<double> values(const std::vector<double>& v) { return xt::adapt(v, {v.size()}); }

/// Rosenbrock's loss, returned, and gradient, stored in p.grad(), written out by hand as
/// lbfgs_reference.py writes them: one rounding per operation in the same order on both sides.
Tensor rosenbrock(const Tensor& p) {
  Tensor loss, gx, gy;
  {
    NoGradGuard no_grad;
    const Tensor x = narrow(p, 0, 0, 1).clone(), y = narrow(p, 0, 1, 1).clone();
    const Tensor r = y - x * x;
    loss = sum((1.0 - x) * (1.0 - x) + 100.0 * (r * r));
    gx = -2.0 * (1.0 - x) - 400.0 * (x * r);
    gy = 200.0 * r;
  }
  sum(narrow(p, 0, 0, 1) * gx + narrow(p, 0, 1, 1) * gy).backward();
  return loss;
}

/// Replays `expected` from (-1.5, 2); `between` runs after step 1 (PyTorch's lr change). `chaos`
/// widens the tolerance for a run whose reference moves more than it when the start moves by one ulp
/// (printed in lbfgs_values.inc): a one-ulp difference anywhere (another instruction set's rounding
/// of a sum) then moves it as much.
void check_rosenbrock(const optim::LBFGSOptions& options, const Run& expected, Dtype dtype = float64,
                      const std::function<void(optim::LBFGS&)>& between = {}, double chaos = 1) {
  const double rtol = (dtype == float64 ? 1e-10 : 1e-6) * chaos, atol = (dtype == float64 ? 1e-12 : 1e-7) * chaos;
  Tensor p = tensor({-1.5, 2.0}, dtype).requires_grad_();
  optim::LBFGS opt({p}, options);
  std::vector<std::vector<double>> seen;
  const auto closure = [&] {
    opt.zero_grad();
    const Tensor loss = rosenbrock(p);
    seen.push_back({p.at({0}), p.at({1})});
    return loss;
  };
  for (std::size_t k = 0; k < expected.losses.size(); ++k) {
    BOOST_TEST_CONTEXT("step " << k + 1) {
      const double loss = opt.step(closure);
      BOOST_TEST(std::abs(loss - expected.losses[k]) <= atol + rtol * std::abs(expected.losses[k]),
                 "loss " << loss << ", PyTorch's " << expected.losses[k]);
      check_values(p, values(expected.points[k]), rtol, atol);
      BOOST_TEST(opt.func_evals() == expected.evals[k]);
      BOOST_TEST(static_cast<std::int64_t>(seen.size()) == expected.evals[k]);
    }
    if (k == 0) {
      BOOST_TEST_REQUIRE(seen.size() == expected.first_step_points.size());
      for (std::size_t i = 0; i < seen.size(); ++i) {
        BOOST_TEST_CONTEXT("closure call " << i + 1 << " of step 1") {
          check_values(tensor(values(seen[i]), float64), values(expected.first_step_points[i]), rtol, atol);
        }
      }
      if (between) between(opt);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lbfgs)

BOOST_AUTO_TEST_CASE(defaults_match_pytorch) {
  const optim::LBFGSOptions o;
  BOOST_TEST(o.lr == 1);
  BOOST_TEST(o.max_iter == 20);
  BOOST_TEST(!o.max_eval.has_value());
  BOOST_TEST(o.tolerance_grad == 1e-7);
  BOOST_TEST(o.tolerance_change == 1e-9);
  BOOST_TEST(o.history_size == 100);
  BOOST_TEST(o.line_search_fn.empty());
}

BOOST_AUTO_TEST_CASE(fixed_steps_on_rosenbrock_match_pytorch) {
  // one ulp at the start moves step 2 by 2.6e-10: an AVX2 build lands 1e-10 away (CI's avx2 stage)
  check_rosenbrock({}, torch_reference::rosenbrock_fixed_step, float64, {}, 100);
}

BOOST_AUTO_TEST_CASE(strong_wolfe_on_rosenbrock_matches_pytorch) {
  check_rosenbrock({.line_search_fn = "strong_wolfe"}, torch_reference::rosenbrock_strong_wolfe);
}

BOOST_AUTO_TEST_CASE(float32_parameters_stay_close_to_pytorchs_float32_run) {
  // one ulp at the start moves the end by 3.1e-5
  check_rosenbrock({.line_search_fn = "strong_wolfe"}, torch_reference::rosenbrock_float32, float32, {}, 100);
}

BOOST_AUTO_TEST_CASE(a_short_history_and_set_lr_between_steps) {
  check_rosenbrock({.lr = 0.5, .max_iter = 6, .history_size = 2}, torch_reference::rosenbrock_lr, float64,
                   [](optim::LBFGS& opt) {
                     opt.set_lr(0, 0.25);
                     BOOST_TEST(opt.lr(0) == 0.25);
                   });
}

BOOST_AUTO_TEST_CASE(tolerance_grad_stops_when_the_gradient_is_small) {
  // step 3 starts where max|g| <= 1e-2: one closure call, no move
  check_rosenbrock({.tolerance_grad = 1e-2, .line_search_fn = "strong_wolfe"}, torch_reference::stop_tolerance_grad);
}

BOOST_AUTO_TEST_CASE(tolerance_change_stops_when_the_loss_stalls) {
  check_rosenbrock({.tolerance_change = 1e-2}, torch_reference::stop_tolerance_change);
}

BOOST_AUTO_TEST_CASE(max_eval_and_max_iter_bound_a_step) {
  check_rosenbrock({.max_eval = 7, .line_search_fn = "strong_wolfe"}, torch_reference::stop_max_eval);
  check_rosenbrock({.max_iter = 3}, torch_reference::stop_max_iter);
}

BOOST_AUTO_TEST_CASE(a_nan_gradient_does_not_pass_for_a_small_one) {
  // torch.optim.LBFGS([p], max_iter=5), loss sum(p * [nan, 0]) from p = (1, 2): 5 evaluations,
  // p = [nan, 2] (PyTorch's abs().max() is NaN, not 0, so no tolerance test stops the step)
  Tensor p = tensor({1.0, 2.0}, float64).requires_grad_();
  optim::LBFGS opt({p}, {.max_iter = 5});
  opt.step([&] {
    opt.zero_grad();
    Tensor loss = sum(p * tensor({std::nan(""), 0.0}, float64));
    loss.backward();
    return loss;
  });
  BOOST_TEST(opt.func_evals() == 5);
  check_values(p, {std::nan(""), 2.0}, 0, 0);
}

BOOST_AUTO_TEST_CASE(least_squares_on_a_linear_layer_match_pytorch) {
  // two parameters (weight, bias) flattened into one vector
  const Tensor x = tensor({{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}, {-1.0, 2.0, 0.75}, {0.0, -0.5, 1.25}, {2.0, 1.0, -1.5}},
                          float64);
  const Tensor y = tensor({{1.0, -2.0}, {0.5, 0.0}, {-1.5, 3.0}, {2.0, 1.0}, {0.25, -0.75}}, float64);
  nn::Linear fc(3, 2, {.dtype = float64});
  {
    NoGradGuard no_grad;
    fc.weight.copy_(tensor({{0.1, -0.2, 0.3}, {0.4, 0.5, -0.6}}, float64));
    fc.bias.copy_(tensor({0.05, -0.05}, float64));
  }
  optim::LBFGS opt(fc.parameters(), {.max_iter = 4, .history_size = 3, .line_search_fn = "strong_wolfe"});
  const auto closure = [&] {
    opt.zero_grad();
    Tensor loss = mse_loss(fc(x), y);
    loss.backward();
    return loss;
  };
  for (std::size_t k = 0; k < torch_reference::linear_least_squares.size(); ++k) {
    BOOST_TEST_CONTEXT("step " << k + 1) {
      const LinearStep& expected = torch_reference::linear_least_squares[k];
      const double loss = opt.step(closure);
      BOOST_TEST(std::abs(loss - expected.loss) <= 1e-12 + 1e-10 * expected.loss);
      check_values(flatten(fc.weight), values(expected.weight), 1e-10, 1e-12);
      check_values(fc.bias, values(expected.bias), 1e-10, 1e-12);
      BOOST_TEST(opt.func_evals() == expected.evals);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_saved_state_continues_the_same_trajectory) {
  const auto run = [](optim::LBFGS& opt, Tensor& p) {
    return opt.step([&] {
      opt.zero_grad();
      return rosenbrock(p);
    });
  };
  const optim::LBFGSOptions options{.max_iter = 5, .history_size = 3, .line_search_fn = "strong_wolfe"};
  Tensor p = tensor({-1.5, 2.0}, float64).requires_grad_();
  optim::LBFGS opt({p}, options);
  BOOST_TEST(opt.state_tensors().size() == 3u);  // lr and the counters only, before any step
  for (int k = 0; k < 3; ++k) run(opt, p);
  const auto saved = opt.state_tensors();
  BOOST_TEST(saved.size() == 11u);
  Tensor q = p.detach().clone().requires_grad_();
  optim::LBFGS resumed({q}, options);
  resumed.load_state_tensors(saved);
  BOOST_TEST(resumed.func_evals() == opt.func_evals());
  BOOST_TEST(resumed.n_iter() == opt.n_iter());
  for (int k = 0; k < 2; ++k) {
    BOOST_TEST(run(resumed, q) == run(opt, p));
    check_values(q, p.to_xarray<double>(), 0, 0);
  }
  // without the saved history the next step differs
  Tensor fresh = tensor({p.at({0}), p.at({1})}, float64).requires_grad_();
  optim::LBFGS restarted({fresh}, options);
  run(restarted, fresh);
  run(opt, p);
  BOOST_TEST(std::abs(fresh.at({0}) - p.at({0})) > 1e-6);
}

BOOST_AUTO_TEST_CASE(the_state_follows_parameters_converted_between_steps) {
  // as Module::to(float32) converts them: the history is converted too, and steps go on
  Tensor p = tensor({-1.5, 2.0}, float64).requires_grad_();
  optim::LBFGS opt({p}, {.max_iter = 3});
  const auto closure = [&] {
    opt.zero_grad();
    return rosenbrock(p);
  };
  opt.step(closure);
  {
    NoGradGuard no_grad;
    p.set_data(p.to(float32));
  }
  opt.step(closure);
  BOOST_TEST(opt.func_evals() == 6);
  for (const auto& [name, value] : opt.state_tensors())
    if (value.dim() > 0) BOOST_TEST((value.dtype() == float32), name);
}

BOOST_AUTO_TEST_CASE(a_state_that_does_not_fit_is_refused_whole) {
  Tensor p = tensor({-1.5, 2.0}, float64).requires_grad_();
  optim::LBFGS opt({p}, {.history_size = 2});
  opt.step([&] {
    opt.zero_grad();
    return rosenbrock(p);
  });
  auto saved = opt.state_tensors();
  Tensor q = tensor({0.0, 0.0, 0.0}, float64).requires_grad_();
  optim::LBFGS other({q});
  check_error([&] { other.load_state_tensors(saved); }, "group0.d has shape (2,), expected (3,)");
  optim::LBFGS short_history({tensor({0.0, 0.0}, float64).requires_grad_()}, {.history_size = 1});
  std::erase_if(saved, [](const auto& entry) { return entry.first == "group0.t"; });
  check_error([&] { short_history.load_state_tensors(saved); }, "so it needs group0.t");
  BOOST_TEST(short_history.n_iter() == 0);
}

BOOST_AUTO_TEST_CASE(step_needs_a_closure_that_returns_the_loss) {
  Tensor p = tensor({-1.5, 2.0}, float64).requires_grad_();
  optim::LBFGS opt({p});
  optim::Optimizer& base = opt;
  check_error([&] { base.step(); }, "LBFGS: step() needs a closure");
  check_error([&] { opt.step(std::function<Tensor()>()); }, "empty closure");
  check_error([&] { opt.step([] { return Tensor(); }); }, "one-element tensor, got an undefined tensor");
  check_error([&] { opt.step([&] { return p * 2.0; }); }, "one-element tensor, got shape (2,)");
}

BOOST_AUTO_TEST_CASE(bad_options_and_parameters_are_refused) {
  const auto make = [](const optim::LBFGSOptions& o) {
    return [o] { optim::LBFGS opt({tensor({1.0}, float64).requires_grad_()}, o); };
  };
  check_error(make({.lr = -1}), "LBFGS: invalid learning rate -1");
  check_error(make({.lr = std::nan("")}), "invalid learning rate nan");
  check_error(make({.max_iter = 0}), "invalid max_iter 0 (must be >= 1)");
  check_error(make({.max_eval = 0}), "invalid max_eval 0");
  check_error(make({.tolerance_grad = -1e-3}), "invalid tolerance_grad");
  check_error(make({.tolerance_change = INFINITY}), "invalid tolerance_change inf");
  check_error(make({.history_size = 0}), "invalid history_size 0 (must be >= 1)");
  check_error(make({.line_search_fn = "backtracking"}), "invalid line_search_fn \"backtracking\"");
  check_error([] { optim::LBFGS opt({tensor({1.0}, float64).requires_grad_(), tensor({1.0}).requires_grad_()}); },
              "all parameters must share one dtype");
  Tensor p = tensor({1.0}, float64).requires_grad_();
  optim::LBFGS opt({p});
  check_error([&] { opt.set_lr(0, -0.5); }, "invalid learning rate -0.5");
  check_error([&] { opt.lr(1); }, "parameter group 1 does not exist");
}

BOOST_AUTO_TEST_SUITE_END()
