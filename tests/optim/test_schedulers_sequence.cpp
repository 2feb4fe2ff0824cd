// LinearLR, OneCycleLR and SequentialLR against PyTorch 1.13's torch.optim.lr_scheduler: the lr
// (and the momentum OneCycleLR cycles) of every group after construction and after each step(),
// from tests/optim/schedulers_sequence_reference.py; errors; OneCycleLR stepped per batch by fit.
#include "support/check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "descent/nn.hpp"
#include "descent/optim.hpp"
#include "descent/train.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

#include "optim/schedulers_sequence_values.inc"

Tensor param() { return zeros({1}).requires_grad_(); }

/// SGD with groups of lr (0.1, 0.02) and momentum (0.9, 0.5), as the reference's two_sgd.
struct TwoGroups {
  optim::SGD opt{{param()}, {.lr = 0.1, .momentum = 0.9}};
  TwoGroups() { opt.add_param_group({param()}, {.lr = 0.02, .momentum = 0.5}); }
};

bool close(double actual, double expected) { return std::abs(actual - expected) <= 1e-12 * std::abs(expected) + 1e-17; }

/// Row k of `lrs` (and `momenta`, if given) after k steps: what get_last_lr(), the optimizer's lrs
/// and its momenta say. `clamp` replaces PyTorch's negative lrs by 0 (descent refuses them).
void check_trajectory(optim::LRScheduler& scheduler, optim::Optimizer& opt, const std::vector<double>& lrs,
                      const std::vector<double>& momenta = {}, bool clamp = false) {
  const std::size_t groups = opt.num_groups();
  BOOST_TEST_REQUIRE(lrs.size() % groups == 0);
  for (std::size_t k = 0; k < lrs.size() / groups; ++k) {
    BOOST_TEST_CONTEXT("after " << k << " steps") {
      if (k > 0) scheduler.step();
      BOOST_TEST(scheduler.last_epoch() == static_cast<std::int64_t>(k));
      BOOST_TEST_REQUIRE(scheduler.get_last_lr().size() == groups);
      for (std::size_t g = 0; g < groups; ++g) {
        const double expected = clamp ? std::max(lrs[k * groups + g], 0.0) : lrs[k * groups + g];
        BOOST_TEST(close(scheduler.get_last_lr()[g], expected),
                   "group " << g << ": lr " << scheduler.get_last_lr()[g] << ", expected " << expected);
        BOOST_TEST(opt.lr(g) == scheduler.get_last_lr()[g]);
        if (!momenta.empty())
          BOOST_TEST(close(opt.momentum(g), momenta[k * groups + g]),
                     "group " << g << ": momentum " << opt.momentum(g) << ", expected " << momenta[k * groups + g]);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_lr)

BOOST_AUTO_TEST_CASE(default_warm_up_matches_pytorch) {
  TwoGroups setup;
  optim::LinearLR scheduler(setup.opt);  // start_factor 1/3, end_factor 1, total_iters 5
  BOOST_TEST(scheduler.base_lrs() == (std::vector<double>{0.1, 0.02}));
  check_trajectory(scheduler, setup.opt, linear_default_lr);
}

BOOST_AUTO_TEST_CASE(decay_and_partial_ramps_match_pytorch) {
  TwoGroups decay;
  optim::LinearLR down(decay.opt, {.start_factor = 1.0, .end_factor = 0.1, .total_iters = 4});
  check_trajectory(down, decay.opt, linear_decay_lr);
  TwoGroups partial;
  optim::LinearLR ramp(partial.opt, {.start_factor = 0.25, .end_factor = 0.75, .total_iters = 3});
  check_trajectory(ramp, partial.opt, linear_partial_lr);
}

BOOST_AUTO_TEST_CASE(bad_factors_are_errors) {
  TwoGroups setup;
  check_error([&] { optim::LinearLR s(setup.opt, {.start_factor = 0}); },
              "LinearLR: invalid start_factor 0 (must be in (0, 1])");
  check_error([&] { optim::LinearLR s(setup.opt, {.start_factor = 1.5}); }, "LinearLR: invalid start_factor 1.5");
  check_error([&] { optim::LinearLR s(setup.opt, {.start_factor = std::nan("")}); }, "LinearLR: invalid start_factor nan");
  check_error([&] { optim::LinearLR s(setup.opt, {.end_factor = 1.5}); },
              "LinearLR: invalid end_factor 1.5 (must be in [0, 1])");
  check_error([&] { optim::LinearLR s(setup.opt, {.end_factor = -0.1}); }, "LinearLR: invalid end_factor -0.1");
  check_error([&] { optim::LinearLR s(setup.opt, {.total_iters = 0}); }, "LinearLR: total_iters must be positive, got 0");
  BOOST_TEST(setup.opt.lr(0) == 0.1);  // a rejected scheduler leaves the learning rates alone
  BOOST_TEST(setup.opt.lr(1) == 0.02);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(one_cycle_lr)

BOOST_AUTO_TEST_CASE(sgd_with_per_group_max_lr_matches_pytorch) {
  TwoGroups setup;
  optim::OneCycleLR scheduler(setup.opt, {0.1, 0.02}, {.total_steps = 10});
  BOOST_TEST(scheduler.total_steps() == 10);
  BOOST_TEST(close(scheduler.base_lrs()[0], 0.1 / 25));  // PyTorch's initial_lr
  check_trajectory(scheduler, setup.opt, one_cycle_sgd_lr, one_cycle_sgd_momentum);
}

BOOST_AUTO_TEST_CASE(adam_three_phase_linear_with_per_group_momenta_matches_pytorch) {
  optim::Adam opt({param()}, {.lr = 1e-3});
  opt.add_param_group({param()}, {.lr = 1e-3, .betas = {0.8, 0.99}});
  optim::OneCycleLR scheduler(opt, 0.01,
                              {.epochs = 3, .steps_per_epoch = 4, .pct_start = 0.25, .anneal_strategy = "linear",
                               .base_momentum = {0.8, 0.7}, .max_momentum = {0.9, 0.95}, .div_factor = 10,
                               .final_div_factor = 100, .three_phase = true});
  BOOST_TEST(scheduler.total_steps() == 12);
  // the 12th step extrapolates the linear ramp below 0, where PyTorch sets a negative lr
  BOOST_TEST(one_cycle_adam_three_phase_lr.back() < 0);
  check_trajectory(scheduler, opt, one_cycle_adam_three_phase_lr, one_cycle_adam_three_phase_momentum, true);
  BOOST_TEST(opt.options(1).betas.second == 0.99);  // beta2 untouched
}

BOOST_AUTO_TEST_CASE(adamw_rmsprop_and_adagrad_match_pytorch) {
  optim::AdamW adamw({param()});
  adamw.add_param_group({param()});
  adamw.add_param_group({param()});
  optim::OneCycleLR adamw_schedule(adamw, {0.05, 0.5, 0.2}, {.total_steps = 7, .pct_start = 0.4});
  check_trajectory(adamw_schedule, adamw, one_cycle_adamw_lr, one_cycle_adamw_momentum);

  optim::RMSprop rmsprop({param()}, {.lr = 0.01});  // momentum 0: cycled all the same, as PyTorch
  optim::OneCycleLR rmsprop_schedule(rmsprop, 0.1, {.total_steps = 6, .three_phase = true});
  check_trajectory(rmsprop_schedule, rmsprop, one_cycle_rmsprop_lr, one_cycle_rmsprop_momentum);

  optim::Adagrad adagrad({param()}, {.lr = 0.01});
  adagrad.add_param_group({param()}, {.lr = 0.01});
  optim::OneCycleLR adagrad_schedule(
      adagrad, 0.3, {.total_steps = 5, .pct_start = 0.5, .anneal_strategy = "linear", .cycle_momentum = false});
  check_trajectory(adagrad_schedule, adagrad, one_cycle_adagrad_lr, {}, true);
}

BOOST_AUTO_TEST_CASE(stepping_past_total_steps_is_an_error_that_changes_nothing) {
  TwoGroups setup;
  optim::OneCycleLR scheduler(setup.opt, 0.1, {.total_steps = 4});
  for (int k = 0; k < 4; ++k) scheduler.step();  // total_steps calls are allowed, as in PyTorch
  const double lr = setup.opt.lr(0), momentum = setup.opt.momentum(0);
  check_error([&] { scheduler.step(); },
              "OneCycleLR: tried to step 6 times (the construction counts as the first, as in PyTorch) but "
              "total_steps is 4");
  BOOST_TEST(scheduler.last_epoch() == 4);
  BOOST_TEST(setup.opt.lr(0) == lr);
  BOOST_TEST(setup.opt.momentum(0) == momentum);
}

BOOST_AUTO_TEST_CASE(bad_settings_are_errors_that_leave_the_optimizer_alone) {
  TwoGroups setup;
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {}); },
              "OneCycleLR: give either total_steps or (epochs and steps_per_epoch)");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = -3}); },
              "OneCycleLR: total_steps must be positive, got -3");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.epochs = 3}); },
              "OneCycleLR: steps_per_epoch must be positive, got 0");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.epochs = -1, .steps_per_epoch = 5}); },
              "OneCycleLR: epochs must be positive, got -1");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = 10, .pct_start = 1.5}); },
              "OneCycleLR: invalid pct_start 1.5 (must be in [0, 1])");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = 10, .anneal_strategy = "cosine"}); },
              "OneCycleLR: anneal_strategy must be \"cos\" or \"linear\", got \"cosine\"");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = 10, .div_factor = 0}); },
              "OneCycleLR: invalid div_factor 0 (must be a finite number > 0)");
  check_error([&] { optim::OneCycleLR s(setup.opt, -0.1, {.total_steps = 10}); },
              "OneCycleLR: invalid max_lr -0.1 (must be a finite number >= 0)");
  check_error([&] { optim::OneCycleLR s(setup.opt, {0.1, 0.2, 0.3}, {.total_steps = 10}); },
              "OneCycleLR: expected 2 values for max_lr (one per parameter group), got 3");
  check_error([&] { optim::OneCycleLR s(setup.opt, {0.1}, {.total_steps = 10}); },
              "OneCycleLR: expected 2 values for max_lr (one per parameter group), got 1");
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = 10, .base_momentum = {0.8}}); },
              "OneCycleLR: expected 2 values for base_momentum (one per parameter group), got 1");
  // pct_start * total_steps = 1: PyTorch's first phase has no length (ZeroDivisionError)
  check_error([&] { optim::OneCycleLR s(setup.opt, 0.1, {.total_steps = 10, .pct_start = 0.1}); },
              "OneCycleLR: step 0 falls in phase 1 of the cycle, which has no length with pct_start = 0.1 and "
              "total_steps = 10");
  BOOST_TEST(setup.opt.lr(0) == 0.1);
  BOOST_TEST(setup.opt.momentum(0) == 0.9);
  BOOST_TEST(setup.opt.momentum(1) == 0.5);

  optim::Adagrad adagrad({param()});
  check_error([&] { optim::OneCycleLR s(adagrad, 0.1, {.total_steps = 10}); },
              "OneCycleLR: Adagrad has no momentum to cycle (no momentum or betas option): use cycle_momentum = false");
  optim::Adam adam({param()});
  adam.add_param_group({param()});
  check_error([&] { optim::OneCycleLR s(adam, 0.1, {.total_steps = 10, .max_momentum = {0.95, 1.0}}); },
              "Adam: invalid beta1 1 (must be in [0, 1))");
  BOOST_TEST(adam.lr(0) == 1e-3);
  BOOST_TEST(adam.momentum(0) == 0.9);
  BOOST_TEST(adam.momentum(1) == 0.9);
  // pct_start = 1: the second phase has no length, reached by the last (extrapolated) step only
  optim::OneCycleLR all_up(setup.opt, 0.1, {.total_steps = 3, .pct_start = 1.0});
  all_up.step();
  all_up.step();
  check_error([&] { all_up.step(); }, "OneCycleLR: step 3 falls in phase 2 of the cycle, which has no length");
}

