// Pooling, Dropout2d and Upsample layers: PyTorch's reprs (printed by torch 1.13 for the same
// arguments), the op they forward to, eval mode, and errors that name the layer and the shapes.
#include "ops/pool_cases.hpp"

using namespace descent;
using namespace descent::testing;

BOOST_AUTO_TEST_CASE(describe_prints_pytorchs_repr) {
  BOOST_TEST(nn::MaxPool2d(2).describe() == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  BOOST_TEST(nn::MaxPool2d(Size2{2, 3}).describe()  // ({2, 3} alone would also read as MaxPool2d(2, 3))
             ==
             "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=False)");
  BOOST_TEST(nn::MaxPool1d(3).describe() == "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)");
  BOOST_TEST(nn::AvgPool2d(2).describe() == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  BOOST_TEST(nn::AvgPool2d({2, 3}, 1, {1, 0}, true, false).describe() ==
             "AvgPool2d(kernel_size=(2, 3), stride=1, padding=(1, 0))");
  BOOST_TEST(nn::AvgPool1d(3).describe() == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))");
  BOOST_TEST(nn::AdaptiveAvgPool2d(5).describe() == "AdaptiveAvgPool2d(output_size=5)");
  BOOST_TEST(nn::AdaptiveAvgPool2d({5, 7}).describe() == "AdaptiveAvgPool2d(output_size=(5, 7))");
  BOOST_TEST(nn::AdaptiveMaxPool2d(3).describe() == "AdaptiveMaxPool2d(output_size=3)");
  BOOST_TEST(nn::Dropout2d(0.3).describe() == "Dropout2d(p=0.3)");  // (no inplace in descent)
  BOOST_TEST(nn::Upsample({.scale_factor = 2}).describe() == "Upsample(scale_factor=2.0, mode=nearest)");
  BOOST_TEST(nn::Upsample({.size = {3, 4}, .mode = "bilinear", .align_corners = true}).describe() ==
             "Upsample(size=(3, 4), mode=bilinear)");
  BOOST_TEST(nn::Upsample({.size = 5, .mode = "bilinear"}).describe() == "Upsample(size=5, mode=bilinear)");
}

BOOST_AUTO_TEST_CASE(layers_forward_to_their_op) {
  const Tensor x = pool_input({2, 3, 7, 6}).detach();
  const auto same = [](const Tensor& a, const Tensor& b) { return to_string(a) == to_string(b); };
  BOOST_TEST(same(nn::MaxPool2d(3, 2, 1)(x), max_pool2d(x, 3, 2, 1)));
  BOOST_TEST(same(nn::MaxPool2d(3, 2, 1, 2, true)(x), max_pool2d(x, 3, 2, 1, 2, true)));
  BOOST_TEST(same(nn::AvgPool2d(3, 2, 1, true, false)(x), avg_pool2d(x, 3, 2, 1, true, false)));
  BOOST_TEST(same(nn::AdaptiveAvgPool2d({3, 2})(x), adaptive_avg_pool2d(x, {3, 2})));
  BOOST_TEST(same(nn::AdaptiveMaxPool2d(1)(x), adaptive_max_pool2d(x, 1)));
  const Tensor s = pool_input({2, 3, 9}).detach();
  BOOST_TEST(same(nn::MaxPool1d(3, 2, 1, 2, true)(s), max_pool1d(s, 3, 2, 1, 2, true)));
  BOOST_TEST(same(nn::AvgPool1d(4, 3, 2, true, false)(s), avg_pool1d(s, 4, 3, 2, true, false)));
  BOOST_TEST(same(nn::Upsample({.size = {5, 7}, .mode = "bilinear"})(x), interpolate(x, {.size = {5, 7}, .mode = "bilinear"})));
  BOOST_TEST(to_string(nn::MaxPool2d(2)(x).shape()) == "(2,3,3,3)");
}

BOOST_AUTO_TEST_CASE(dropout2d_is_the_identity_in_eval_mode) {
  Generator gen(5), same_gen(5);
  nn::Dropout2d layer(0.5, gen);
  const Tensor x = ones({4, 6, 2, 2}, float64);
  BOOST_TEST(to_string(layer(x)) == to_string(dropout2d(x, 0.5, true, same_gen)));  // training: the op, same draws
  layer.eval();
  BOOST_TEST(layer(x).is_same(x));
  check_error([] { nn::Dropout2d(-0.1); }, "Dropout2d: invalid p -0.1 (must be in [0, 1])");
}

BOOST_AUTO_TEST_CASE(errors_name_the_layer_and_the_shapes) {
  check_error([] { nn::MaxPool2d(2)(zeros({4, 4})); },
              "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False): max_pool2d: expected a 3-D "
              "(unbatched) or 4-D (batched) input, got shape (4,4)");
  check_error([] { nn::AvgPool2d(5)(zeros({1, 1, 3, 3})); },
              "AvgPool2d(kernel_size=5, stride=5, padding=0): avg_pool2d: input of shape (1,1,3,3) with kernel_size (5, 5)");
  check_error([] { nn::MaxPool1d(2, {}, 2)(zeros({1, 2, 8})); }, "MaxPool1d(kernel_size=2, stride=2, padding=2, dilation=1, "
                                                                   "ceil_mode=False): max_pool1d: padding 2 must be at most half of kernel_size 2");
  check_error([] { nn::Upsample({.scale_factor = 2, .mode = "bilinear"})(zeros({1, 2, 3})); },
              "Upsample(scale_factor=2.0, mode=bilinear): interpolate: mode \"bilinear\" expects a 4-D (N, C, H, W) input, got shape (1,2,3)");
  check_error([] { nn::Dropout2d()(zeros({3})); }, "Dropout2d(p=0.5): dropout2d: expected a 3-D");
  check_error([] { nn::Upsample({}); }, "Upsample: give exactly one of size and scale_factor");
}
