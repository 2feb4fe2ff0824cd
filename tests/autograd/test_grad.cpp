// autograd::grad and backward's options (PyTorch's semantics), and saved tensors' version checks.
#include "support/check.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

BOOST_AUTO_TEST_SUITE(grad_function)

BOOST_AUTO_TEST_CASE(returns_gradients_without_touching_grad) {
  Tensor x = tensor({1, 2, 3}, float64).requires_grad_();
  Tensor y = sum(x * x);
  const std::vector<Tensor> g = autograd::grad({y}, {x});
  check_values(g[0], {2, 4, 6});
  BOOST_TEST(!x.grad().defined());
  BOOST_TEST(!g[0].requires_grad());
  // the graph was freed (retain_graph defaults to create_graph = false)
  check_error([&] { autograd::grad({y}, {x}); }, "second time");
}

BOOST_AUTO_TEST_CASE(intermediate_inputs_and_several_outputs) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor h = x * 3.0;
  Tensor a = sum(h * h), b = sum(h);
  // d(a + 2b)/dh = 2h + 2, and nothing flows below h
  const std::vector<Tensor> g = autograd::grad({a, b}, {h}, {Tensor(), full({}, 2, float64)});
  check_values(g[0], {8, 14});
  BOOST_TEST(!x.grad().defined());
  // an explicit output gradient for a non-scalar
  Tensor y = x * x;
  check_values(autograd::grad({y}, {x}, {tensor({1, 10}, float64)})[0], {2, 40});
}

BOOST_AUTO_TEST_CASE(unused_inputs_are_an_error_unless_allowed) {
  Tensor x = tensor({1.0}, float64).requires_grad_();
  Tensor z = tensor({2.0}, float64).requires_grad_();
  Tensor y = sum(x * 2.0);
  check_error([&] { autograd::grad({y}, {x, z}, {}, {.retain_graph = true}); }, "input 1 (shape (1,)) was not used");
  const std::vector<Tensor> g = autograd::grad({y}, {x, z}, {}, {.allow_unused = true});
  check_values(g[0], {2});
  BOOST_TEST(!g[1].defined());
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named) {
  Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
  Tensor y = x * 2.0;
  check_error([&] { autograd::grad({y}, {x}); }, "implied only for a scalar");
  check_error([&] { autograd::grad({y}, {x}, {ones({3}, float64)}); }, "does not match");
  check_error([&] { autograd::grad({y}, {x}, {ones({2}, float64), ones({2}, float64)}); }, "2 gradients for 1 outputs");
  check_error([&] { autograd::grad({y}, {ones({2})}); }, "does not require grad");
  check_error([&] { autograd::grad({y}, {}); }, "at least one input");
}

BOOST_AUTO_TEST_CASE(create_graph_differentiates_again_to_any_order) {
  Tensor x = tensor({0.5, -1.0}, float64).requires_grad_();
  Tensor y = sum(x * x * x * x);  // x^4
  Tensor d1 = autograd::grad({y}, {x}, {}, {.create_graph = true})[0];  // 4x^3
  BOOST_TEST(d1.requires_grad());
  Tensor d2 = autograd::grad({sum(d1)}, {x}, {}, {.create_graph = true})[0];  // 12x^2
  Tensor d3 = autograd::grad({sum(d2)}, {x}, {}, {.create_graph = true})[0];  // 24x
  Tensor d4 = autograd::grad({sum(d3)}, {x})[0];                              // 24
  check_values(d1, {0.5, -4});
  check_values(d2, {3, 12});
  check_values(d3, {12, -24});
  check_values(d4, {24, 24});
}

BOOST_AUTO_TEST_CASE(retain_graph_defaults_to_create_graph) {
  Tensor x = tensor({2.0}, float64).requires_grad_();
  Tensor y = sum(exp(x));
  autograd::grad({y}, {x}, {}, {.create_graph = true});
  check_values(autograd::grad({y}, {x})[0], {std::exp(2.0)});  // still there
  check_error([&] { autograd::grad({y}, {x}); }, "second time");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backward_options)

BOOST_AUTO_TEST_CASE(inputs_limit_accumulation) {
  Tensor a = tensor({1.0}, float64).requires_grad_();
  Tensor b = tensor({2.0}, float64).requires_grad_();
  Tensor y = sum(a * b);
  y.backward(Tensor(), {.inputs = {a}});
  check_values(a.grad(), {2});
  BOOST_TEST(!b.grad().defined());
}

