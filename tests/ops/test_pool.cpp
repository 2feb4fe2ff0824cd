// Pooling ops: values and gradients against PyTorch (pool_values.inc, from pool_reference.py) with
// strides, padding, dilation, ceil_mode, count_include_pad, odd and unbatched sizes, contiguous and
// strided input; gradcheck and gradgradcheck in float64 (inputs without ties); argument errors.
#include "ops/pool_cases.hpp"

#include <limits>

using namespace descent;
using namespace descent::testing;

namespace {
#include "ops/pool_values.inc"
}  // namespace

BOOST_AUTO_TEST_SUITE(pool_values_match_pytorch)

BOOST_AUTO_TEST_CASE(max_pool2d_cases) {
  check_reference("padding 1, stride 2", {2, 3, 7, 6}, [](const Tensor& x) { return max_pool2d(x, 3, 2, 1); },
                  max2d_pad_y, max2d_pad_dx);
  check_reference("rectangular, dilated, ceil_mode", {1, 2, 6, 7},
                  [](const Tensor& x) { return max_pool2d(x, {3, 2}, {2, 1}, {1, 0}, {2, 1}, true); },
                  max2d_dilated_ceil_y, max2d_dilated_ceil_dx);
  check_reference("unbatched, ceil_mode", {3, 5, 5}, [](const Tensor& x) { return max_pool2d(x, 2, {}, 0, 1, true); },
                  max2d_unbatched_ceil_y, max2d_unbatched_ceil_dx);
  // 5 + 2·1 with kernel 3, stride 3: ceil gives 3 windows, the third would start in the right padding
  check_reference("ceil_mode drops a window starting in the padding", {1, 1, 5, 5},
                  [](const Tensor& x) { return max_pool2d(x, 3, 3, 1, 1, true); }, max2d_ceil_last_window_y,
                  max2d_ceil_last_window_dx);
}

BOOST_AUTO_TEST_CASE(max_pool1d_cases) {
  check_reference("dilated, ceil_mode", {2, 3, 9}, [](const Tensor& x) { return max_pool1d(x, 3, 2, 1, 2, true); },
                  max1d_dilated_ceil_y, max1d_dilated_ceil_dx);
  check_reference("unbatched", {3, 8}, [](const Tensor& x) { return max_pool1d(x, 2); }, max1d_unbatched_y,
                  max1d_unbatched_dx);
}

BOOST_AUTO_TEST_CASE(avg_pool2d_cases) {
  check_reference("ceil_mode, count_include_pad", {2, 2, 7, 6},
                  [](const Tensor& x) { return avg_pool2d(x, 3, 2, 1, true); }, avg2d_ceil_include_pad_y,
                  avg2d_ceil_include_pad_dx);
  check_reference("ceil_mode, padding not counted", {2, 2, 7, 6},
                  [](const Tensor& x) { return avg_pool2d(x, 3, 2, 1, true, false); }, avg2d_ceil_exclude_pad_y,
                  avg2d_ceil_exclude_pad_dx);
  check_reference("unbatched, rectangular", {3, 5, 5},
                  [](const Tensor& x) { return avg_pool2d(x, {2, 3}, {1, 2}, {1, 1}); }, avg2d_unbatched_rect_y,
                  avg2d_unbatched_rect_dx);
}

BOOST_AUTO_TEST_CASE(avg_pool1d_cases) {
  check_reference("ceil_mode, padding not counted", {2, 3, 9},
                  [](const Tensor& x) { return avg_pool1d(x, 4, 3, 2, true, false); }, avg1d_ceil_exclude_pad_y,
                  avg1d_ceil_exclude_pad_dx);
  check_reference("ceil_mode, count_include_pad", {2, 3, 9},
                  [](const Tensor& x) { return avg_pool1d(x, 4, 3, 2, true); }, avg1d_ceil_include_pad_y,
                  avg1d_ceil_include_pad_dx);
}

