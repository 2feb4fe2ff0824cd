// Anomaly detection: the first op whose forward value or backward gradient holds NaN/Inf is named,
// with where it was recorded; off by default, per thread, restored by the guard.
#include "support/check.hpp"

#include <cmath>
#include <thread>

using namespace descent;
using namespace descent::testing;

namespace {
Tensor leaf(const xt::xarray<double>& values) { return tensor(values, float64).requires_grad_(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(anomaly)

BOOST_AUTO_TEST_CASE(off_by_default_nan_passes_silently) {
  BOOST_TEST(!autograd::is_anomaly_enabled());
  Tensor y = log(leaf({1.0, -1.0}));
  BOOST_TEST(std::isnan(y.to_xarray<double>()(1)));
}

BOOST_AUTO_TEST_CASE(log_of_negative_names_the_op_and_the_call_site) {
  DetectAnomaly detect;
  Tensor x = leaf({1.0, -1.0, 2.0});
  const std::string message = error_of([&] { log(x); });
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.find("the forward of 'log' produced NaN (first at index (1,) of a float64 (3,) tensor) from "
                          "finite inputs") != std::string::npos);
  // The call stack names the function that called log: this test case.
  BOOST_TEST(message.find("log_of_negative_names_the_op_and_the_call_site") != std::string::npos);
  BOOST_CHECK_THROW(log(x), autograd::AnomalyError);
}

BOOST_AUTO_TEST_CASE(checks_ops_that_are_not_recorded) {
  DetectAnomaly detect;
  NoGradGuard no_grad;
  check_error([] { sqrt(tensor({4.0, -4.0}, float64)); }, "the forward of 'sqrt' produced NaN");
}

BOOST_AUTO_TEST_CASE(nan_coming_from_data_is_told_apart) {
  DetectAnomaly detect;
  Tensor w = leaf({1.0, NAN});  // e.g. a weight an optimizer step made NaN
  check_error([&] { w * 2.0; }, "from inputs that already held it: input 0 holds NaN (first at index (1,) of a "
                                "float64 (2,) tensor) and was not produced by a recorded op");
}

BOOST_AUTO_TEST_CASE(backward_names_the_op_and_where_it_was_recorded) {
  Tensor x = leaf({0.0, 1.0});
  Tensor y;
  {
    DetectAnomaly detect;
    y = sum(sqrt(x));  // finite forward; d sqrt(x)/dx = 1/(2 sqrt(x)) is Inf at 0
  }
  BOOST_CHECK_NO_THROW(y.backward(Tensor(), true));  // detection is off again outside the guard
  DetectAnomaly detect;
  const std::string message = error_of([&] { y.backward(); });
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.find("the backward of 'sqrt' returned Inf (first at index (0,) of a float64 (2,) tensor) in "
                          "the gradient for its input 0 from a finite incoming gradient") != std::string::npos);
  BOOST_TEST(message.find("recorded here") != std::string::npos);
  BOOST_TEST(message.find("backward_names_the_op_and_where_it_was_recorded") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(graph_recorded_before_turning_it_on) {
  Tensor x = leaf({0.0});
  Tensor y = sum(sqrt(x));
  DetectAnomaly detect;
  check_error([&] { y.backward(); }, "recorded before anomaly detection was turned on");
}

BOOST_AUTO_TEST_CASE(nan_gradient_given_to_backward) {
  DetectAnomaly detect;
  Tensor y = leaf({1.0, 2.0}) * 3.0;
  check_error([&] { y.backward(tensor({1.0, NAN}, float64)); },
              "the gradient given to backward() holds NaN (first at index (1,)");
}

// SGD with a learning rate far too large for the data's scale: the weights grow by orders of
// magnitude every step until float32 overflows. Without detection the loss just becomes NaN/Inf;
// with it, training stops at the first op that produced a non-finite value.
BOOST_AUTO_TEST_CASE(diverging_learning_rate) {
  auto train = [](bool detect_anomaly) {
    Generator gen(3);
    Tensor x = uniform({32, 4}, -100, 100, gen);
    Tensor y = matmul(x, reshape(tensor({1.0, -2.0, 3.0, 0.5}), {4, 1}));
    nn::Linear model(4, 1, {}, gen);
    optim::SGD opt(model.parameters(), {.lr = 1.0});
    autograd::set_detect_anomaly(detect_anomaly);
    for (int step = 0; step < 100; ++step) {
      Tensor loss = nn::mse_loss(model(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      if (!std::isfinite(loss.item<float>())) break;
    }
    autograd::set_detect_anomaly(false);
  };
  BOOST_CHECK_NO_THROW(train(false));
  const std::string message = error_of([&] { train(true); });
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.find("detect_anomaly: the ") == 0);
  BOOST_TEST(message.find("Inf") != std::string::npos);
  autograd::set_detect_anomaly(false);
}

BOOST_AUTO_TEST_CASE(per_thread) {
  DetectAnomaly detect;
  bool other_thread_enabled = true;
  std::thread([&] { other_thread_enabled = autograd::is_anomaly_enabled(); }).join();
  BOOST_TEST(!other_thread_enabled);
  BOOST_TEST(autograd::is_anomaly_enabled());
}

BOOST_AUTO_TEST_SUITE_END()
