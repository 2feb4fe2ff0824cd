#include "support/check.hpp"

using namespace descent;
using testing::check_error;
using testing::check_gradient;
using testing::check_values;
using testing::random_input;

namespace {

/// 0, 1, 2, ... in `shape` (row-major), as NumPy's arange(n).reshape(shape).
Tensor seq(const Shape& shape, Dtype dtype = float64) {
  return reshape(arange(static_cast<double>(numel(shape)), dtype), {shape.begin(), shape.end()});
}

Tensor plus(const Tensor& x, double v) { return x + v; }

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl().owner == b.impl().owner; }

Tensor int_tensor(const xt::xarray<double>& values) { return tensor(values, int64); }

/// Expected values given flat, in row-major order (nested braces with one element are ambiguous).
xt::xarray<double> shaped(xt::xarray<double> values, const std::vector<std::size_t>& shape) {
  values.reshape(shape);
  return values;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shape_views)

BOOST_AUTO_TEST_CASE(transpose_is_a_view) {
  const Tensor x = seq({2, 3});
  const Tensor t = transpose(x);
  check_values(t, {{0, 3}, {1, 4}, {2, 5}});
  BOOST_TEST(shares_storage(t, x));
  BOOST_TEST(t.impl().data == x.impl().data);
  BOOST_TEST(!t.is_contiguous());
  BOOST_TEST(transpose(t).is_contiguous());  // a view of a view: back to row-major
  check_values(transpose(seq({2, 3, 4}), 0, -1),
               {{{0, 12}, {4, 16}, {8, 20}}, {{1, 13}, {5, 17}, {9, 21}}, {{2, 14}, {6, 18}, {10, 22}},
                {{3, 15}, {7, 19}, {11, 23}}});
  check_values(transpose(seq({2, 3}, int64)), {{0, 3}, {1, 4}, {2, 5}});
  check_values(transpose(transpose(seq({2, 3}, float32))), {{0, 1, 2}, {3, 4, 5}});
  check_error([] { transpose(seq({3})); }, "transpose: axis -2 out of range for shape (3,)");
  check_error([] { transpose(seq({2, 3}), 0, 2); }, "transpose: axis 2 out of range for shape (2,3)");
}

BOOST_AUTO_TEST_CASE(transpose_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return transpose(x[0]); }, {random_input({2, 3}, 1)});
  check_gradient([](const std::vector<Tensor>& x) { return transpose(x[0], -3, 2); }, {random_input({2, 3, 4}, 2)});
  // Through a view of a view, into an elementwise op that reads the strided values.
  check_gradient([](const std::vector<Tensor>& x) { return transpose(transpose(x[0], 0, 1), 1, 2) * x[1]; },
                 {random_input({2, 3, 4}, 3), random_input({3, 4, 2}, 4)});
}

BOOST_AUTO_TEST_CASE(permute_is_a_view) {
  const Tensor x = seq({2, 3, 4});
  const Tensor p = permute(x, {2, 0, 1});
  BOOST_TEST(shares_storage(p, x));
  BOOST_TEST(to_string(p.shape()) == "(4,2,3)");
  check_values(p, {{{0, 4, 8}, {12, 16, 20}}, {{1, 5, 9}, {13, 17, 21}}, {{2, 6, 10}, {14, 18, 22}},
                   {{3, 7, 11}, {15, 19, 23}}});
  check_values(permute(x, {-1, 0, -2}), xt::xarray<double>(p.to_xarray<double>()));
  check_values(permute(p, {1, 2, 0}), x.to_xarray<double>());  // the inverse permutation
  check_values(permute(seq({2, 2}, boolean), {1, 0}), {{0, 1}, {1, 1}});
  check_error([] { permute(seq({2, 3}), {0}); }, "permute: axes (0,) do not match shape (2,3): expected 2 axes");
  check_error([] { permute(seq({2, 3}), {1, -1}); }, "permute: axes (1,-1) repeat axis 1 of shape (2,3)");
  check_error([] { permute(seq({2, 3}), {0, 2}); }, "permute: axis 2 out of range for shape (2,3)");
}