BOOST_AUTO_TEST_CASE(adaptive_pools) {
  check_reference("adaptive_avg_pool2d", {2, 3, 7, 5}, [](const Tensor& x) { return adaptive_avg_pool2d(x, {3, 2}); },
                  adaptive_avg_y, adaptive_avg_dx);
  check_reference("adaptive_avg_pool2d unbatched, to more rows", {3, 5, 7},
                  [](const Tensor& x) { return adaptive_avg_pool2d(x, 4); }, adaptive_avg_unbatched_up_y,
                  adaptive_avg_unbatched_up_dx);
  check_reference("adaptive_max_pool2d", {2, 2, 7, 5}, [](const Tensor& x) { return adaptive_max_pool2d(x, {3, 4}); },
                  adaptive_max_y, adaptive_max_dx);
  check_reference("adaptive_max_pool2d unbatched, overlapping windows", {2, 6, 4},
                  [](const Tensor& x) { return adaptive_max_pool2d(x, {8, 3}); }, adaptive_max_unbatched_up_y,
                  adaptive_max_unbatched_up_dx);
}

BOOST_AUTO_TEST_CASE(float32_gives_the_float64_values) {
  check_close(max_pool2d(pool_input({2, 3, 7, 6}).to(float32), 3, 2, 1).to(float64), max2d_pad_y, 1e-7);
  check_close(avg_pool2d(pool_input({2, 2, 7, 6}).to(float32), 3, 2, 1, true).to(float64), avg2d_ceil_include_pad_y, 1e-6);
}

BOOST_AUTO_TEST_CASE(nan_propagates_through_max_pooling) {
  Tensor x = zeros({1, 1, 2, 2}, float64);
  x.data<double>()[3] = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(std::isnan(max_pool2d(x, 2).item()));
}

// The 2×2, stride-2 kernel (a vectorised path of its own) against a brute-force loop: ties keep the
// first position in row-major order, a NaN wins and the gradient goes where the value came from;
// odd sizes drop the last row and column.
BOOST_AUTO_TEST_CASE(two_by_two_windows_keep_the_first_maximum_and_nans) {
  const std::size_t planes = 6, h = 5, w = 7;
  Tensor x = empty({2, 3, h, w}, float64);
  double* v = x.data<double>();
  for (std::size_t i = 0; i < x.numel(); ++i) v[i] = double((i * 7 + i / 5) % 3);  // many ties
  v[8] = v[9 + w] = v[2 * w * h + 3] = std::numeric_limits<double>::quiet_NaN();
  const Tensor xr = x.detach().requires_grad_();
  const Tensor y = max_pool2d(xr, 2);
  BOOST_TEST(y.shape() == (Shape{2, 3, 2, 3}));
  const Tensor ramp = reshape(arange(double(y.numel()), float64), {2, 3, 2, 3});
  const Tensor dx = autograd::grad({sum(y * ramp)}, {xr})[0];
  std::size_t out = 0;
  for (std::size_t p = 0; p < planes; ++p)
    for (std::size_t oh = 0; oh < 2; ++oh)
      for (std::size_t ow = 0; ow < 3; ++ow, ++out) {
        std::size_t best = p * h * w + 2 * oh * w + 2 * ow;
        for (std::size_t i = 0; i < 2; ++i)
          for (std::size_t j = 0; j < 2; ++j) {
            const std::size_t at = p * h * w + (2 * oh + i) * w + 2 * ow + j;
            if (v[at] > v[best] || std::isnan(v[at])) best = at;
          }
        const double got = y.data<double>()[out];
        BOOST_TEST((std::isnan(v[best]) ? std::isnan(got) : got == v[best]), "window " << out);
        BOOST_TEST(dx.data<double>()[best] == double(out), "gradient of window " << out);
      }
  BOOST_TEST(sum(dx).item() == double(out * (out - 1) / 2));  // nothing anywhere else
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool_gradients)

BOOST_AUTO_TEST_CASE(max_pooling_first_and_second_order) {
  check_linear_op("max_pool2d stride 2 padding 1", [](Args v) { return max_pool2d(v[0], 3, 2, 1); }, pool_input({1, 2, 5, 5}));
  check_linear_op("max_pool2d dilated ceil_mode", [](Args v) { return max_pool2d(v[0], {2, 3}, {2, 1}, {1, 1}, {2, 1}, true); },
                  pool_input({2, 1, 5, 6}));
  check_linear_op("max_pool2d overlapping windows", [](Args v) { return max_pool2d(v[0], 3, 1); }, pool_input({1, 1, 5, 4}));
  check_linear_op("max_pool1d", [](Args v) { return max_pool1d(v[0], 3, 2, 1, 1, true); }, pool_input({2, 2, 7}));
  check_linear_op("adaptive_max_pool2d", [](Args v) { return adaptive_max_pool2d(v[0], {2, 3}); }, pool_input({2, 5, 4}));
  check_linear_op("max_pool2d of a transposed view", [](Args v) { return max_pool2d(transpose(v[0]), 2, 1); },
                  pool_input({1, 2, 4, 3}));
}

