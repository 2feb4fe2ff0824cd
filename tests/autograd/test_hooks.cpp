// Hooks into the backward pass (autograd/hooks.hpp): gradient hooks on leaves and on results,
// post-accumulate hooks, queue_callback, removal, and their errors.
#include "support/check.hpp"

#include <string>
#include <vector>

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

BOOST_AUTO_TEST_SUITE(hooks)

BOOST_AUTO_TEST_CASE(a_leaf_hook_sees_the_sum_over_its_uses_once) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  std::vector<Tensor> seen;
  x.register_hook([&](const Tensor& g) {
    seen.push_back(g.clone());
    return Tensor();
  });
  Tensor a = x * 3.0;
  sum(a * x + exp(x) + x).backward();  // d/dx = 6x + e^x + 1, from three nodes
  BOOST_TEST_REQUIRE(seen.size() == 1u);
  check_values(seen[0], {6 + std::exp(1.0) + 1, 12 + std::exp(2.0) + 1}, 1e-12);
  check_values(x.grad(), {6 + std::exp(1.0) + 1, 12 + std::exp(2.0) + 1}, 1e-12);
}

BOOST_AUTO_TEST_CASE(a_hook_can_replace_the_gradient) {
  Tensor x = tensor({1, -2, 3}, float64).requires_grad_();
  x.register_hook([](const Tensor& g) { return g * 10.0; });
  x.register_hook([](const Tensor& g) { return g + 1.0; });  // sees the first one's result
  sum(x * x).backward();
  check_values(x.grad(), {21, -39, 61});
  // Also in grad(), which leaves .grad() alone.
  Tensor g = autograd::grad({sum(x * x)}, {x})[0];
  check_values(g, {21, -39, 61});
  check_values(x.grad(), {21, -39, 61});
}

BOOST_AUTO_TEST_CASE(a_hook_on_a_result_runs_before_its_node) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor y = x * x;
  Tensor seen;
  y.register_hook([&](const Tensor& g) {
    seen = g.clone();
    return g * 0.5;
  });
  sum(y * 4.0).backward();
  check_values(seen, {4, 4});
  check_values(x.grad(), {2 * 1 * 2, 2 * 2 * 2});  // 2x · (4 · 0.5)
}

BOOST_AUTO_TEST_CASE(post_accumulate_hooks_fire_during_the_pass_latest_layer_first) {
  // y = w2 · tanh(w1 · x): w2's gradient is complete before w1's node runs.
  Tensor x = reshape(tensor({0.5, -1.0}, float64), {2, 1});
  Tensor w1 = tensor({{0.1, 0.2}, {0.3, -0.4}}, float64).requires_grad_();
  Tensor w2 = tensor({{1.5, -0.5}}, float64).requires_grad_();
  w1.grad();  // undefined so far
  std::vector<std::string> order;
  std::vector<bool> w1_done_when_w2_fired;
  w1.register_post_accumulate_grad_hook([&](const Tensor& t) {
    order.push_back("w1");
    BOOST_TEST(t.is_same(w1));
    BOOST_TEST(t.grad().defined());
  });
  w2.register_post_accumulate_grad_hook([&](const Tensor& t) {
    if (order.empty())  // the first pass: this pass's gradient alone
      check_values(t.grad(), {{std::tanh(0.1 * 0.5 - 0.2), std::tanh(0.3 * 0.5 + 0.4)}}, 1e-12);
    order.push_back("w2");
    w1_done_when_w2_fired.push_back(w1.grad().defined());
  });
  Tensor y = sum(matmul(w2, tanh(matmul(w1, x))));
  y.backward();
  BOOST_TEST((order == std::vector<std::string>{"w2", "w1"}));
  BOOST_TEST((w1_done_when_w2_fired == std::vector<bool>{false}));  // w1's was not accumulated yet
  // A second pass accumulates, and the hook sees the total.
  Tensor before = w2.grad().clone();
  sum(matmul(w2, tanh(matmul(w1, x)))).backward();
  check_values(w2.grad(), xt::xarray<double>(before.to_xarray<double>() * 2.0), 1e-12);
  BOOST_TEST((order == std::vector<std::string>{"w2", "w1", "w2", "w1"}));
}

BOOST_AUTO_TEST_CASE(post_accumulate_hooks_do_not_run_in_grad) {
  Tensor x = tensor({2}, float64).requires_grad_();
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor&) { ++calls; });
  autograd::grad({sum(x * x)}, {x});
  BOOST_TEST(calls == 0);
  sum(x * x).backward();
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_hooked_leaf_behind_a_branch_without_gradient_still_fires) {
  // relu's backward gives x a gradient; the detached branch gives none: the hook fires once with the sum.
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor&) { ++calls; });
  Tensor y = sum(x * 2.0) + sum(x.detach());
  y.backward();
  BOOST_TEST(calls == 1);
  check_values(x.grad(), {2, 2});
}

BOOST_AUTO_TEST_CASE(a_leaf_root_goes_through_its_hooks) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  x.register_hook([](const Tensor& g) { return g * 3.0; });
  x.backward(ones_like(x));
  check_values(x.grad(), {3, 3});
}

