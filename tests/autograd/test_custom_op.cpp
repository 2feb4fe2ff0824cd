// The public way to define an operation with its own forward and backward, and gradcheck itself.
#include "support/check.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_gradient;
using descent::testing::check_values;
using descent::testing::random_input;

namespace {

// A user's fused op: y = a*x^2 + b, with a hand-written backward.
//   dy/dx = 2ax,  dy/da = x^2,  dy/db = 1
Tensor scaled_square_plus(const Tensor& x, const Tensor& a, const Tensor& b) {
  Tensor y;
  {
    NoGradGuard forward_only;
    y = a * x * x + b;
  }
  return autograd::record("scaled_square_plus", y, {x, a, b}, [sx = SavedTensor(x), sa = SavedTensor(a)](
                                                                    const Tensor& g) {
    const Tensor x = sx.unpack(), a = sa.unpack();
    return std::vector<Tensor>{g * 2.0 * a * x, g * x * x, g};
  });
}

// The same op with a deliberately wrong backward: gradcheck must catch it.
Tensor wrong_square(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard forward_only;
    y = x * x;
  }
  return autograd::record("wrong_square", y, {x}, [x](const Tensor& g) { return std::vector<Tensor>{g * x}; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(custom_op)

BOOST_AUTO_TEST_CASE(recorded_like_a_builtin_op) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor y = scaled_square_plus(x, tensor(3.0, float64), tensor(1.0, float64));
  check_values(y, {4, 13});
  BOOST_TEST(std::string(y.grad_fn()->name()) == "scaled_square_plus");
  sum(y).backward();
  check_values(x.grad(), {6, 12});
}

BOOST_AUTO_TEST_CASE(gradchecks_including_broadcast_parameters) {
  check_gradient([](const std::vector<Tensor>& in) { return scaled_square_plus(in[0], in[1], in[2]); },
                 {random_input({3, 4}, 1), random_input({4}, 2), random_input({3, 1}, 3)});
}

BOOST_AUTO_TEST_CASE(not_recorded_when_nothing_requires_grad) {
  Tensor y = scaled_square_plus(tensor({1.0}), tensor(1.0), tensor(0.0));
  BOOST_TEST(y.is_leaf());
}

BOOST_AUTO_TEST_CASE(gradcheck_catches_a_wrong_backward_and_says_where) {
  const auto result = autograd::gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); },
                                          {random_input({2, 2}, 4)});
  BOOST_TEST(!result.passed);
  BOOST_TEST(result.message.find("FAILED: worst at input 0 element") != std::string::npos, result.message);
  BOOST_TEST(std::abs(result.analytic * 2 - result.numeric) < 1e-6);
}

BOOST_AUTO_TEST_CASE(a_backward_that_returns_the_wrong_count_is_reported) {
  Tensor x = tensor({1.0}, float64).requires_grad_();
  Tensor y = autograd::record("broken", x.detach() * 2.0, {x}, [](const Tensor&) { return std::vector<Tensor>{}; });
  check_error([&] { sum(y).backward(); }, "backward: the backward of broken returned 0 gradients for 1 inputs");
}

BOOST_AUTO_TEST_CASE(gradcheck_needs_float64) {
  check_error([] { autograd::gradcheck([](const std::vector<Tensor>& in) { return in[0]; },
                                       {ones({2}).requires_grad_()}); },
              "gradcheck: input 0 is float32");
}

// The README's example: a rule written with differentiable ops supports double backward.
BOOST_AUTO_TEST_CASE(a_rule_of_differentiable_ops_differentiates_again) {
  Tensor x = tensor({1.0, -2.0}, float64).requires_grad_();
  Tensor a = tensor({3.0, 0.5}, float64).requires_grad_();
  Tensor b = tensor({0.0, 0.0}, float64);
  Tensor dx = autograd::grad({sum(scaled_square_plus(x, a, b))}, {x}, {}, {.create_graph = true})[0];
  check_values(dx, {6, -2});                                   // 2ax
  const std::vector<Tensor> second = autograd::grad({sum(dx)}, {x, a});
  check_values(second[0], {6, 1});                             // d(2ax)/dx = 2a
  check_values(second[1], {2, -4});                            // d(2ax)/da = 2x
  BOOST_TEST(autograd::gradgradcheck([&](const std::vector<Tensor>& in) { return scaled_square_plus(in[0], in[1], zeros({3}, float64)); },
                                     {random_input({3}, 1), random_input({3}, 2)}).passed);
}

// ... and a saved input changed in place is caught in a custom op too.
BOOST_AUTO_TEST_CASE(a_custom_op_refuses_a_stale_saved_input) {
  Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
  Tensor a = tensor({3.0, 4.0}, float64);
  Tensor y = sum(scaled_square_plus(x, a, zeros({2}, float64)));
  a.mul_(2);
  check_error([&] { y.backward(); }, "the backward of scaled_square_plus needs the float64 tensor of shape (2,)");
}

BOOST_AUTO_TEST_SUITE_END()
