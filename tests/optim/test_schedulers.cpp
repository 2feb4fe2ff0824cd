// Learning-rate schedules against PyTorch 1.13's torch.optim.lr_scheduler: get_last_lr() after
// construction and after each step(), for an SGD with two groups (lr 0.1 and 0.02).
#include "support/check.hpp"

#include <cmath>
#include <limits>

#include "descent/optim.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

using LrTable = std::vector<std::vector<double>>;

struct TwoGroups {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  optim::SGD opt{{a}, {.lr = 0.1}};
  TwoGroups() { opt.add_param_group({b}, {.lr = 0.02}); }
};

void check_lrs(const std::vector<double>& actual, const std::vector<double>& expected, optim::Optimizer& opt) {
  BOOST_TEST_REQUIRE(actual.size() == expected.size());
  for (std::size_t g = 0; g < expected.size(); ++g) {
    BOOST_TEST(std::abs(actual[g] - expected[g]) <= 1e-12 * expected[g], "group " << g << ": got " << actual[g]
                                                                                  << ", expected " << expected[g]);
    BOOST_TEST(opt.lr(g) == actual[g]);  // what the scheduler reports is what the optimizer uses
  }
}

// Row 0 is the state after construction, row k after k calls to step().
template <class Scheduler> void check_schedule(Scheduler& scheduler, optim::Optimizer& opt, const LrTable& expected) {
  for (std::size_t epoch = 0; epoch < expected.size(); ++epoch) {
    BOOST_TEST_CONTEXT("epoch " << epoch) {
      if (epoch > 0) scheduler.step();
      BOOST_TEST(scheduler.last_epoch() == static_cast<std::int64_t>(epoch));
      check_lrs(scheduler.get_last_lr(), expected[epoch], opt);
    }
  }
}

// ReduceLROnPlateau: row k after step(metrics[k]).
void check_plateau(const optim::ReduceLROnPlateauOptions& options, const std::vector<double>& metrics,
                   const LrTable& expected) {
  TwoGroups setup;
  optim::ReduceLROnPlateau scheduler(setup.opt, options);
  check_lrs(scheduler.get_last_lr(), {0.1, 0.02}, setup.opt);
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    BOOST_TEST_CONTEXT("step " << k + 1 << " with metric " << metrics[k]) {
      scheduler.step(metrics[k]);
      check_lrs(scheduler.get_last_lr(), expected[k], setup.opt);
    }
  }
}

const std::vector<double> falling_then_rising = {1.0, 0.9, 0.95, 0.91, 0.9, 0.8999, 0.95,
                                                 0.97, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
const std::vector<double> rising = {0.1, 0.2, 0.2, 0.2001, 0.19, 0.3, 0.3, 0.3, 0.3, 0.3};

}  // namespace

BOOST_AUTO_TEST_SUITE(epoch_schedulers)

BOOST_AUTO_TEST_CASE(step_lr_matches_pytorch) {
  // StepLR(opt, step_size=3, gamma=0.5)
  TwoGroups setup;
  optim::StepLR scheduler(setup.opt, 3, 0.5);
  BOOST_TEST(scheduler.base_lrs() == (std::vector<double>{0.1, 0.02}));
  check_schedule(scheduler, setup.opt,
                 {{0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.05, 0.01}, {0.05, 0.01}, {0.05, 0.01},
                  {0.025, 0.005}, {0.025, 0.005}, {0.025, 0.005}, {0.0125, 0.0025}, {0.0125, 0.0025},
                  {0.0125, 0.0025}, {0.00625, 0.00125}});
}

BOOST_AUTO_TEST_CASE(step_lr_default_gamma_is_0_1) {
  TwoGroups setup;
  optim::StepLR scheduler(setup.opt, 1);
  scheduler.step();
  check_lrs(scheduler.get_last_lr(), {0.01, 0.002}, setup.opt);
}