BOOST_AUTO_TEST_CASE(backward_with_inputs_runs_only_the_chosen_leaves_hooks) {
  Tensor a = tensor({1}, float64).requires_grad_(), b = tensor({2}, float64).requires_grad_();
  int a_calls = 0, b_calls = 0;
  a.register_post_accumulate_grad_hook([&](const Tensor&) { ++a_calls; });
  b.register_post_accumulate_grad_hook([&](const Tensor&) { ++b_calls; });
  sum(a * b).backward(Tensor(), {.inputs = {a}});
  BOOST_TEST(a_calls == 1);
  BOOST_TEST(b_calls == 0);
  check_values(a.grad(), {2});
  BOOST_TEST(!b.grad().defined());
}

BOOST_AUTO_TEST_CASE(removed_hooks_stop_and_handles_outlive_tensors) {
  Tensor x = tensor({1}, float64).requires_grad_();
  int calls = 0;
  autograd::RemovableHandle handle = x.register_hook([&](const Tensor&) {
    ++calls;
    return Tensor();
  });
  sum(x * x).backward();
  handle.remove();
  handle.remove();  // twice: a no-op
  sum(x * x).backward();
  BOOST_TEST(calls == 1);
  autograd::RemovableHandle orphan;
  {
    Tensor y = tensor({1}, float64).requires_grad_();
    orphan = y.register_hook([](const Tensor&) { return Tensor(); });
  }
  orphan.remove();  // its tensor is gone
}

BOOST_AUTO_TEST_CASE(the_engine_counts_live_hooks) {
  // The engine walks the graph for hooked leaves only while some hook is registered.
  const std::size_t before = autograd::TensorHooks::live();
  {
    Tensor y = tensor({1}, float64).requires_grad_();
    autograd::RemovableHandle h = y.register_hook([](const Tensor&) { return Tensor(); });
    y.register_post_accumulate_grad_hook([](const Tensor&) {});
    BOOST_TEST(autograd::TensorHooks::live() == before + 2);
    h.remove();
    BOOST_TEST(autograd::TensorHooks::live() == before + 1);
  }  // the tensor, and its last hook, go
  BOOST_TEST(autograd::TensorHooks::live() == before);
}

BOOST_AUTO_TEST_CASE(a_hook_may_remove_itself_while_running) {
  Tensor x = tensor({1}, float64).requires_grad_();
  int calls = 0;
  autograd::RemovableHandle handle;
  handle = x.register_hook([&](const Tensor&) {
    ++calls;
    handle.remove();
    return Tensor();
  });
  sum(x * x).backward();
  sum(x * x).backward();
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(queued_callbacks_run_after_the_pass_in_order) {
  Tensor w1 = tensor({1}, float64).requires_grad_(), w2 = tensor({2}, float64).requires_grad_();
  std::vector<int> events;  // 1: w1 ready, 2: first callback, 3: second, 4: queued by the first
  w1.register_post_accumulate_grad_hook([&](const Tensor&) {
    events.push_back(1);
    autograd::queue_callback([&] {
      events.push_back(2);
      BOOST_TEST(w2.grad().defined());  // every leaf is accumulated by then
      BOOST_TEST(autograd::is_grad_enabled());  // the caller's grad mode, not the pass's (off)
      autograd::queue_callback([&] { events.push_back(4); });
    });
    autograd::queue_callback([&] { events.push_back(3); });
  });
  sum(w1 * w2).backward();
  BOOST_TEST((events == std::vector<int>{1, 2, 3, 4}));
  check_error([] { autograd::queue_callback([] {}); }, "outside a backward pass");
}

BOOST_AUTO_TEST_CASE(a_failed_pass_drops_its_callbacks) {
  Tensor w1 = tensor({1, 2}, float64).requires_grad_(), w2 = tensor({3, 4}, float64).requires_grad_();
  bool queued = false, ran = false;
  w2.register_post_accumulate_grad_hook([&](const Tensor&) {  // ready first: queues
    queued = true;
    autograd::queue_callback([&] { ran = true; });
  });
  w1.register_hook([](const Tensor& g) { return g.to(float32); });  // then the wrong dtype fails the pass
  check_error([&] { sum(w2 * tanh(w1 * 2.0)).backward(); }, "a hook must keep the gradient's shape and dtype");
  BOOST_TEST(queued);
  BOOST_TEST(!ran);
  BOOST_TEST(!w1.grad().defined());
}

BOOST_AUTO_TEST_CASE(hooks_with_create_graph_are_differentiable) {
  Tensor x = tensor({3}, float64).requires_grad_();
  x.register_hook([](const Tensor& g) { return g * g; });  // replaces 2x by 4x^2
  Tensor g = autograd::grad({sum(x * x)}, {x}, {}, {.create_graph = true})[0];
  check_values(g, {36});
  Tensor gg = autograd::grad({sum(g)}, {x})[0];  // d(4x^2)/dx = 8x; the hook runs on this pass too: (24)^2
  check_values(gg, {576});
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
  Tensor c = tensor({1});
  check_error([&] { c.register_hook([](const Tensor& g) { return g; }); }, "does not require grad");
  Tensor x = tensor({1}).requires_grad_();
  Tensor y = x * 2.0;
  check_error([&] { y.register_post_accumulate_grad_hook([](const Tensor&) {}); }, "only be registered on leaf");
  check_error([&] { x.register_hook(nullptr); }, "the hook is empty");
  x.register_hook([](const Tensor& g) { return sum(g); });
  check_error([&] { sum(x * x).backward(); }, "a hook must keep the gradient's shape and dtype");
}

BOOST_AUTO_TEST_SUITE_END()