BOOST_AUTO_TEST_CASE(inputs_may_be_intermediate) {
  Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
  Tensor h = x * 2.0;
  Tensor y = sum(h * h);
  y.backward(Tensor(), {.inputs = {h}});
  check_values(h.grad(), {4, 8});
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(create_graph_leaves_differentiable_grads) {
  Tensor x = tensor({3.0}, float64).requires_grad_();
  Tensor y = sum(x * x * x);
  y.backward(Tensor(), {.create_graph = true});  // x.grad = 3x^2, with its graph
  Tensor g = x.grad();
  BOOST_TEST(g.requires_grad());
  check_values(g, {27});
  check_values(autograd::grad({sum(g)}, {x})[0], {18});  // 6x
  // accumulating again is out of place: g keeps its value
  sum(x * x).backward();
  check_values(x.grad(), {33});
  check_values(g, {27});
}

BOOST_AUTO_TEST_CASE(multiple_roots) {
  Tensor x = tensor({1.0, 2.0}, float64).requires_grad_();
  autograd::backward({sum(x), sum(x * x)});
  check_values(x.grad(), {3, 5});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(saved_tensor_versions)

BOOST_AUTO_TEST_CASE(in_place_change_of_an_input_under_no_grad) {
  Tensor x = tensor({1, 2, 3}, float64).requires_grad_();
  Tensor y = sum(x * x);
  {
    NoGradGuard g;
    x.mul_(2);
  }
  check_error([&] { y.backward(); }, "modified by an inplace operation");
  check_error([&] {
    Tensor z = sum(x * x);
    { NoGradGuard g; x.add_(1); }
    z.backward();
  }, "the backward of mul needs the float64 tensor of shape (3,) that it saved at version 1, which is at version 2");
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(in_place_change_of_a_constant) {
  Tensor x = tensor({1, 2, 3}, float64).requires_grad_();
  Tensor c = tensor({1, 1, 1}, float64);
  Tensor z = sum(x * c);
  c.mul_(10);
  check_error([&] { z.backward(); }, "modified by an inplace operation");
}

BOOST_AUTO_TEST_CASE(in_place_change_through_a_view_or_copy_) {
  Tensor x = tensor({{1, 2}, {3, 4}}, float64);
  Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
  Tensor z = sum(x * w);
  Tensor row = narrow(x, 0, 1, 1);
  row.copy_(zeros({1, 2}, float64));  // writes into x's storage
  check_error([&] { z.backward(); }, "modified by an inplace operation");
}

BOOST_AUTO_TEST_CASE(an_optimizer_step_between_forward_and_backward) {
  Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  sum(w * w).backward();
  Tensor y = sum(w * w);  // saves w at its current version
  opt.step();
  check_error([&] { y.backward(); }, "modified by an inplace operation");
}

BOOST_AUTO_TEST_CASE(a_checkpoint_load_between_forward_and_backward) {
  Generator gen(3);
  nn::Linear layer(2, 1, {}, gen);
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("descent_test_grad_" + std::to_string(::getpid()) + ".npz");
  io::save(layer, path);
  Tensor y = sum(layer(ones({4, 2})));  // saves the weight
  io::load(layer, path);                // writes the same values back: still a new version
  std::filesystem::remove(path);
  check_error([&] { y.backward(); }, "modified by an inplace operation");
}

BOOST_AUTO_TEST_CASE(a_saved_output_changed_in_place) {
  Tensor x = tensor({0.5}, float64).requires_grad_();
  Tensor y = exp(x);
  Tensor z = sum(y);
  {
    NoGradGuard g;
    y.mul_(2);
  }
  check_error([&] { z.backward(); }, "the backward of exp");
}

BOOST_AUTO_TEST_CASE(a_failed_pass_leaves_every_grad_as_it_was) {
  Tensor x = tensor({1, 2}, float64).requires_grad_();
  Tensor c = tensor({3, 4}, float64);
  Tensor y = sum(x * c) + sum(x * x);
  c.add_(1);
  check_error([&] { y.backward(Tensor(), true); }, "modified by an inplace operation");
  BOOST_TEST(!x.grad().defined());  // x * x's share was not accumulated
  Tensor y2 = sum(x * x);
  y2.backward();
  check_values(x.grad(), {2, 4});  // nothing left over from the failed pass
}

BOOST_AUTO_TEST_SUITE_END()
