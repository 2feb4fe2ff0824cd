// Conv1d, Conv2d and ConvTranspose2d: PyTorch's parameter layouts, names, default initialisation
// bounds and repr; forward is the functional op; bad input names the layer and the shapes.
#include "support/check.hpp"

#include <cmath>

using namespace descent;
using descent::testing::check_error;

namespace {

double max_abs(const Tensor& t) { return max(abs(t.detach().to(float64))).item<double>(); }

/// PyTorch's default initialisation (kaiming_uniform_ with a = √5, bias in ±1/√fan_in) puts both
/// in ±1/√fan_in; with a few hundred values the largest comes within 5% of that bound.
void check_init_bound(const Tensor& t, double fan_in) {
  const double bound = 1 / std::sqrt(fan_in), m = max_abs(t);
  BOOST_TEST(m <= bound);
  BOOST_TEST(m > 0.95 * bound);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv_layers)

BOOST_AUTO_TEST_CASE(parameters_have_pytorchs_layouts_names_and_initialisation) {
  Generator gen(3);
  nn::Conv2d conv(3, 64, 3, {}, gen);
  BOOST_TEST(to_string(conv.weight.shape()) == "(64,3,3,3)");
  BOOST_TEST(to_string(conv.bias.shape()) == "(64,)");
  const auto named = conv.named_parameters();
  BOOST_TEST_REQUIRE(named.size() == 2u);
  BOOST_TEST(named[0].first == "weight");
  BOOST_TEST(named[1].first == "bias");
  check_init_bound(conv.weight, 27);
  check_init_bound(conv.bias, 27);

  nn::Conv2d grouped(4, 300, {3, 2}, {.groups = 2, .bias = false, .dtype = float64}, gen);
  BOOST_TEST(to_string(grouped.weight.shape()) == "(300,2,3,2)");
  BOOST_TEST(!grouped.bias.defined());
  BOOST_TEST((grouped.weight.dtype() == float64));
  check_init_bound(grouped.weight, 12);

  nn::Conv1d conv1(3, 40, 5, {}, gen);
  BOOST_TEST(to_string(conv1.weight.shape()) == "(40,3,5)");
  check_init_bound(conv1.weight, 15);

  // ConvTranspose2d's weight is (in, out/groups, kh, kw), and PyTorch computes its fan_in from that
  // layout: out/groups·kh·kw = 72 here (not in·kh·kw = 18).
  nn::ConvTranspose2d up(2, 8, 3, {}, gen);
  BOOST_TEST(to_string(up.weight.shape()) == "(2,8,3,3)");
  BOOST_TEST(to_string(up.bias.shape()) == "(8,)");
  check_init_bound(up.weight, 72);
  nn::ConvTranspose2d up_grouped(4, 300, 2, {.groups = 2}, gen);
  BOOST_TEST(to_string(up_grouped.weight.shape()) == "(4,150,2,2)");
  BOOST_TEST(to_string(up_grouped.bias.shape()) == "(300,)");
}

BOOST_AUTO_TEST_CASE(forward_is_the_functional_op) {
  Generator gen(4);
  const Tensor x = randn({2, 4, 7, 6}, gen);
  nn::Conv2d conv(4, 6, {3, 2}, {.stride = {2, 1}, .padding = {1, 0}, .dilation = 2, .groups = 2}, gen);
  const Tensor expected = conv2d(x, conv.weight, conv.bias, {2, 1}, {1, 0}, 2, 2);
  BOOST_TEST(max_abs(conv(x) - expected) == 0.0);
  nn::Conv2d same(4, 3, 4, {.padding = "same"}, gen);
  BOOST_TEST(to_string(same(x).shape()) == "(2,3,7,6)");
  BOOST_TEST(to_string(same(squeeze(narrow(x, 0, 0, 1), 0)).shape()) == "(3,7,6)");

  const Tensor s = randn({2, 3, 9}, gen);
  nn::Conv1d conv1(3, 6, 4, {.padding = "same", .groups = 3}, gen);
  BOOST_TEST(max_abs(conv1(s) - conv1d(s, conv1.weight, conv1.bias, 1, "same", 1, 3)) == 0.0);

  nn::ConvTranspose2d up(4, 6, 3, {.stride = 2, .padding = 1, .output_padding = 1, .groups = 2}, gen);
  const Tensor y = up(x);
  BOOST_TEST(to_string(y.shape()) == "(2,6,14,12)");
  BOOST_TEST(max_abs(y - conv_transpose2d(x, up.weight, up.bias, 2, 1, 1, 2)) == 0.0);
  // Trains: a gradient reaches every parameter.
  sum(y * y).backward();
  BOOST_TEST(max_abs(up.weight.grad()) > 0);
  BOOST_TEST(max_abs(up.bias.grad()) > 0);
}

BOOST_AUTO_TEST_CASE(describe_matches_pytorchs_repr) {
  // Expected strings printed by torch 1.13's repr of the same layers.
  BOOST_TEST(nn::Conv2d(1, 32, 3, {.padding = 1}).describe() ==
             "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
  BOOST_TEST(nn::Conv2d(4, 6, {3, 2}, {.stride = {2, 1}, .padding = {1, 0}, .dilation = 2, .groups = 2, .bias = false})
                 .describe() ==
             "Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 2), groups=2, bias=False)");
  BOOST_TEST(nn::Conv2d(2, 4, 4, {.padding = "same"}).describe() ==
             "Conv2d(2, 4, kernel_size=(4, 4), stride=(1, 1), padding=same)");
  BOOST_TEST(nn::Conv2d(2, 4, 3, {.padding = "valid"}).describe() ==
             "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=valid)");
  BOOST_TEST(nn::Conv1d(3, 6, 5, {.stride = 2, .padding = 2, .dilation = 3, .groups = 3}).describe() ==
             "Conv1d(3, 6, kernel_size=(5,), stride=(2,), padding=(2,), dilation=(3,), groups=3)");
  BOOST_TEST(nn::Conv1d(3, 6, 4, {.padding = "same", .bias = false}).describe() ==
             "Conv1d(3, 6, kernel_size=(4,), stride=(1,), padding=same, bias=False)");
  BOOST_TEST(nn::ConvTranspose2d(2, 8, 3).describe() == "ConvTranspose2d(2, 8, kernel_size=(3, 3), stride=(1, 1))");
  BOOST_TEST(nn::ConvTranspose2d(4, 6, {3, 2},
                                 {.stride = 2, .padding = 1, .output_padding = 1, .groups = 2, .bias = false,
                                  .dilation = {1, 2}})
                 .describe() ==
             "ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(1, 2), "
             "output_padding=(1, 1), groups=2, bias=False)");
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_layer_and_the_shapes) {
  nn::Conv2d conv(3, 8, 3);
  check_error([&] { conv(zeros({2, 4, 8, 8})); },
              "Conv2d: expected input with 3 channels (in_channels), got 4 in shape (2,4,8,8)");
  check_error([&] { conv(zeros({3, 8})); }, "Conv2d: expected a 3-D or 4-D input, got shape (3,8)");
  check_error([&] { conv(zeros({2, 3, 2, 8})); },
              "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)): conv2d: the kernel (extent 3 with dilation) is larger "
              "than the padded input (2) of input (2,3,2,8) with weight (8,3,3,3)");
  check_error([] { nn::Conv2d(3, 8, 3, {.groups = 2}); }, "Conv2d: groups 2 must divide in_channels 3 and out_channels 8");
  check_error([] { nn::Conv2d(3, 8, 0); }, "Conv2d: kernel_size must be positive, got 0");
  check_error([] { nn::Conv2d(0, 8, 3); }, "Conv2d: in_channels and out_channels must be positive, got in_channels=0");
  check_error([] { nn::Conv2d(3, 8, 3, {.stride = 2, .padding = "same"}); }, "Conv2d: padding \"same\" needs stride 1");
  check_error([] { nn::Conv2d(3, 8, 3, {.padding = "full"}); }, "Conv2d: padding must be a number, \"same\" or \"valid\"");

  nn::Conv1d conv1(2, 4, 3);
  check_error([&] { conv1(zeros({5, 3, 9})); }, "Conv1d: expected input with 2 channels (in_channels), got 3");
  check_error([] { nn::Conv1d(2, 4, -3); }, "Conv1d: kernel_size must be positive, got -3");

  nn::ConvTranspose2d up(4, 2, 3, {.stride = 2});
  check_error([&] { up(zeros({1, 2, 5, 5})); },
              "ConvTranspose2d: expected input with 4 channels (in_channels), got 2 in shape (1,2,5,5)");
  check_error([] { nn::ConvTranspose2d(4, 6, 3, {.groups = 4}); }, "ConvTranspose2d: groups 4 must divide");
}

BOOST_AUTO_TEST_SUITE_END()
