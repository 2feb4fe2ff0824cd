// pad, interpolate, dropout and dropout2d: values and gradients against PyTorch (pool_values.inc, from
// pool_reference.py), contiguous and strided input; gradcheck and gradgradcheck in float64;
// argument errors.
#include "ops/pool_cases.hpp"

using namespace descent;
using namespace descent::testing;

namespace {
#include "ops/pool_values.inc"
}  // namespace

BOOST_AUTO_TEST_SUITE(pad_and_interpolate_match_pytorch)

BOOST_AUTO_TEST_CASE(pad_modes) {
  check_reference("constant", {2, 3, 4}, [](const Tensor& x) { return descent::pad(x, {1, 2, 0, 1}, "constant", 0.5); },
                  pad_constant_y, pad_constant_dx);
  check_reference("constant, negative pads crop", {2, 3, 4}, [](const Tensor& x) { return descent::pad(x, {-1, 2, 1, -2}); },
                  pad_constant_crop_y, pad_constant_crop_dx);
  check_reference("constant, every axis", {2, 3}, [](const Tensor& x) { return descent::pad(x, {1, 1, 2, 0}, "constant", -1); },
                  pad_constant_every_axis_y, pad_constant_every_axis_dx);
  check_reference("reflect", {2, 3, 5}, [](const Tensor& x) { return descent::pad(x, {2, 4}, "reflect"); }, pad_reflect_y,
                  pad_reflect_dx);
  check_reference("reflect, 2 axes", {1, 2, 4, 5}, [](const Tensor& x) { return descent::pad(x, {1, 2, 3, 1}, "reflect"); },
                  pad_reflect_2d_y, pad_reflect_2d_dx);
  check_reference("replicate", {2, 3, 4}, [](const Tensor& x) { return descent::pad(x, {3, 1}, "replicate"); },
                  pad_replicate_y, pad_replicate_dx);
  check_reference("replicate, 2 axes", {1, 2, 3, 4},
                  [](const Tensor& x) { return descent::pad(x, {2, 1, 0, 3}, "replicate"); }, pad_replicate_2d_y,
                  pad_replicate_2d_dx);
  check_reference("replicate, 3 axes", {1, 2, 3, 2, 3},
                  [](const Tensor& x) { return descent::pad(x, {1, 0, 0, 2, 1, 1}, "replicate"); }, pad_replicate_3d_y,
                  pad_replicate_3d_dx);
}

BOOST_AUTO_TEST_CASE(interpolate_nearest) {
  check_reference("to a size", {1, 2, 3, 4}, [](const Tensor& x) { return interpolate(x, {.size = {5, 7}}); },
                  nearest_size_y, nearest_size_dx);
  check_reference("scale_factor 2", {2, 1, 3, 3}, [](const Tensor& x) { return interpolate(x, {.scale_factor = 2}); },
                  nearest_scale2_y, nearest_scale2_dx);
  check_reference("scale_factor 1.7 (the index rule uses the factor)", {1, 1, 4, 5},
                  [](const Tensor& x) { return interpolate(x, {.scale_factor = 1.7}); }, nearest_scale_frac_y,
                  nearest_scale_frac_dx);
  check_reference("3-D", {2, 2, 5}, [](const Tensor& x) { return interpolate(x, {.size = 8}); }, nearest_1d_y,
                  nearest_1d_dx);
  check_reference("down", {1, 2, 4, 7}, [](const Tensor& x) { return interpolate(x, {.size = {2, 3}}); }, nearest_down_y,
                  nearest_down_dx);
}

