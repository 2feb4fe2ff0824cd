// The tape: recording, backward, accumulation, retain_graph, grad mode, release of the graph.
#include "support/check.hpp"

#include <thread>

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

BOOST_AUTO_TEST_SUITE(engine)

BOOST_AUTO_TEST_CASE(gradient_of_a_simple_expression) {
  Tensor x = tensor({1, 2, 3}, float64).requires_grad_();
  Tensor y = sum(x * x + 3.0 * x);  // dy/dx = 2x + 3
  BOOST_TEST(y.item() == 1 + 4 + 9 + 3 * 6);
  y.backward();
  check_values(x.grad(), {5, 7, 9});
}

BOOST_AUTO_TEST_CASE(leaves_and_recorded_results) {
  Tensor x = ones({2}).requires_grad_();
  Tensor c = ones({2});
  Tensor y = x * c;
  BOOST_TEST(x.is_leaf());
  BOOST_TEST(!y.is_leaf());
  BOOST_TEST(y.requires_grad());
  BOOST_TEST(std::string(y.grad_fn()->name()) == "mul");
  Tensor z = c * c;  // nothing requires grad: nothing recorded
  BOOST_TEST(z.is_leaf());
  BOOST_TEST(!z.requires_grad());
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(gradients_accumulate_until_zero_grad) {
  Tensor x = tensor({2}, float64).requires_grad_();
  sum(x * x).backward();
  sum(x * x).backward();
  check_values(x.grad(), {8});  // 2 * (2x)
  x.zero_grad();
  BOOST_TEST(!x.grad().defined());
  sum(x * 5.0).backward();
  check_values(x.grad(), {5});
}

BOOST_AUTO_TEST_CASE(a_tensor_used_several_times_gets_the_sum_of_its_gradients) {
  Tensor x = tensor({3}, float64).requires_grad_();
  Tensor a = x * 2.0;
  Tensor y = sum(a * a + a + x);  // y = 4x^2 + 2x + x, dy/dx = 8x + 3
  y.backward();
  check_values(x.grad(), {27});
}

BOOST_AUTO_TEST_CASE(sums_of_gradients_in_place_leave_what_others_hold_alone) {
  // Without create_graph the engine sums a node's gradients in place where nothing else refers to
  // them, and the pieces of a split add into one buffer: check the values, and that a gradient the
  // caller passed or a hook kept is not written into.
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, float64).requires_grad_();
  Tensor h = x * 1.0;  // not a leaf: its pieces' gradients meet in the mul node's sum
  const auto pieces = split(h, 2);
  Tensor seen;
  h.register_hook([&](const Tensor& g) {
    seen = g;
    return Tensor();
  });
  const Tensor upstream = tensor({1, 1}, float64);
  const Tensor y = sum(pieces[0] * 1.0) + sum(pieces[1] * 2.0) + sum(pieces[2] * pieces[2]) + sum(h * 10.0);
  const auto grads = autograd::grad({y, pieces[0]}, {x}, {Tensor(), upstream});
  check_values(grads[0], {12, 12, 12, 12, 20, 22});
  check_values(seen, {12, 12, 12, 12, 20, 22});
  check_values(upstream, {1, 1});
}

BOOST_AUTO_TEST_CASE(broadcast_gradients_are_summed_to_the_input_shape) {
  Tensor m = ones({2, 3}, float64).requires_grad_();
  Tensor row = tensor({1, 2, 3}, float64).requires_grad_();
  // ({{10}, {20}} is ambiguous for C++ initializer lists: build columns by reshaping)
  Tensor col = reshape(tensor({10, 20}, float64), {2, 1}).detach().requires_grad_();
  sum((m + row) * col).backward();
  check_values(m.grad(), {{10, 10, 10}, {20, 20, 20}});
  check_values(row.grad(), {30, 30, 30});
  check_values(reshape(col.grad(), {2}), {9, 9});  // sum over the row of (1 + row)
}

BOOST_AUTO_TEST_CASE(non_scalar_backward_needs_a_gradient) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor y = x * 3.0;
  check_error([&] { y.backward(); }, "backward: a gradient can be implied only for a scalar, got shape (2,)");
  check_error([&] { y.backward(ones({3}, float64)); }, "does not match the tensor float64 (2,)");
  y.backward(tensor({1, 10}, float64));
  check_values(x.grad(), {3, 30});
  check_error([] { tensor({1.0}).backward(); }, "backward: the tensor does not require grad");
}

BOOST_AUTO_TEST_CASE(a_released_graph_cannot_be_replayed) {
  Tensor x = tensor({2}, float64).requires_grad_();
  Tensor y = sum(x * x);
  y.backward();
  check_error([&] { y.backward(); }, "backward: trying to backward through the graph a second time");
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_a_second_backward) {
  Tensor x = tensor({2}, float64).requires_grad_();
  Tensor y = sum(x * x);
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  check_values(x.grad(), {8});
}

BOOST_AUTO_TEST_CASE(no_grad_guard_stops_recording_on_its_thread_only) {
  Tensor x = ones({2}).requires_grad_();
  bool other_thread_records = false;
  {
    NoGradGuard no_grad;
    BOOST_TEST(!autograd::is_grad_enabled());
    Tensor y = x * 2.0;
    BOOST_TEST(!y.requires_grad());
    BOOST_TEST(y.is_leaf());
    std::thread([&] { other_thread_records = (x * 2.0).requires_grad(); }).join();
    {
      NoGradGuard nested;
    }
    BOOST_TEST(!autograd::is_grad_enabled());  // restored to the outer guard's state
  }
  BOOST_TEST(autograd::is_grad_enabled());
  BOOST_TEST(other_thread_records);
}

BOOST_AUTO_TEST_CASE(detach_shares_values_but_stops_gradients) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor d = x.detach();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.data<double>() == x.data<double>());
  Tensor y = sum(x * d);  // only the first factor carries a gradient
  y.backward();
  check_values(x.grad(), {1, 2});
}

BOOST_AUTO_TEST_CASE(backward_frees_the_graph) {
  Tensor x = ones({3}).requires_grad_();
  std::weak_ptr<autograd::Node> inner;
  Tensor loss;
  {
    Tensor h = x * 2.0;
    inner = h.grad_fn();
    loss = sum(h * h);
  }
  BOOST_TEST(!inner.expired());  // kept alive by loss
  loss.backward();
  BOOST_TEST(inner.expired());  // released once its gradient has flowed
}

BOOST_AUTO_TEST_CASE(a_long_chain_backpropagates_without_recursion) {
  Tensor x = tensor({1.0}, float64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0001;
  sum(y).backward();
  BOOST_TEST(std::abs(x.grad().item() - std::pow(1.0001, 20000)) < 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
