// conv1d, conv2d and conv_transpose2d: values and gradients against PyTorch's (float64 to 1e-10,
// float32 to ~1e-5), first and second derivatives against finite differences (gradcheck,
// gradgradcheck) on strides, padding (numbers, "same" with even kernels, "valid"), dilation,
// groups, no bias, odd and unbatched sizes and non-contiguous inputs, and the errors for bad input.
#include "support/check.hpp"

#include <cmath>
#include <string>

#include "descent/ops/conv.hpp"

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_second_order;
using descent::testing::random_input;

namespace {

struct ConvCase {
  std::string op;
  Shape x, w;
  bool bias;
  Size2 stride;
  ConvPadding padding;
  Size2 dilation;
  std::ptrdiff_t groups;
  Size2 output_padding;
  Shape y_shape;
  std::vector<double> y, gx, gw, gb, penalty_w;  ///< see conv_reference.py
};

#include "ops/conv_values.inc"

/// The case's op on (x, weight, bias).
Tensor run(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  if (c.op == "conv1d") return conv1d(x, w, b, c.stride.w, c.padding, c.dilation.w, c.groups);
  if (c.op == "conv2d") return conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
  return conv_transpose2d(x, w, b, c.stride, c.padding.size, c.output_padding, c.groups, c.dilation);
}

/// The reference script's closed-form inputs: f(flat index).
template <class F> Tensor filled(const Shape& shape, Dtype dtype, F f) {
  Tensor t = empty(shape, float64);
  for (std::size_t k = 0; k < t.numel(); ++k) t.data<double>()[k] = f(double(k));
  return t.to(dtype).requires_grad_();
}

std::size_t bias_size(const ConvCase& c) { return c.op == "conv_transpose2d" ? c.w[1] * std::size_t(c.groups) : c.w[0]; }

std::string name(const ConvCase& c) {
  return c.op + " x" + to_string(c.x) + " w" + to_string(c.w) + (c.padding.mode.empty() ? "" : " " + c.padding.mode);
}

/// y, dL/dx, dL/dw, dL/db for L = sum(y * cos(0.3 k)), and d/dw sum((dL/dx)^2), in `dtype`.
struct Results {
  Tensor y, gx, gw, gb, penalty_w;
};
Results evaluate(const ConvCase& c, Dtype dtype) {
  const Tensor x = filled(c.x, dtype, [](double k) { return std::sin(0.37 * k + 0.1); });
  const Tensor w = filled(c.w, dtype, [](double k) { return 0.5 * std::cos(0.23 * k); });
  const Tensor b = c.bias ? filled({bias_size(c)}, dtype, [](double k) { return 0.1 * k - 0.2; }) : Tensor();
  const Tensor y = run(c, x, w, b);
  const Tensor v = filled(y.shape(), dtype, [](double k) { return std::cos(0.3 * k); }).detach();
  std::vector<Tensor> inputs{x, w};
  if (c.bias) inputs.push_back(b);
  const auto g = autograd::grad({sum(y * v)}, inputs, {}, {.create_graph = true});
  const Tensor penalty_w = autograd::grad({sum(g[0] * g[0])}, {w})[0];
  return {y, g[0], g[1], c.bias ? g[2] : Tensor(), penalty_w};
}

void check_case(const Results& r, const ConvCase& c, double tol) {
  BOOST_TEST(to_string(r.y.shape()) == to_string(c.y_shape));
  check_close(r.y.to(float64), c.y, tol);
  check_close(r.gx.to(float64), c.gx, tol);
  check_close(r.gw.to(float64), c.gw, tol);
  if (c.bias) check_close(r.gb.to(float64), c.gb, tol);
  check_close(r.penalty_w.to(float64), c.penalty_w, tol);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv)

BOOST_AUTO_TEST_CASE(values_and_gradients_match_pytorch_in_float64) {
  for (const ConvCase& c : conv_cases) BOOST_TEST_CONTEXT(name(c)) { check_case(evaluate(c, float64), c, 1e-10); }
}

BOOST_AUTO_TEST_CASE(float32_agrees_with_pytorch_to_1e_5) {
  for (const ConvCase& c : conv_cases) BOOST_TEST_CONTEXT(name(c)) {
      const Results r = evaluate(c, float32);
      BOOST_TEST((r.y.dtype() == float32 && r.gw.dtype() == float32));
      check_case(r, c, 2e-5);
    }
}

BOOST_AUTO_TEST_CASE(first_and_second_derivatives_pass_gradcheck_and_gradgradcheck) {
  std::uint64_t seed = 1;
  for (const ConvCase& c : conv_cases) BOOST_TEST_CONTEXT(name(c)) {
      std::vector<Tensor> inputs{random_input(c.x, seed++), random_input(c.w, seed++)};
      if (c.bias) inputs.push_back(random_input({bias_size(c)}, seed++));
      check_second_order([&c](const std::vector<Tensor>& v) { return run(c, v[0], v[1], c.bias ? v[2] : Tensor()); },
                         inputs);
    }
}

BOOST_AUTO_TEST_CASE(non_contiguous_inputs_give_the_contiguous_results) {
  // x (2, 3, 5, 6) as a transposed view of (2, 3, 6, 5); weight (4, 3, 3, 2) as a permuted view.
  const Tensor xt = random_input({2, 3, 6, 5}, 7), wt = random_input({3, 4, 2, 3}, 8);
  const auto f = [](const std::vector<Tensor>& v) {
    return conv2d(transpose(v[0], 2, 3), permute(v[1], {1, 0, 3, 2}), v[2], {2, 1}, {1, 0}, {1, 2});
  };
  const std::vector<Tensor> inputs{xt, wt, random_input({4}, 9)};
  BOOST_TEST(!transpose(xt, 2, 3).is_contiguous());
  const Tensor strided = f(inputs);
  const Tensor dense = conv2d(transpose(xt, 2, 3).contiguous(), permute(wt, {1, 0, 3, 2}).contiguous(), inputs[2],
                              {2, 1}, {1, 0}, {1, 2});
  check_close(strided, std::vector<double>(dense.detach().contiguous().data<double>(),
                                           dense.detach().contiguous().data<double>() + dense.numel()), 0);
  check_second_order(f, inputs);
  check_second_order([](const std::vector<Tensor>& v) { return conv_transpose2d(transpose(v[0], 2, 3), v[1], {}, 2, 1); },
                     {random_input({2, 3, 4, 3}, 10), random_input({3, 2, 3, 3}, 11)});
}

BOOST_AUTO_TEST_CASE(batches_of_zero_and_one_image) {
  const Tensor w = random_input({4, 3, 3, 3}, 12);
  BOOST_TEST(to_string(conv2d(zeros({0, 3, 5, 5}, float64), w).shape()) == "(0,4,3,3)");
  const Tensor x = random_input({3, 6, 5}, 13);
  const Tensor unbatched = conv2d(x, w, {}, 1, "same");
  const Tensor batched = conv2d(unsqueeze(x, 0), w, {}, 1, "same");
  BOOST_TEST(to_string(unbatched.shape()) == "(4,6,5)");
  const Tensor diff = max(abs(unbatched - squeeze(batched, 0)));
  BOOST_TEST(diff.item<double>() == 0.0);
}

BOOST_AUTO_TEST_CASE(a_batch_equals_its_images_one_by_one) {
  // The kernels run image by image (on any thread): each image's output and input gradient are
  // exactly those of the image alone; the weight gradient sums the images (in 5 parts here).
  const Tensor x = random_input({5, 8, 12, 12}, 14), w = random_input({4, 8, 3, 3}, 15), b = random_input({4}, 16);
  const Tensor v = random_input({5, 4, 10, 10}, 17).detach();
  const Tensor y = conv2d(x, w, b);
  const auto g = autograd::grad({sum(y * v)}, {x, w});
  Tensor gw_sum = zeros_like(w);
  for (std::size_t n = 0; n < 5; ++n) {
    const Tensor xn = narrow(x, 0, std::ptrdiff_t(n), 1).detach().requires_grad_();
    const Tensor yn = conv2d(xn, w, b);
    const Tensor vn = narrow(v, 0, std::ptrdiff_t(n), 1);
    const auto gn = autograd::grad({sum(yn * vn)}, {xn, w});
    BOOST_TEST(max(abs(yn - narrow(y, 0, std::ptrdiff_t(n), 1))).item<double>() == 0.0);
    BOOST_TEST(max(abs(gn[0] - narrow(g[0], 0, std::ptrdiff_t(n), 1))).item<double>() == 0.0);
    gw_sum = gw_sum + gn[1];
  }
  BOOST_TEST(max(abs(gw_sum - g[1])).item<double>() < 1e-12);
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_op_and_the_shapes) {
  const Tensor x = zeros({2, 3, 5, 5}), w = zeros({4, 3, 3, 3});
  check_error([&] { conv2d(zeros({2, 2, 5, 5}), w); },
              "conv2d: expected input (2,2,5,5) to have 3 channels (weight (4,3,3,3), groups 1), got 2");
  check_error([&] { conv2d(x, zeros({4, 3, 7, 3})); },
              "conv2d: the kernel (extent 7 with dilation) is larger than the padded input (5) of input (2,3,5,5) "
              "with weight (4,3,7,3)");
  check_error([&] { conv2d(x, w, {}, 1, 0, 3); }, "conv2d: the kernel (extent 7 with dilation)");
  check_error([&] { conv2d(zeros({2, 6, 5, 5}), zeros({4, 3, 3, 3}), {}, 1, 0, 1, 3); },
              "conv2d: groups 3 must divide the output channels of weight (4,3,3,3)");
  check_error([&] { conv2d(zeros({2, 6, 5, 5}), zeros({4, 2, 3, 3}), {}, 1, 0, 1, 2); },
              "conv2d: expected input (2,6,5,5) to have 4 channels");
  check_error([&] { conv2d(zeros({75}), w); }, "conv2d: expected a 3-D (C, H, W) or 4-D");
  check_error([&] { conv2d(x, zeros({4, 3, 3})); }, "conv2d: expected a 4-D weight (out, in/groups, kh, kw), got shape (4,3,3)");
  check_error([&] { conv2d(x, w, zeros({3})); }, "conv2d: bias must have shape (4,) for weight (4,3,3,3), got (3,)");
  check_error([&] { conv2d(x, w, {}, {2, 1}, "same"); }, "conv2d: padding \"same\" needs stride 1, got (2, 1)");
  check_error([&] { conv2d(x, w, {}, 1, "full"); }, "conv2d: padding must be a number, \"same\" or \"valid\", got \"full\"");
  check_error([&] { conv2d(x, w, {}, 0); }, "conv2d: stride must be positive, got (0, 0)");
  check_error([&] { conv2d(x, w, {}, 1, -1); }, "conv2d: padding must be non-negative, got (-1, -1)");
  check_error([&] { conv2d(x, w, {}, 1, 0, 1, 0); }, "conv2d: groups must be positive, got 0");
  check_error([&] { conv2d(x.to(float64), w); }, "conv2d: dtype mismatch");
  check_error([&] { conv2d(x, zeros({4, 3, 0, 3})); }, "conv2d: weight (4,3,0,3) has an empty kernel");
  check_error([&] { conv_transpose2d(zeros({1, 4, 3, 3}), zeros({4, 2, 3, 0})); },
              "conv_transpose2d: weight (4,2,3,0) has an empty kernel");
  check_error([&] { conv_transpose2d(zeros({1, 4, 0, 3}), zeros({4, 2, 3, 3})); },
              "conv_transpose2d: input (1,4,0,3) with weight (4,2,3,3), padding (0, 0) gives an empty output (size 0)");
  check_error([&] { conv2d(zeros({2, 3, 5, 5}, int64), zeros({4, 3, 3, 3}, int64)); }, "conv2d: expected a float32 or float64");

  check_error([&] { conv1d(zeros({2, 3, 4}), zeros({2, 3, 5})); },
              "conv1d: the kernel (extent 5 with dilation) is larger than the padded input (4) of input (2,3,4) with "
              "weight (2,3,5)");
  check_error([&] { conv1d(zeros({2, 4, 9}), zeros({2, 3, 3})); },
              "conv1d: expected input (2,4,9) to have 3 channels (weight (2,3,3), groups 1), got 4");
  check_error([&] { conv1d(zeros({2, 3, 9}), zeros({2, 3, 3}), {}, 2, "same"); },
              "conv1d: padding \"same\" needs stride 1, got 2");
  check_error([&] { conv1d(zeros({2, 3, 9}), zeros({2, 3, 3}), {}, 1, {1, 2}); }, "conv1d: padding must be one number");
  check_error([&] { conv1d(zeros({3, 9, 1, 1}), zeros({2, 3, 3})); }, "conv1d: expected a 2-D (C, L) or 3-D (N, C, L)");

  check_error([&] { conv_transpose2d(zeros({2, 3, 4, 4}), zeros({4, 2, 3, 3})); },
              "conv_transpose2d: expected input (2,3,4,4) to have 4 channels (weight (4,2,3,3)), got 3");
  check_error([&] { conv_transpose2d(zeros({2, 4, 4, 4}), zeros({4, 2, 3, 3}), {}, 2, 0, 2); },
              "conv_transpose2d: output_padding (2, 2) must be smaller than either stride (2, 2) or dilation (1, 1)");
  check_error([&] { conv_transpose2d(zeros({2, 4, 1, 1}), zeros({4, 2, 1, 1}), {}, 1, 1); },
              "conv_transpose2d: input (2,4,1,1) with weight (4,2,1,1), padding (1, 1) gives an empty output");
  check_error([&] { conv_transpose2d(zeros({2, 4, 3, 3}), zeros({4, 2, 3, 3}), {}, 1, 0, 0, 3); },
              "conv_transpose2d: groups 3 must divide the input channels of weight (4,2,3,3)");
  check_error([&] { conv_transpose2d(zeros({2, 4, 3, 3}), zeros({4, 2, 3, 3}), zeros({3}), 1, 0, 0, 2); },
              "conv_transpose2d: bias must have shape (4,) for weight (4,2,3,3), got (3,)");
}

BOOST_AUTO_TEST_SUITE_END()