BOOST_AUTO_TEST_CASE(permute_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return permute(x[0], {2, 0, 1}); }, {random_input({2, 3, 4}, 5)});
  check_gradient([](const std::vector<Tensor>& x) { return permute(permute(x[0], {1, 2, 0}), {2, 1, 0}); },
                 {random_input({2, 3, 4}, 6)});
}

BOOST_AUTO_TEST_CASE(narrow_is_a_view) {
  const Tensor x = seq({2, 3, 4});
  const Tensor n = narrow(x, 1, 1, 2);
  BOOST_TEST(shares_storage(n, x));
  BOOST_TEST(n.impl().data == static_cast<void*>(x.data<double>() + 4));
  check_values(n, {{{4, 5, 6, 7}, {8, 9, 10, 11}}, {{16, 17, 18, 19}, {20, 21, 22, 23}}});
  check_values(narrow(x, -1, -3, 2), {{{1, 2}, {5, 6}, {9, 10}}, {{13, 14}, {17, 18}, {21, 22}}});
  check_values(narrow(narrow(x, 2, 1, 3), 2, 1, 1), shaped({2, 6, 10, 14, 18, 22}, {2, 3, 1}));  // view of a view
  check_values(narrow(transpose(seq({3, 2})), 1, 2, 1), shaped({4, 5}, {2, 1}));
  check_values(narrow(seq({5}, int64), 0, 4, 1), {4.0});
  BOOST_TEST(to_string(narrow(x, 0, 2, 0).shape()) == "(0,3,4)");  // empty, at the end
  check_error([] { narrow(seq({2, 4}), 1, 3, 2); },
              "narrow: start 3 and length 2 run past the end of axis 1 of size 4 in shape (2,4)");
  check_error([] { narrow(seq({2, 4}), 1, -5, 1); }, "narrow: start -5 out of range for axis 1 of size 4");
  check_error([] { narrow(seq({2, 4}), 2, 0, 1); }, "narrow: axis 2 out of range for shape (2,4)");
}

BOOST_AUTO_TEST_CASE(narrow_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return narrow(x[0], 1, 1, 2); }, {random_input({2, 4, 3}, 7)});
  check_gradient([](const std::vector<Tensor>& x) { return narrow(x[0], -1, -2, 2); }, {random_input({3, 4}, 8)});
  check_gradient([](const std::vector<Tensor>& x) { return narrow(transpose(narrow(x[0], 0, 1, 3)), 0, 1, 2); },
                 {random_input({5, 4}, 9)});
  // Slices of one tensor used twice: their gradients add up.
  check_gradient([](const std::vector<Tensor>& x) { return narrow(x[0], 0, 0, 2) * narrow(x[0], 0, 1, 2); },
                 {random_input({3, 2}, 10)});
  // The gradient in the slice, zero elsewhere.
  Tensor x = seq({2, 4}).requires_grad_();
  sum(narrow(x, 1, 1, 2) * seq({2, 2})).backward();
  check_values(x.grad(), {{0, 0, 1, 0}, {0, 2, 3, 0}});
}