BOOST_AUTO_TEST_CASE(exponential_lr_matches_pytorch) {
  // ExponentialLR(opt, gamma=0.9)
  TwoGroups setup;
  optim::ExponentialLR scheduler(setup.opt, 0.9);
  check_schedule(scheduler, setup.opt,
                 {{0.1, 0.02},
                  {0.09000000000000001, 0.018000000000000002},
                  {0.08100000000000002, 0.016200000000000003},
                  {0.07290000000000002, 0.014580000000000003},
                  {0.06561000000000002, 0.013122000000000003},
                  {0.05904900000000002, 0.011809800000000004},
                  {0.05314410000000002, 0.010628820000000004},
                  {0.04782969000000002, 0.009565938000000005},
                  {0.043046721000000024, 0.008609344200000004},
                  {0.03874204890000002, 0.007748409780000004},
                  {0.03486784401000002, 0.006973568802000004},
                  {0.03138105960900001, 0.006276211921800004},
                  {0.028242953648100012, 0.0056485907296200035}});
}

BOOST_AUTO_TEST_CASE(cosine_annealing_lr_matches_pytorch_past_t_max) {
  // CosineAnnealingLR(opt, T_max=5, eta_min=0.01): down to eta_min at epoch 5, back up to the base at 10
  TwoGroups setup;
  optim::CosineAnnealingLR scheduler(setup.opt, 5, 0.01);
  check_schedule(scheduler, setup.opt,
                 {{0.1, 0.02},
                  {0.09140576474687263, 0.019045084971874737},
                  {0.06890576474687263, 0.016545084971874735},
                  {0.04109423525312736, 0.013454915028125262},
                  {0.018594235253127367, 0.010954915028125263},
                  {0.01, 0.01},
                  {0.018594235253127367, 0.010954915028125263},
                  {0.04109423525312739, 0.013454915028125266},
                  {0.06890576474687267, 0.016545084971874742},
                  {0.09140576474687269, 0.019045084971874744},
                  {0.10000000000000006, 0.020000000000000007},
                  {0.09140576474687272, 0.019045084971874748},
                  {0.06890576474687268, 0.016545084971874742}});
}

BOOST_AUTO_TEST_CASE(invalid_settings) {
  TwoGroups setup;
  check_error([&] { optim::StepLR s(setup.opt, 0); }, "StepLR: step_size must be positive, got 0");
  check_error([&] { optim::StepLR s(setup.opt, -2); }, "StepLR: step_size must be positive, got -2");
  check_error([&] { optim::StepLR s(setup.opt, 2, 0.0); }, "StepLR: invalid gamma 0 (must be a finite number > 0)");
  check_error([&] { optim::StepLR s(setup.opt, 2, -0.5); }, "StepLR: invalid gamma -0.5");
  check_error([&] { optim::ExponentialLR s(setup.opt, 0.0); },
              "ExponentialLR: invalid gamma 0 (must be a finite number > 0)");
  check_error([&] { optim::ExponentialLR s(setup.opt, std::numeric_limits<double>::infinity()); },
              "ExponentialLR: invalid gamma inf");
  check_error([&] { optim::CosineAnnealingLR s(setup.opt, 0); }, "CosineAnnealingLR: T_max must be positive, got 0");
  check_error([&] { optim::CosineAnnealingLR s(setup.opt, -3); }, "CosineAnnealingLR: T_max must be positive, got -3");
  check_error([&] { optim::CosineAnnealingLR s(setup.opt, 10, -1e-3); },
              "CosineAnnealingLR: invalid eta_min -0.001 (must be a finite number >= 0)");
  check_error([&] { optim::CosineAnnealingLR s(setup.opt, 10, std::numeric_limits<double>::quiet_NaN()); },
              "CosineAnnealingLR: invalid eta_min nan");
  BOOST_TEST(setup.opt.lr(0) == 0.1);  // a rejected scheduler leaves the learning rates alone
  optim::ExponentialLR scheduler(setup.opt, 0.5);
  setup.opt.add_param_group({zeros({1}).requires_grad_()}, {.lr = 1});
  check_error([&] { scheduler.step(); },
              "ExponentialLR: the optimizer has 3 parameter groups but had 2 when the scheduler was created");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reduce_lr_on_plateau)

BOOST_AUTO_TEST_CASE(min_mode_relative_threshold_with_cooldown) {
  // ReduceLROnPlateau(opt, patience=2, cooldown=1)
  check_plateau({.patience = 2, .cooldown = 1}, falling_then_rising,
                {{0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.010000000000000002, 0.002},
                 {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002},
                 {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002},
                 {0.0010000000000000002, 0.0002}, {0.0010000000000000002, 0.0002}, {0.0010000000000000002, 0.0002}});
}