BOOST_AUTO_TEST_CASE(momentum_accessors) {
  TwoGroups setup;
  BOOST_TEST(setup.opt.has_momentum());
  setup.opt.set_momentum(1, 0.7);
  BOOST_TEST(setup.opt.options(1).momentum == 0.7);
  check_error([&] { setup.opt.set_momentum(0, -1); }, "SGD: invalid momentum -1 (must be a finite number >= 0)");
  BOOST_TEST(setup.opt.momentum(0) == 0.9);
  optim::SGD nesterov({param()}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  check_error([&] { nesterov.set_momentum(0, 0); }, "SGD: Nesterov momentum requires a momentum > 0");
  check_error([&] { setup.opt.momentum(2); }, "SGD: parameter group 2 does not exist");
  optim::AdamW adamw({param()});
  adamw.set_momentum(0, 0.5);
  BOOST_TEST((adamw.options(0).betas == std::pair<double, double>{0.5, 0.999}));
  optim::Adagrad adagrad({param()});
  BOOST_TEST(!adagrad.has_momentum());
  check_error([&] { adagrad.momentum(0); }, "Adagrad: has no momentum (no momentum or betas option)");
  check_error([&] { adagrad.set_momentum(0, 0.9); }, "Adagrad: has no momentum");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sequential_lr)

BOOST_AUTO_TEST_CASE(warm_up_then_cosine_matches_pytorch) {
  TwoGroups setup;
  optim::LinearLR warmup(setup.opt, {.start_factor = 0.1, .total_iters = 3});
  optim::CosineAnnealingLR decay(setup.opt, 6, 0.001);
  optim::SequentialLR scheduler(setup.opt, {&warmup, &decay}, {3});
  BOOST_TEST(warmup.last_epoch() == 0);  // as PyTorch: the first at its epoch 0, the others at -1
  BOOST_TEST(decay.last_epoch() == -1);
  BOOST_TEST(decay.base_lrs() == (std::vector<double>{0.1, 0.02}));  // not warmup's first lrs
  check_trajectory(scheduler, setup.opt, sequential_linear_cosine_lr);
  BOOST_TEST(decay.last_epoch() == 16 - 3);
}

BOOST_AUTO_TEST_CASE(three_schedulers_restart_at_their_milestones_as_in_pytorch) {
  TwoGroups setup;
  optim::LinearLR a(setup.opt, {.start_factor = 0.5, .total_iters = 4});  // cut short at 2
  optim::ExponentialLR b(setup.opt, 0.9);
  optim::StepLR c(setup.opt, 2, 0.5);
  optim::SequentialLR scheduler(setup.opt, {&a, &b, &c}, {2, 5});
  check_trajectory(scheduler, setup.opt, sequential_three_lr);
}

BOOST_AUTO_TEST_CASE(schedulers_built_in_another_order_match_pytorch) {
  TwoGroups setup;
  optim::LinearLR warmup(setup.opt, {.start_factor = 0.2, .total_iters = 4});  // built first: lr 0.02, 0.004
  optim::ExponentialLR decay(setup.opt, 0.8);
  optim::SequentialLR scheduler(setup.opt, {&decay, &warmup}, {3});
  check_trajectory(scheduler, setup.opt, sequential_built_in_other_order_lr);

  TwoGroups again;
  optim::LinearLR up(again.opt, {.start_factor = 0.2, .total_iters = 2});
  optim::LinearLR down(again.opt, {.start_factor = 1.0, .end_factor = 0.1, .total_iters = 4});
  optim::SequentialLR up_down(again.opt, {&up, &down}, {2});
  check_trajectory(up_down, again.opt, sequential_linear_linear_lr);
}

BOOST_AUTO_TEST_CASE(bad_schedulers_and_milestones_are_errors) {
  TwoGroups setup, other;
  optim::LinearLR a(setup.opt);
  optim::ExponentialLR b(setup.opt, 0.9);
  optim::StepLR elsewhere(other.opt, 2);
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, &b}, {2, 4}); },
              "SequentialLR: expects one milestone fewer than schedulers, got 2 schedulers and 2 milestones");
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, &b}, {}); },
              "SequentialLR: expects one milestone fewer than schedulers, got 2 schedulers and 0 milestones");
  check_error([&] { optim::SequentialLR s(setup.opt, {}, {}); }, "SequentialLR: no schedulers given");
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, &b, &a}, {3, 3}); },
              "SequentialLR: milestones must be increasing and > 0, got milestone 1 = 3 after 3");
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, &b}, {0}); },
              "SequentialLR: milestones must be increasing and > 0, got milestone 0 = 0");
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, &elsewhere}, {2}); },
              "SequentialLR: scheduler 1 (StepLR) belongs to another optimizer");
  check_error([&] { optim::SequentialLR s(setup.opt, {&a, nullptr}, {2}); }, "SequentialLR: scheduler 1 is null");
  BOOST_TEST(setup.opt.lr(0) == 0.1 / 3);  // untouched: still a's first lr
  TwoGroups cycling;
  optim::OneCycleLR one_cycle(cycling.opt, 0.1, {.total_steps = 10});
  optim::ExponentialLR after(cycling.opt, 0.9);
  check_error([&] { optim::SequentialLR s(cycling.opt, {&after, &one_cycle}, {2}); },
              "SequentialLR: scheduler 1 is a OneCycleLR, which sets its own initial lr: use it alone");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scheduler_callback)