BOOST_AUTO_TEST_CASE(reshape_views_and_copies) {
  const Tensor x = seq({4, 3, 2});
  BOOST_TEST(shares_storage(reshape(x, {6, -1}), x));
  BOOST_TEST(shares_storage(reshape(narrow(x, 0, 1, 2), {-1}), x));      // rows of a contiguous tensor
  const Tensor cols = narrow(x, 1, 1, 2);                                  // (4,2,2), rows apart
  const Tensor merged = reshape(cols, {4, 4});
  BOOST_TEST(shares_storage(merged, x));                                  // the last two axes still merge
  check_values(merged, {{2, 3, 4, 5}, {8, 9, 10, 11}, {14, 15, 16, 17}, {20, 21, 22, 23}});
  const Tensor whole = reshape(cols, {16});                                // these do not: a copy
  BOOST_TEST(!shares_storage(whole, x));
  check_values(whole, {2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 20, 21, 22, 23});
  check_values(reshape(transpose(seq({3, 4})), {2, 6}), {{0, 4, 8, 1, 5, 9}, {2, 6, 10, 3, 7, 11}});
  check_values(reshape(transpose(seq({3, 1})), {3}), {0, 1, 2});          // unit axes: any strides
  const Tensor column = seq({3, 1});
  BOOST_TEST(shares_storage(reshape(transpose(column), {3}), column));
  check_values(reshape(seq({1, 1}), {}), 0.0);
  check_values(reshape(seq({2, 3}, int64), {3, 2}), {{0, 1}, {2, 3}, {4, 5}});
  check_error([] { reshape(seq({2, 3}), {4, -1}); },
              "reshape: cannot reshape (2,3) (6 elements) into (4,-1): the other dimensions hold 4 elements, which do not "
              "divide 6");
  check_error([] { reshape(seq({2, 3}), {-1, -1}); }, "only one dimension can be -1, cannot reshape (2,3) into (-1,-1)");
  check_error([] { reshape(seq({2, 3}), {-2, -3}); },
              "reshape: invalid dimension -2 in (-2,-3) for (2,3) (dimensions are >= 0, or -1 for the one to infer)");
  check_error([] { reshape(seq({0, 3}), {-1, 0}); },
              "reshape: cannot reshape (0,3) into (-1,0): the -1 is ambiguous when the other dimensions hold 0 elements");
  check_error([] { reshape(seq({2, 3}), {5}); }, "reshape: cannot reshape (2,3) (6 elements) into (5,) (5 elements)");
}

BOOST_AUTO_TEST_CASE(reshape_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return reshape(x[0], {3, -1}); }, {random_input({2, 3}, 11)});
  check_gradient([](const std::vector<Tensor>& x) { return reshape(transpose(x[0]), {-1}); },
                 {random_input({3, 4}, 12)});
  check_gradient([](const std::vector<Tensor>& x) { return reshape(narrow(x[0], 1, 1, 2), {4, 4}); },
                 {random_input({4, 3, 2}, 13)});
}

BOOST_AUTO_TEST_CASE(flatten_squeeze_unsqueeze) {
  const Tensor x = seq({2, 3, 4});
  BOOST_TEST(to_string(flatten(x).shape()) == "(24,)");
  BOOST_TEST(to_string(flatten(x, 1).shape()) == "(2,12)");
  BOOST_TEST(to_string(flatten(x, 0, -2).shape()) == "(6,4)");
  BOOST_TEST(to_string(flatten(x, -2, -2).shape()) == "(2,3,4)");
  BOOST_TEST(to_string(flatten(seq({})).shape()) == "(1,)");
  check_values(flatten(transpose(seq({2, 3}))), {0, 3, 1, 4, 2, 5});
  check_error([] { flatten(seq({2, 3, 4}), 2, 1); }, "flatten: start axis 2 comes after end axis 1 in shape (2,3,4)");
  check_error([] { flatten(seq({2, 3, 4}), 3); }, "flatten: axis 3 out of range for shape (2,3,4)");
  check_error([] { flatten(seq({2, 3, 4}), 0, -4); }, "flatten: axis -4 out of range for shape (2,3,4)");
  check_error([] { nn::Flatten(1, 5)(seq({2, 3})); }, "flatten: axis 5 out of range for shape (2,3)");

  const Tensor y = seq({1, 3, 1, 2});
  BOOST_TEST(to_string(squeeze(y).shape()) == "(3,2)");
  BOOST_TEST(to_string(squeeze(y, 2).shape()) == "(1,3,2)");
  BOOST_TEST(to_string(squeeze(y, -4).shape()) == "(3,1,2)");
  BOOST_TEST(to_string(squeeze(seq({1, 1})).shape()) == "()");
  BOOST_TEST(shares_storage(squeeze(y), y));
  const Tensor ty = transpose(y, 1, 3);  // (1,2,1,3), not contiguous: squeezing is still a view
  BOOST_TEST(shares_storage(squeeze(ty), y));
  check_values(squeeze(ty), {{0, 2, 4}, {1, 3, 5}});
  check_error([] { squeeze(seq({2, 3}), 1); }, "squeeze: axis 1 of shape (2,3) has size 3, not 1");
  check_error([] { squeeze(seq({2, 3}), 2); }, "squeeze: axis 2 out of range for shape (2,3)");

  const Tensor z = seq({2, 3});
  BOOST_TEST(to_string(unsqueeze(z, 0).shape()) == "(1,2,3)");
  BOOST_TEST(to_string(unsqueeze(z, 2).shape()) == "(2,3,1)");
  BOOST_TEST(to_string(unsqueeze(z, -1).shape()) == "(2,3,1)");
  BOOST_TEST(to_string(unsqueeze(z, -3).shape()) == "(1,2,3)");
  BOOST_TEST(to_string(unsqueeze(seq({}), 0).shape()) == "(1,)");
  BOOST_TEST(shares_storage(unsqueeze(transpose(z), 1), z));
  check_values(unsqueeze(transpose(z), 1), {{{0, 3}}, {{1, 4}}, {{2, 5}}});
  check_values(unsqueeze(seq({2}, boolean), 1), shaped({0, 1}, {2, 1}));
  check_error([] { unsqueeze(seq({2, 3}), 3); }, "unsqueeze: axis 3 out of range");
  check_error([] { unsqueeze(seq({2, 3}), -4); }, "unsqueeze: axis -4 out of range");
}