BOOST_AUTO_TEST_CASE(average_pooling_first_and_second_order) {
  check_linear_op("avg_pool2d", [](Args v) { return avg_pool2d(v[0], 3, 2, 1, true); }, pool_input({1, 2, 5, 5}));
  check_linear_op("avg_pool2d padding not counted",
                  [](Args v) { return avg_pool2d(v[0], {2, 3}, {1, 2}, {1, 1}, true, false); }, pool_input({2, 4, 5}));
  check_linear_op("avg_pool1d", [](Args v) { return avg_pool1d(v[0], 4, 3, 2, true, false); }, pool_input({2, 2, 7}));
  check_linear_op("adaptive_avg_pool2d", [](Args v) { return adaptive_avg_pool2d(v[0], {3, 2}); }, pool_input({1, 2, 5, 4}));
}

BOOST_AUTO_TEST_CASE(a_plain_backward_records_nothing_and_create_graph_records_the_backward) {
  const Tensor x = pool_input({1, 1, 4, 4});
  const Tensor g1 = autograd::grad({sum(max_pool2d(x, 2) * 3.0)}, {x})[0];
  BOOST_TEST(!g1.requires_grad());
  const Tensor y = max_pool2d(x, 2);
  const Tensor g2 = autograd::grad({sum(y * y)}, {x}, {}, {.create_graph = true})[0];
  BOOST_TEST(g2.requires_grad());
  BOOST_TEST(std::string(g2.grad_fn()->name()) == "max_pool2d_backward");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool_errors)

BOOST_AUTO_TEST_CASE(bad_arguments_name_the_op_and_the_shapes) {
  const Tensor x = zeros({1, 1, 5, 5}, float64);
  check_error([&] { max_pool2d(x, 7); }, "max_pool2d: input of shape (1,1,5,5) with kernel_size (7, 7), stride (7, 7), "
                                         "padding (0, 0), dilation (1, 1) gives output size (0, 0): the kernel is "
                                         "larger than the padded input");
  check_error([&] { avg_pool2d(x, 3, 1, 2); }, "avg_pool2d: padding (2, 2) must be at most half of kernel_size (3, 3)");
  check_error([&] { max_pool2d(x, {2, 3}, 1, {1, 2}); }, "max_pool2d: padding (1, 2) must be at most half of kernel_size (2, 3)");
  check_error([&] { max_pool2d(zeros({5, 5}), 2); }, "max_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape (5,5)");
  check_error([&] { max_pool1d(zeros({2, 3, 4, 5}), 2); }, "max_pool1d: expected a 2-D (unbatched) or 3-D (batched) input, got shape (2,3,4,5)");
  check_error([&] { avg_pool1d(zeros({1, 2, 3}), 4); }, "avg_pool1d: input of shape (1,2,3) with kernel_size 4, stride 4");
  check_error([&] { max_pool2d(x, 2, 0); }, "max_pool2d: stride must be > 0, got (0, 0)");
  check_error([&] { max_pool1d(zeros({1, 2, 3}), 2, 1, 0, 0); }, "max_pool1d: dilation must be > 0, got 0");
  check_error([&] { max_pool2d(x, 0); }, "max_pool2d: kernel_size must be > 0");
  check_error([&] { max_pool2d(zeros({1, 0, 5, 5}), 2); }, "max_pool2d: expected sizes > 0 except for the batch axis");
  check_error([&] { max_pool2d(zeros({1, 1, 4, 4}, int64), 2); }, "max_pool2d: expected a float32 or float64 tensor");
  check_error([&] { adaptive_avg_pool2d(x, {0, 2}); }, "adaptive_avg_pool2d: output_size must be > 0, got (0, 2)");
  check_error([&] { adaptive_max_pool2d(zeros({5}), 2); }, "adaptive_max_pool2d: expected a 3-D (unbatched) or 4-D");
  // a batch of 0 is allowed, as in PyTorch
  BOOST_TEST(to_string(max_pool2d(zeros({0, 2, 4, 4}), 2).shape()) == "(0,2,2,2)");
}

BOOST_AUTO_TEST_SUITE_END()
