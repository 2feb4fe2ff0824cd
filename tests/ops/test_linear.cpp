// The fused linear op: values against the composed matmul + transpose + add, gradients by gradcheck,
// on both sides of its small-size / BLAS threshold, with and without bias, and other ranks.
#include "support/check.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_gradient;
using descent::testing::check_values;
using descent::testing::random_input;

namespace {
void check_against_composition(const Shape& x_shape, std::size_t out, bool with_bias, std::uint64_t seed) {
  Tensor x = random_input(x_shape, seed), w = random_input({out, x_shape.back()}, seed + 1);
  Tensor b = with_bias ? random_input({out}, seed + 2) : Tensor();
  Tensor expected = matmul(x, transpose(w));
  if (with_bias) expected = expected + b;
  check_values(linear(x, w, b), expected.detach().to_xarray<double>(), 1e-12, 1e-12);
  std::vector<Tensor> inputs{x, w};
  if (with_bias) inputs.push_back(b);
  check_gradient([&](const std::vector<Tensor>& in) { return linear(in[0], in[1], with_bias ? in[2] : Tensor()); },
                 inputs);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(linear_op)

BOOST_AUTO_TEST_CASE(small_sizes_take_the_loop_path) {
  check_against_composition({5, 3}, 4, true, 1);
  check_against_composition({5, 3}, 4, false, 4);
  check_against_composition({1, 1}, 1, true, 7);
}

BOOST_AUTO_TEST_CASE(large_sizes_take_the_blas_path) {
  check_against_composition({64, 32}, 32, true, 10);  // 65536 multiply-adds: BLAS
  check_against_composition({64, 32}, 32, false, 13);
}

BOOST_AUTO_TEST_CASE(other_ranks_compose) {
  check_against_composition({3}, 2, true, 16);
  check_against_composition({2, 3, 4}, 5, true, 19);
  check_against_composition({2, 2, 3, 4}, 3, false, 22);  // (*, in) as rows: the 2-D op
  check_against_composition({2, 0, 4}, 3, true, 25);
  // a non-contiguous (*, in): its rows do not stack in place, reshape copies
  Tensor x = random_input({4, 2, 3}, 28), w = random_input({5, 3}, 29), b = random_input({5}, 30);
  check_values(linear(transpose(x, 0, 1), w, b), (matmul(transpose(x, 0, 1), transpose(w)) + b).detach().to_xarray<double>(),
               1e-12, 1e-12);
  check_gradient([](const std::vector<Tensor>& in) { return linear(transpose(in[0], 0, 1), in[1], in[2]); }, {x, w, b});
}

BOOST_AUTO_TEST_CASE(float32_and_only_some_inputs_differentiable) {
  Tensor x = tensor({{1, 2}, {3, 4}}), w = tensor({{1, 0}, {0.5, -1}}), b = tensor({0.25, 0});
  w.requires_grad_();
  Tensor y = linear(x, w, b);
  check_values(y, {{1.25, -1.5}, {3.25, -2.5}});
  sum(y).backward();
  check_values(w.grad(), {{4, 6}, {4, 6}});
}

BOOST_AUTO_TEST_CASE(errors_name_the_shapes) {
  check_error([] { linear(zeros({2, 3}), zeros({4, 5})); }, "linear: cannot multiply input (2,3) by weightᵀ of (4,5)");
  check_error([] { linear(zeros({2, 3}), zeros({4, 3}), zeros({3})); }, "linear: bias (3,) does not match weight (4,3)");
  check_error([] { linear(zeros({2, 3}), zeros({4, 3}, float64)); }, "linear: dtype mismatch");
}

BOOST_AUTO_TEST_SUITE_END()