BOOST_AUTO_TEST_CASE(flatten_squeeze_unsqueeze_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return flatten(transpose(x[0]), 0, 1); },
                 {random_input({2, 3, 2}, 14)});
  check_gradient([](const std::vector<Tensor>& x) { return squeeze(x[0]) * x[1]; },
                 {random_input({1, 3, 1}, 15), random_input({2, 3}, 16)});
  check_gradient([](const std::vector<Tensor>& x) { return squeeze(transpose(x[0], 0, 2), -1); },
                 {random_input({1, 3, 2}, 17)});
  check_gradient([](const std::vector<Tensor>& x) { return unsqueeze(x[0], -2) * x[1]; },
                 {random_input({2, 3}, 18), random_input({2, 4, 3}, 19)});
}

BOOST_AUTO_TEST_CASE(broadcast_to_views) {
  const Tensor x = seq({3, 1});
  const Tensor b = broadcast_to(x, {2, 3, 4});
  BOOST_TEST(shares_storage(b, x));
  check_values(b, {{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}}, {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}}});
  BOOST_TEST(broadcast_to(x, {3, 1}).is_same(x));
  check_values(broadcast_to(transpose(seq({1, 3})), {3, 2}), {{0, 0}, {1, 1}, {2, 2}});
  check_error([] { broadcast_to(seq({3}), {4}); }, "broadcast_to: cannot broadcast (3,) to (4,)");
  check_error([] { broadcast_to(seq({2, 3}), {3}); }, "broadcast_to: cannot broadcast (2,3) to (3,)");
  check_gradient([](const std::vector<Tensor>& x) { return broadcast_to(x[0], {2, 3, 4}); },
                 {random_input({3, 1}, 20)});
  check_gradient([](const std::vector<Tensor>& x) { return broadcast_to(transpose(x[0]), {2, 3, 2}); },
                 {random_input({2, 3}, 21)});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shape_copies)