BOOST_AUTO_TEST_CASE(fit_steps_one_cycle_after_every_batch) {
  // 8 examples in batches of 2: 4 steps per epoch, 3 epochs = 12 steps = total_steps
  const Tensor x = reshape(arange(0, 8, 1, float64), {8, 1});
  const Tensor y = x * 2.0;
  data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 2});
  nn::Linear net(1, 1, {.dtype = float64});
  optim::SGD opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
  optim::OneCycleLR one_cycle(opt, 0.05, {.epochs = 3, .steps_per_epoch = 4});
  train::LRSchedulerCallback schedule(one_cycle, train::StepEvery::batch);
  const train::History history =
      train::fit(net, opt, nn::MSELoss{}, loader, {.epochs = 3, .verbose = false, .callbacks = {&schedule}});
  BOOST_TEST(one_cycle.last_epoch() == 12);
  const std::vector<double> lrs = history.values("lr");  // the lr of each epoch's first batch
  BOOST_TEST_REQUIRE(lrs.size() == 3u);
  BOOST_TEST(close(lrs[0], 0.05 / 25));

  // the same cycle stepped by hand gives the lr each epoch started with
  optim::SGD by_hand(std::vector<Tensor>{param()}, {.lr = 0.01, .momentum = 0.9});
  optim::OneCycleLR reference(by_hand, 0.05, {.total_steps = 12});
  for (int k = 0; k < 4; ++k) reference.step();
  BOOST_TEST(lrs[1] == reference.get_last_lr()[0]);
  for (int k = 0; k < 4; ++k) reference.step();
  BOOST_TEST(lrs[2] == reference.get_last_lr()[0]);
  for (int k = 0; k < 4; ++k) reference.step();
  BOOST_TEST(opt.lr(0) == by_hand.lr(0));
  BOOST_TEST(opt.momentum(0) == by_hand.momentum(0));

  // a cycle shorter than the training is refused before the first batch
  optim::OneCycleLR short_cycle(opt, 0.05, {.total_steps = 10});
  train::LRSchedulerCallback too_short(short_cycle, train::StepEvery::batch);
  check_error([&] { train::fit(net, opt, nn::MSELoss{}, loader, {.epochs = 3, .verbose = false, .callbacks = {&too_short}}); },
              "LRSchedulerCallback: fit will step the OneCycleLR 12 times (3 epochs of 4 batches) but it has 10 "
              "steps left of its total_steps = 10");
  // stepped per epoch, a cycle of 3 epochs fits
  optim::OneCycleLR per_epoch(opt, 0.05, {.total_steps = 3});
  train::LRSchedulerCallback every_epoch(per_epoch);
  train::fit(net, opt, nn::MSELoss{}, loader, {.epochs = 3, .verbose = false, .callbacks = {&every_epoch}});
  BOOST_TEST(per_epoch.last_epoch() == 3);
}

BOOST_AUTO_TEST_SUITE_END()
