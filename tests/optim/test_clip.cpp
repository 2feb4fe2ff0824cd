// Gradient clipping against PyTorch 1.13's clip_grad_norm_ / clip_grad_value_, on gradients
// a.grad = [[0.3, -0.4], [1.2, 0.5]], b.grad = [-2.0, 0.1, 0.7], and c without a gradient.
#include "support/check.hpp"

#include <limits>

#include "descent/optim.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {

struct Params {
  Tensor a, b, c;
  explicit Params(Dtype dtype = float64) {
    a = zeros({2, 2}, dtype).requires_grad_();
    b = zeros({3}, dtype).requires_grad_();
    c = zeros({2}, dtype).requires_grad_();
    // backward of sum(p * g) gives p the gradient g
    sum(a * tensor({{0.3, -0.4}, {1.2, 0.5}}, dtype)).backward();
    sum(b * tensor({-2.0, 0.1, 0.7}, dtype)).backward();
  }
  std::vector<Tensor> all() const { return {a, b, c}; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(clip_grad_norm)

BOOST_AUTO_TEST_CASE(l2_norm_scales_all_gradients_together) {
  Params p;
  const double total = optim::clip_grad_norm(p.all(), 1.0);
  BOOST_TEST(std::abs(total - 2.537715508089904) < 1e-12);
  check_values(p.a.grad(), {{0.11821651435203252, -0.15762201913604337}, {0.4728660574081301, 0.1970275239200542}},
               1e-12, 1e-14);
  check_values(p.b.grad(), {-0.7881100956802168, 0.03940550478401084, 0.27583853348807585}, 1e-12, 1e-14);
  BOOST_TEST(!p.c.grad().defined());
}

BOOST_AUTO_TEST_CASE(below_max_norm_nothing_changes) {
  Params p;
  const double total = optim::clip_grad_norm(p.all(), 10.0);
  BOOST_TEST(std::abs(total - 2.537715508089904) < 1e-12);
  check_values(p.a.grad(), {{0.3, -0.4}, {1.2, 0.5}}, 0, 0);
  check_values(p.b.grad(), {-2.0, 0.1, 0.7}, 0, 0);
}

BOOST_AUTO_TEST_CASE(infinity_norm_is_the_largest_magnitude) {
  Params p;
  const double total = optim::clip_grad_norm(p.all(), 0.5, std::numeric_limits<double>::infinity());
  BOOST_TEST(total == 2.0);
  check_values(p.a.grad(), {{0.07499996250001874, -0.099999950000025}, {0.29999985000007495, 0.12499993750003124}},
               1e-12, 1e-14);
  check_values(p.b.grad(), {-0.499999750000125, 0.02499998750000625, 0.17499991250004374}, 1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(other_p_norms) {
  Params p1;
  BOOST_TEST(std::abs(optim::clip_grad_norm(p1.all(), 2.0, 1.0) - 5.199999999999999) < 1e-12);
  check_values(p1.b.grad(), {-0.7692306213018036, 0.03846153106509018, 0.26923071745563126}, 1e-12, 1e-14);
  Params p3;
  BOOST_TEST(std::abs(optim::clip_grad_norm(p3.all(), 1.0, 3.0) - 2.1749218274630064) < 1e-12);
  check_values(p3.a.grad(), {{0.1379359286738199, -0.18391457156509322}, {0.5517437146952796, 0.2298932144563665}},
               1e-12, 1e-14);
  check_values(p3.b.grad(), {-0.919572857825466, 0.045978642891273305, 0.3218505002389131}, 1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(float32_gradients) {
  Params p(float32);
  const double total = optim::clip_grad_norm(p.all(), 1.0);
  BOOST_TEST(std::abs(total - 2.537715435028076) < 1e-6);
  BOOST_TEST((p.a.grad().dtype() == float32));
  check_values(p.a.grad(), {{0.11821652203798294, -0.15762202441692352}, {0.47286608815193176, 0.1970275342464447}},
               1e-6, 1e-7);
  check_values(p.b.grad(), {-0.7881101369857788, 0.03940550610423088, 0.27583855390548706}, 1e-6, 1e-7);
}

BOOST_AUTO_TEST_CASE(no_gradients_give_a_zero_norm) {
  Tensor p = zeros({2}).requires_grad_();
  BOOST_TEST(optim::clip_grad_norm({p}, 1.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(invalid_arguments) {
  Params p;
  check_error([&] { optim::clip_grad_norm(p.all(), -1.0); },
              "clip_grad_norm: invalid max_norm -1 (must be a finite number > 0)");
  check_error([&] { optim::clip_grad_norm(p.all(), 0.0); }, "clip_grad_norm: invalid max_norm 0");
  check_error([&] { optim::clip_grad_norm(p.all(), std::numeric_limits<double>::quiet_NaN()); },
              "clip_grad_norm: invalid max_norm nan");
  check_error([&] { optim::clip_grad_norm(p.all(), std::numeric_limits<double>::infinity()); },
              "clip_grad_norm: invalid max_norm inf");
  check_error([&] { optim::clip_grad_norm(p.all(), 1.0, std::numeric_limits<double>::quiet_NaN()); },
              "clip_grad_norm: norm_type must be > 0 (or infinity), got nan");
  check_values(p.a.grad(), {{0.3, -0.4}, {1.2, 0.5}}, 0, 0);  // rejected calls leave the gradients alone
  check_error([&] { optim::clip_grad_norm(p.all(), 1.0, 0.0); },
              "clip_grad_norm: norm_type must be > 0 (or infinity), got 0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(clip_grad_value)

BOOST_AUTO_TEST_CASE(clamps_every_element) {
  Params p;
  optim::clip_grad_value(p.all(), 0.5);
  check_values(p.a.grad(), {{0.3, -0.4}, {0.5, 0.5}}, 0, 0);
  check_values(p.b.grad(), {-0.5, 0.1, 0.5}, 0, 0);
  BOOST_TEST(!p.c.grad().defined());
  check_error([&] { optim::clip_grad_value(p.all(), -0.1); },
              "clip_grad_value: invalid clip_value -0.1 (must be a finite number >= 0)");
  check_error([&] { optim::clip_grad_value(p.all(), std::numeric_limits<double>::quiet_NaN()); },
              "clip_grad_value: invalid clip_value nan");
}

BOOST_AUTO_TEST_SUITE_END()