BOOST_AUTO_TEST_CASE(concat_values) {
  const Tensor a = seq({2, 1}), b = plus(seq({2, 3}), 10), c = transpose(plus(seq({2, 2}), 20));
  const xt::xarray<double> expected{{0, 10, 11, 12, 20, 22}, {1, 13, 14, 15, 21, 23}};
  check_values(concat({a, b, c}, 1), expected);
  check_values(concat({a, b, c}, -1), expected);
  const Tensor rows = concat({seq({1, 2}), transpose(seq({2, 2})), seq({0, 2})});
  check_values(rows, {{0, 1}, {0, 2}, {1, 3}});
  BOOST_TEST(!shares_storage(rows, a));
  check_values(concat({narrow(seq({4, 3}), 1, 1, 2), seq({4, 1})}, 1), {{1, 2, 0}, {4, 5, 1}, {7, 8, 2}, {10, 11, 3}});
  check_values(concat({seq({2}, int64), seq({3}, int64)}), {0, 1, 0, 1, 2});
  BOOST_TEST((concat({seq({2}, int64), seq({3}, int64)}).dtype() == int64));
  check_values(concat({seq({2}, boolean), seq({1}, boolean)}, -1), {0, 1, 0});
  check_values(concat({seq({2, 2}, float32)}, 0), {{0, 1}, {2, 3}});
}

BOOST_AUTO_TEST_CASE(concat_errors) {
  check_error([] { concat({}); }, "concat: expected at least one tensor");
  check_error([] { concat({seq({}), seq({})}); }, "concat: cannot concatenate 0-d tensors");
  check_error([] { concat({seq({2, 3}), seq({3, 3})}, 1); },
              "concat: shapes (2,3) (tensor 0) and (3,3) (tensor 1) differ outside axis 1");
  check_error([] { concat({seq({2, 3}), seq({2, 3}), seq({2, 3, 1})}); },
              "concat: shapes (2,3) (tensor 0) and (2,3,1) (tensor 2) differ outside axis 0");
  check_error([] { concat({seq({2}), seq({2}, float32)}); },
              "concat: dtype mismatch: tensor 0 is float64 (2,), tensor 1 is float32 (2,)");
  check_error([] { concat({seq({2, 3})}, 2); }, "concat: axis 2 out of range for shape (2,3)");
}

BOOST_AUTO_TEST_CASE(concat_gradients) {
  auto f = [](const std::vector<Tensor>& x) { return concat({x[0], transpose(x[1]), x[2]}, 1); };
  check_gradient(f, {random_input({2, 1}, 22), random_input({3, 2}, 23), random_input({2, 2}, 24)});
  check_gradient(f, {random_input({2, 1}, 25), random_input({3, 2}, 26).detach(), random_input({2, 2}, 27)});
  check_gradient([](const std::vector<Tensor>& x) { return concat({x[0], x[0], x[1]}, -3); },
                 {random_input({1, 2, 2}, 28), random_input({2, 2, 2}, 29)});
}

BOOST_AUTO_TEST_CASE(stack_values_and_errors) {
  const Tensor a = seq({2, 3}), b = plus(seq({2, 3}), 10);
  check_values(stack({a, b}), xt::xarray<double>{{{0, 1, 2}, {3, 4, 5}}, {{10, 11, 12}, {13, 14, 15}}});
  check_values(stack({a, b}, 1), {{{0, 1, 2}, {10, 11, 12}}, {{3, 4, 5}, {13, 14, 15}}});
  check_values(stack({a, b}, -1), {{{0, 10}, {1, 11}, {2, 12}}, {{3, 13}, {4, 14}, {5, 15}}});
  check_values(stack({a, transpose(transpose(b))}, 2), stack({a, b}, -1).to_xarray<double>());
  check_values(stack({transpose(seq({3, 2})), a}), {{{0, 2, 4}, {1, 3, 5}}, {{0, 1, 2}, {3, 4, 5}}});
  check_values(stack({seq({}), plus(seq({}), 7)}), {0, 7});
  check_values(stack({seq({2}, int64), seq({2}, int64)}, 1), {{0, 0}, {1, 1}});
  check_error([] { stack({}); }, "stack: expected at least one tensor");
  check_error([] { stack({seq({2, 3}), seq({2, 3}), seq({3, 2})}); },
              "stack: all tensors must have one shape, got (2,3) (tensor 0) and (3,2) (tensor 2)");
  check_error([] { stack({seq({2}), seq({2}, int64)}); },
              "stack: dtype mismatch: tensor 0 is float64 (2,), tensor 1 is int64 (2,)");
  check_error([] { stack({seq({2, 3})}, 3); }, "stack: axis 3 out of range for shape (2,3)");
}