BOOST_AUTO_TEST_CASE(interpolate_bilinear) {
  check_reference("align_corners false", {1, 2, 3, 4},
                  [](const Tensor& x) { return interpolate(x, {.size = {5, 7}, .mode = "bilinear", .align_corners = false}); },
                  bilinear_y, bilinear_dx);
  check_reference("align_corners true", {1, 2, 3, 4},
                  [](const Tensor& x) { return interpolate(x, {.size = {5, 7}, .mode = "bilinear", .align_corners = true}); },
                  bilinear_align_y, bilinear_align_dx);
  check_reference("scale_factor (1.5, 2.5)", {1, 2, 4, 5},
                  [](const Tensor& x) { return interpolate(x, {.scale_factor = {1.5, 2.5}, .mode = "bilinear"}); },
                  bilinear_scale_y, bilinear_scale_dx);
  check_reference("down", {1, 1, 6, 7}, [](const Tensor& x) { return interpolate(x, {.size = {4, 3}, .mode = "bilinear"}); },
                  bilinear_down_y, bilinear_down_dx);
  check_reference("one row with align_corners", {1, 1, 3, 4},
                  [](const Tensor& x) { return interpolate(x, {.size = {1, 6}, .mode = "bilinear", .align_corners = true}); },
                  bilinear_align_single_y, bilinear_align_single_dx);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(resample_gradients)

BOOST_AUTO_TEST_CASE(pad_first_and_second_order) {
  check_linear_op("constant", [](Args v) { return descent::pad(v[0], {1, 2, -1, 1}, "constant", 0.3); }, pool_input({2, 3, 4}));
  check_linear_op("reflect", [](Args v) { return descent::pad(v[0], {2, 1, 1, 2}, "reflect"); }, pool_input({1, 3, 4}));
  check_linear_op("replicate", [](Args v) { return descent::pad(v[0], {2, 0, 1, 3}, "replicate"); }, pool_input({1, 3, 3}));
}

BOOST_AUTO_TEST_CASE(interpolate_first_and_second_order) {
  check_linear_op("nearest", [](Args v) { return interpolate(v[0], {.size = {5, 3}}); }, pool_input({1, 2, 3, 4}));
  check_linear_op("nearest 3-D", [](Args v) { return interpolate(v[0], {.scale_factor = 2.5}); }, pool_input({1, 2, 4}));
  check_linear_op("bilinear", [](Args v) { return interpolate(v[0], {.size = {4, 5}, .mode = "bilinear"}); },
                  pool_input({1, 2, 3, 3}));
  check_linear_op("bilinear align_corners",
                  [](Args v) { return interpolate(v[0], {.size = {2, 5}, .mode = "bilinear", .align_corners = true}); },
                  pool_input({2, 1, 3, 4}));
}

BOOST_AUTO_TEST_CASE(dropout2d_first_and_second_order) {
  // the same generator state for every evaluation: the same channels dropped
  check_linear_op("dropout2d", [](Args v) {
    Generator gen(7);
    return dropout2d(v[0], 0.4, true, gen);
  }, pool_input({2, 3, 2, 2}));
}

BOOST_AUTO_TEST_CASE(dropout_first_and_second_order) {
  check_linear_op("dropout", [](Args v) {
    Generator gen(8);
    return dropout(v[0], 0.3, true, gen);
  }, pool_input({2, 3, 4}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dropout_elements)

BOOST_AUTO_TEST_CASE(zeroes_elements_and_scales_the_others) {
  Generator gen(5);
  const Tensor x = ones({40, 50}, float64);
  const Tensor y = dropout(x, 0.25, true, gen);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < 2000; ++i) {
    const double v = y.data<double>()[i];
    BOOST_TEST((v == 0 || std::abs(v - 1 / 0.75) < 1e-15));
    dropped += v == 0;
  }
  BOOST_TEST(dropped > 440u);  // 500 expected of 2000 (σ ≈ 19)
  BOOST_TEST(dropped < 560u);
  BOOST_TEST(dropout(x, 0.25, false, gen).is_same(x));  // not training: x itself
  BOOST_TEST(dropout(x, 0, true, gen).is_same(x));
  BOOST_TEST(sum(dropout(x, 1, true, gen)).item() == 0);
  // nn::Dropout is this op: the same generator state, the same mask
  Generator a(11), b(11);
  nn::Dropout layer(0.4, a);
  BOOST_TEST(max(abs(layer(x) - dropout(x, 0.4, true, b))).item() == 0);
  check_error([&] { dropout(x, 1.5); }, "dropout: invalid p 1.5 (must be in [0, 1])");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dropout2d_channels)

BOOST_AUTO_TEST_CASE(zeroes_whole_channels_and_scales_the_others) {
  Generator gen(3);
  const Tensor x = ones({8, 50, 3, 4}, float64);
  const Tensor y = dropout2d(x, 0.3, true, gen);
  std::size_t dropped = 0;
  for (std::size_t c = 0; c < 8 * 50; ++c) {
    const double first = y.data<double>()[c * 12];
    BOOST_TEST((first == 0 || std::abs(first - 1 / 0.7) < 1e-15));
    for (std::size_t i = 1; i < 12; ++i) BOOST_TEST(y.data<double>()[c * 12 + i] == first);  // the whole channel
    dropped += first == 0;
  }
  BOOST_TEST(dropped > 80u);  // 120 expected of 400 (σ ≈ 9)
  BOOST_TEST(dropped < 160u);
  // unbatched (C, H, W): channels along the first axis
  const Tensor u = dropout2d(ones({400, 2, 2}, float64), 0.5, true, gen);
  const Tensor per_channel = sum(u, {1, 2});
  for (std::size_t c = 0; c < 400; ++c) BOOST_TEST((per_channel.data<double>()[c] == 0 || per_channel.data<double>()[c] == 8));
  BOOST_TEST(dropout2d(x, 0.3, false, gen).is_same(x));  // not training: x itself
  BOOST_TEST(sum(dropout2d(x, 1, true, gen)).item() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(resample_errors)

BOOST_AUTO_TEST_CASE(bad_arguments_name_the_op_and_the_shapes) {
  const Tensor x = zeros({1, 1, 3}, float64);
  check_error([&] { descent::pad(x, {3, 3}, "reflect"); },
              "pad: reflect padding (3, 3) of axis 2 must be >= 0 and < its size 3 (input shape (1,1,3))");
  check_error([&] { descent::pad(zeros({1, 1, 3, 3}), {1, 1}, "reflect"); },
              "pad: mode \"reflect\" pads the last 1 to 3 axes of a tensor with 1 or 2 more axes, got 2 pads for input shape (1,1,3,3)");
  check_error([&] { descent::pad(zeros({3}), {1, 1}, "replicate"); }, "got 2 pads for input shape (3,)");
  check_error([&] { descent::pad(x, {1}); }, "pad: pads of length 1 for input shape (1,1,3)");
  check_error([&] { descent::pad(x, {1, 1, 1, 1, 1, 1, 1, 1}); }, "pad: pads of length 8 for input shape (1,1,3)");
  check_error([&] { descent::pad(x, {-2, -2}); }, "pad: padding (-2, -2) of axis 2 of input shape (1,1,3) gives a negative size -1");
  check_error([&] { descent::pad(x, {1, 1}, "circular"); }, "pad: unknown mode \"circular\"");
  check_error([&] { interpolate(x, {.size = 4, .mode = "bilinear"}); },
              "interpolate: mode \"bilinear\" expects a 4-D (N, C, H, W) input, got shape (1,1,3)");
  check_error([&] { interpolate(zeros({3, 3}), {.size = 4}); }, "interpolate: mode \"nearest\" expects a 3-D");
  check_error([&] { interpolate(x, {.size = 4, .scale_factor = 2}); }, "interpolate: give exactly one of size and scale_factor");
  check_error([&] { interpolate(x, {}); }, "interpolate: give exactly one of size and scale_factor");
  check_error([&] { interpolate(x, {.size = 4, .align_corners = true}); },
              "interpolate: align_corners can only be set with mode \"bilinear\"");
  check_error([&] { interpolate(x, {.size = {4, 5}}); }, "interpolate: size or scale_factor has 2 values for the 1 spatial axis");
  check_error([&] { interpolate(x, {.scale_factor = 0.2}); }, "interpolate: input and output sizes must be > 0: input shape (1,1,3), output size 0");
  check_error([&] { interpolate(x, {.scale_factor = -1.0}); }, "interpolate: scale_factor must be a finite number > 0, got -1.0");
  check_error([&] { interpolate(x, {.size = 4, .mode = "bicubic"}); }, "interpolate: unknown mode \"bicubic\"");
  check_error([&] { dropout2d(zeros({2, 3}), 0.5); }, "dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (2,3)");
  check_error([&] { dropout2d(zeros({1, 2, 3}), 1.5); }, "dropout2d: invalid p 1.5 (must be in [0, 1])");
}

BOOST_AUTO_TEST_SUITE_END()