BOOST_AUTO_TEST_CASE(min_mode_absolute_threshold_stops_at_min_lr) {
  // ReduceLROnPlateau(opt, patience=1, threshold=0.05, threshold_mode="abs", factor=0.5, min_lr=0.015)
  check_plateau({.factor = 0.5, .patience = 1, .threshold = 0.05, .threshold_mode = optim::ThresholdMode::abs,
                 .min_lr = 0.015},
                falling_then_rising,
                {{0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.05, 0.015}, {0.05, 0.015}, {0.025, 0.015},
                 {0.025, 0.015}, {0.015, 0.015}, {0.015, 0.015}, {0.015, 0.015}, {0.015, 0.015},
                 {0.015, 0.015}, {0.015, 0.015}, {0.015, 0.015}});
}

BOOST_AUTO_TEST_CASE(max_mode_relative_threshold) {
  // ReduceLROnPlateau(opt, mode="max", patience=1, factor=0.5)
  check_plateau({.mode = optim::PlateauMode::max, .factor = 0.5, .patience = 1}, rising,
                {{0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02}, {0.1, 0.02},
                 {0.05, 0.01}, {0.05, 0.01}, {0.025, 0.005}});
}

BOOST_AUTO_TEST_CASE(max_mode_absolute_threshold_with_cooldown) {
  // ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.05, threshold_mode="abs", cooldown=2)
  check_plateau({.mode = optim::PlateauMode::max, .patience = 0, .threshold = 0.05,
                 .threshold_mode = optim::ThresholdMode::abs, .cooldown = 2},
                rising,
                {{0.1, 0.02}, {0.1, 0.02}, {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002},
                 {0.010000000000000002, 0.002}, {0.010000000000000002, 0.002}, {0.0010000000000000002, 0.0002},
                 {0.0010000000000000002, 0.0002}, {0.0010000000000000002, 0.0002},
                 {0.00010000000000000003, 2e-05}});
}

BOOST_AUTO_TEST_CASE(defaults_wait_ten_bad_epochs) {
  // ReduceLROnPlateau(opt) with a constant metric: the 11th epoch without improvement reduces
  LrTable expected(14, {0.1, 0.02});
  for (std::size_t k = 11; k < 14; ++k) expected[k] = {0.010000000000000002, 0.002};
  check_plateau({}, std::vector<double>(14, 1.0), expected);
}

BOOST_AUTO_TEST_CASE(tracks_the_best_metric_and_bad_epochs) {
  TwoGroups setup;
  optim::ReduceLROnPlateau scheduler(setup.opt, {.patience = 5});
  scheduler.step(2.0);
  scheduler.step(1.0);
  scheduler.step(1.5);
  BOOST_TEST(scheduler.best() == 1.0);
  BOOST_TEST(scheduler.num_bad_epochs() == 1);
  BOOST_TEST(scheduler.last_epoch() == 3);
}

BOOST_AUTO_TEST_CASE(invalid_settings) {
  TwoGroups setup;
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.factor = 1.0}); },
              "ReduceLROnPlateau: factor should be < 1.0, got 1");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.factor = -0.5}); },
              "ReduceLROnPlateau: factor should be >= 0, got -0.5");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.patience = -1}); },
              "ReduceLROnPlateau: patience must be >= 0, got -1");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.cooldown = -2}); },
              "ReduceLROnPlateau: cooldown must be >= 0, got -2");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.factor = std::numeric_limits<double>::quiet_NaN()}); },
              "ReduceLROnPlateau: factor should be < 1.0, got nan");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.min_lr = -1e-3}); },
              "ReduceLROnPlateau: invalid min_lr -0.001 (must be a finite number >= 0)");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.min_lr = std::numeric_limits<double>::infinity()}); },
              "ReduceLROnPlateau: invalid min_lr inf");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.threshold = -0.1}); },
              "ReduceLROnPlateau: invalid threshold -0.1");
  check_error([&] { optim::ReduceLROnPlateau s(setup.opt, {.eps = -1}); }, "ReduceLROnPlateau: invalid eps -1");
}

BOOST_AUTO_TEST_SUITE_END()