BOOST_AUTO_TEST_CASE(stack_gradients) {
  check_gradient([](const std::vector<Tensor>& x) { return stack({x[0], transpose(x[1]), x[0]}, 1); },
                 {random_input({2, 3}, 30), random_input({3, 2}, 31)});
  check_gradient([](const std::vector<Tensor>& x) { return stack({x[0], x[1]}, -1); },
                 {random_input({2, 2}, 32), random_input({2, 2}, 33).detach()});
  check_gradient([](const std::vector<Tensor>& x) { return stack({x[0], x[1]}); },
                 {random_input({}, 34), random_input({}, 35)});
}

BOOST_AUTO_TEST_CASE(index_select_values) {
  const Tensor rows = int_tensor({2, 0, -1, 2});
  check_values(index_select(seq({4, 3}), 0, rows), {{6, 7, 8}, {0, 1, 2}, {9, 10, 11}, {6, 7, 8}});
  check_values(index_select(seq({2, 3, 4}), -1, int_tensor({3, -4, 1})),
               {{{3, 0, 1}, {7, 4, 5}, {11, 8, 9}}, {{15, 12, 13}, {19, 16, 17}, {23, 20, 21}}});
  check_values(index_select(transpose(seq({3, 4})), 0, int_tensor({1})), {{1, 5, 9}});  // a strided input
  check_values(index_select(seq({4}, int64), 0, narrow(int_tensor({9, 3, 1}), 0, 1, 2)), {3, 1});
  check_values(index_select(seq({3}, boolean), 0, int_tensor({0, 0})), {0, 0});
  BOOST_TEST(to_string(index_select(seq({4, 3}), 1, zeros({0}, int64)).shape()) == "(4,0)");
  check_values(index_select(seq({4, 3}, float32), 1, int_tensor({2})), shaped({2, 5, 8, 11}, {4, 1}));
}

BOOST_AUTO_TEST_CASE(index_select_errors) {
  check_error([] { index_select(seq({4, 3}), 0, int_tensor({1, 4})); },
              "index_select: index 4 is out of range for axis 0 of size 4 in shape (4,3)");
  check_error([] { index_select(seq({4, 3}), 1, int_tensor({-4})); },
              "index_select: index -4 is out of range for axis 1 of size 3");
  check_error([] { index_select(seq({4, 3}), 0, tensor({1.0})); },
              "index_select: indices must be a 1-D int64 tensor, got float32 (1,)");
  check_error([] { index_select(seq({4, 3}), 0, reshape(int_tensor({1, 2}), {2, 1})); },
              "1-D int64 tensor, got int64 (2,1)");
  check_error([] { index_select(seq({4, 3}), 2, int_tensor({1})); },
              "index_select: axis 2 out of range for shape (4,3)");
}

BOOST_AUTO_TEST_CASE(index_select_gradients) {
  // Repeated indices accumulate: numpy.add.at(zeros((4,3)), [2,0,3,2], arange(12).reshape(4,3)).
  Tensor x = seq({4, 3}).requires_grad_();
  sum(index_select(x, 0, int_tensor({2, 0, -1, 2})) * seq({4, 3})).backward();
  check_values(x.grad(), {{3, 4, 5}, {0, 0, 0}, {9, 11, 13}, {6, 7, 8}});
  check_gradient([](const std::vector<Tensor>& x) { return index_select(x[0], 0, int_tensor({2, 0, -1, 2})); },
                 {random_input({4, 3}, 36)});
  check_gradient([](const std::vector<Tensor>& x) { return index_select(x[0], -2, int_tensor({1, 1, 0})); },
                 {random_input({2, 3, 2}, 37)});
  check_gradient([](const std::vector<Tensor>& x) { return index_select(transpose(x[0]), 1, int_tensor({0, 2})); },
                 {random_input({3, 2}, 38)});
}

BOOST_AUTO_TEST_SUITE_END()
