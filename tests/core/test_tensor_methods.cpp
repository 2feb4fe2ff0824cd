// Tensor's methods (x.sum(), x.reshape(...), ...): each equals its free function, gradients flow
// through them, and full reductions keep their dims with all_axes.
#include "support/check.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {
Tensor grid() { return reshape(arange(6.0, float64), {2, 3}); }  // [[0, 1, 2], [3, 4, 5]]
bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && max(abs(a.to(float64) - b.to(float64))).item() == 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(tensor_methods)

BOOST_AUTO_TEST_CASE(reductions) {
  const Tensor x = grid();
  check_values(x.sum(), 15);
  check_values(x.sum({1}), {3, 12});
  check_values(x.mean({0}, true), {{1.5, 2.5, 3.5}});
  check_values(x.max(), 5);
  check_values(x.min({1}), {0, 3});
  BOOST_TEST(same(x.argmax(1), argmax(x, 1)));
  // a full reduction that keeps the dims, without listing every axis
  BOOST_TEST(to_string(x.sum(all_axes, true).shape()) == "(1,1)");
  check_values(x.mean(all_axes, true).reshape({1}), {2.5});  // ({{2.5}} is ambiguous for xtensor's literals)
  check_values(x.max(all_axes, true).reshape({1}), {5});
  check_values(sum(x, all_axes, false), 15);
  BOOST_TEST(to_string(min(x, all_axes, false).shape()) == "()");
  // an empty Axes{} reduces nothing, as NumPy's axis=()
  BOOST_TEST(same(x.sum(Axes{}), x));
}

BOOST_AUTO_TEST_CASE(shapes) {
  const Tensor x = grid();
  BOOST_TEST(to_string(x.reshape({3, 2}).shape()) == "(3,2)");
  BOOST_TEST(to_string(x.view({-1}).shape()) == "(6,)");
  BOOST_TEST(to_string(x.unsqueeze(1).shape()) == "(2,1,3)");
  BOOST_TEST(to_string(x.unsqueeze(0).squeeze().shape()) == "(2,3)");
  BOOST_TEST(to_string(x.unsqueeze(0).squeeze(0).shape()) == "(2,3)");
  BOOST_TEST(to_string(reshape(x, {1, 2, 3}).flatten().shape()) == "(6,)");
  BOOST_TEST(same(x.t(), transpose(x, 0, 1)));
  const Tensor v = arange(3.0, float64);
  BOOST_TEST(x.t().t().is_contiguous());
  BOOST_TEST(same(v.t(), v));  // a 1-D tensor unchanged, as PyTorch
  BOOST_TEST(same(x.transpose(0, 1), transpose(x, 0, 1)));
  BOOST_TEST(same(reshape(arange(24.0, float64), {2, 3, 4}).permute({2, 0, 1}),
                  permute(reshape(arange(24.0, float64), {2, 3, 4}), {2, 0, 1})));
  BOOST_TEST(same(x.contiguous(), x));
  check_error([&] { reshape(arange(24.0), {2, 3, 4}).t(); }, "t: expects a tensor with <= 2 dimensions, got shape (2,3,4)");
  // view never copies: a transpose cannot be flattened in place
  check_error([&] { x.t().view({6}); }, "view: shape (6,) is not compatible with the strides of input (3,2)");
  BOOST_TEST(same(x.t().reshape({6}), reshape(transpose(x, 0, 1), {6})));
}

BOOST_AUTO_TEST_CASE(arithmetic_and_activations) {
  const Tensor x = grid() - 2.5;
  BOOST_TEST(same(x.matmul(x.t()), matmul(x, transpose(x, 0, 1))));
  BOOST_TEST(same(x.pow(2), pow(x, 2)));
  BOOST_TEST(same(x.abs().pow(x.abs()), pow(abs(x), abs(x))));
  BOOST_TEST(same(x.exp(), exp(x)));
  BOOST_TEST(same(x.abs().log(), log(abs(x))));
  BOOST_TEST(same(x.abs().sqrt(), sqrt(abs(x))));
  BOOST_TEST(same(x.neg(), -x));
  BOOST_TEST(same(x.clamp(-1, 1), clamp(x, -1, 1)));
  BOOST_TEST(same(x.relu(), relu(x)));
  BOOST_TEST(same(x.sigmoid(), sigmoid(x)));
  BOOST_TEST(same(x.tanh(), tanh(x)));
  BOOST_TEST(same(x.softmax(1), softmax(x, 1)));
  BOOST_TEST(same(x.log_softmax(0), log_softmax(x, 0)));
  BOOST_TEST(same(x.to(float32), x.to(float32)));
}

BOOST_AUTO_TEST_CASE(gradients_flow_through_methods) {
  Tensor w = tensor({1, -2, 3}, float64).requires_grad_();
  const Tensor loss = (w.unsqueeze(0).matmul(w.unsqueeze(1)).sum() + w.pow(3).mean(all_axes, true).sum()).relu();
  loss.backward();
  // d/dw (w·w + mean(w³)) = 2w + w²
  check_values(w.grad(), {3, 0, 15});
}

BOOST_AUTO_TEST_SUITE_END()
