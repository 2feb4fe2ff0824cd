// embedding, masked_fill, triu / tril, gather, scatter_add, cumsum, one_hot, split and chunk:
// values and gradients against PyTorch's (float64 literals from indexing_reference.py), first and
// second derivatives against finite differences (broadcasting included), PyTorch's shape rules and
// the errors for bad indices, masks and shapes.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <string>
#include <vector>

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_second_order;
using descent::testing::cosine_upstream;
using descent::testing::random_input;
using descent::testing::sine_filled;
using Args = const std::vector<Tensor>&;

namespace {

#include "indexing_values.inc"

Tensor input(Tensor t) { return t.requires_grad_(); }

Tensor indices(const xt::xarray<double>& values) { return tensor(values, int64); }

/// y's values, and the gradients of sum(y · cos(0.37 k)) for `inputs` (a plain backward: the fast
/// kernels), against PyTorch's.
void check_reference(const Tensor& y, const std::vector<double>& values, const std::vector<Tensor>& inputs,
                     const std::vector<std::vector<double>>& gradients) {
  check_close(y, values);
  const auto grads = autograd::grad({y}, inputs, {cosine_upstream(y.shape())});
  for (std::size_t i = 0; i < inputs.size(); ++i) BOOST_TEST_CONTEXT("input " << i) { check_close(grads[i], gradients[i]); }
}

/// The values of an int64 tensor, row-major.
std::vector<std::int64_t> ints(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {c.data<std::int64_t>(), c.data<std::int64_t>() + c.numel()};
}

std::vector<std::string> shapes(const std::vector<Tensor>& pieces) {
  std::vector<std::string> out;
  for (const Tensor& t : pieces) out.push_back(to_string(t.shape()));
  return out;
}

/// (3, 4) mask of PyTorch's reference: k % 3 == 0 at flat index k.
Tensor every_third() { return eq(tensor({{0, 1, 2, 0}, {1, 2, 0, 1}, {2, 0, 1, 2}}), 0.0); }

}  // namespace

BOOST_AUTO_TEST_SUITE(indexing)

// --- embedding -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(embedding_matches_pytorch_with_and_without_padding) {
  const Tensor w = input(sine_filled({6, 4}, 1.3, 0.7, 0.2));
  const Tensor idx = indices({{1, 3, 1}, {5, 0, 3}});
  const Tensor y = embedding(idx, w);
  BOOST_TEST(to_string(y.shape()) == "(2,3,4)");
  check_reference(y, embedding_y, {w}, {embedding_dw});  // rows 1 and 3 twice: their gradients add
  check_reference(embedding(idx, w, 1), embedding_pad1_y, {w}, {embedding_pad1_dw});
  check_reference(embedding(idx, w, -1), embedding_pad_last_y, {w}, {embedding_pad_last_dw});
}

BOOST_AUTO_TEST_CASE(embedding_shapes_dtypes_and_views) {
  const Tensor w = sine_filled({5, 3}, 1, 0.4, 0.1);
  BOOST_TEST(to_string(embedding(indices(2.0), w).shape()) == "(3,)");  // a 0-d index gives one row
  BOOST_TEST(to_string(embedding(zeros({0, 2}, int64), w).shape()) == "(0,2,3)");
  const Tensor f = embedding(indices({4, 0}), w.to(float32));
  BOOST_TEST((f.dtype() == float32));
  BOOST_TEST(f.at({0, 2}) == w.to(float32).at({4, 2}));
  // a transposed weight and non-contiguous indices read the right elements
  const Tensor wt = transpose(sine_filled({3, 5}, 1, 0.4, 0.1));
  const Tensor it = transpose(indices({{0, 1}, {2, 4}}));  // [[0, 2], [1, 4]]
  BOOST_TEST(embedding(it, wt).at({0, 1, 2}) == wt.at({2, 2}));
  BOOST_TEST(embedding(it, wt).at({1, 1, 0}) == wt.at({4, 0}));
}

BOOST_AUTO_TEST_CASE(embedding_gradients_of_repeated_indices_accumulate_and_skip_padding) {
  const Tensor w = input(ones({4, 2}));
  sum(embedding(indices({{3, 3, 1}, {3, 0, 0}}), w, 0)).backward();
  // row 3 three times, row 1 once, row 0 (padding) none, row 2 unused
  check_close(w.grad().to(float64), {0, 0, 1, 1, 0, 0, 3, 3});
  const Tensor w32 = ones({4, 2}).requires_grad_();
  sum(embedding(indices({1, 1}), w32)).backward();
  BOOST_TEST((w32.grad().dtype() == float32));
  BOOST_TEST(w32.grad().at({1, 0}) == 2.0);
}

BOOST_AUTO_TEST_CASE(embedding_first_and_second_derivatives) {
  const Tensor idx = indices({{1, 3, 1}, {4, 0, 3}});
  const Tensor w = random_input({5, 3}, 1);
  check_second_order([&](Args a) { return embedding(idx, a[0]); }, {w});
  // The padding row gets no gradient by definition, not by calculus: it is checked on a weight whose
  // padding row is zeroed first (so its finite differences are 0 too). The second derivatives go
  // through the padding-aware backward of the backward.
  const auto without_row = [](std::size_t row) {
    Tensor keep = ones({5, 1}, float64);
    keep.data<double>()[row] = 0;
    return keep;
  };
  const Tensor keep3 = without_row(3), keep4 = without_row(4);
  check_second_order([&](Args a) { return embedding(idx, a[0] * keep3, 3); }, {w});
  check_second_order([&](Args a) { return embedding(idx, a[0] * keep4, -1); }, {w});
  // through a function of the rows that is not linear, so the second derivative is not zero
  check_second_order([&](Args a) { return embedding(idx, a[0] * a[0] * keep3, 3) * sum(a[0]); }, {w});
}

BOOST_AUTO_TEST_CASE(embedding_errors) {
  const Tensor w = zeros({6, 4}, float64);
  check_error([&] { embedding(indices({1, 7, 2}), w); }, "embedding: index 7 is out of range for 6 embeddings (weight of shape (6,4))");
  check_error([&] { embedding(indices({-1}), w); }, "index -1 is out of range for 6 embeddings");
  check_error([&] { embedding(tensor({1, 2}), w); }, "embedding: indices must be an int64 tensor, got float32");
  check_error([&] { embedding(indices({1}), zeros({6}, float64)); }, "weight must be 2-D (num_embeddings, embedding_dim), got shape (6,)");
  check_error([&] { embedding(indices({1}), w, 6); }, "embedding: padding_idx 6 is out of range for 6 embeddings");
  check_error([&] { embedding(indices({1}), w, -7); }, "padding_idx -7 is out of range");
}

// --- masked_fill ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(masked_fill_matches_pytorch) {
  const Tensor x = input(sine_filled({2, 3, 4}, 1.1, 0.6, 0.3));
  const Tensor mask = every_third();
  check_reference(masked_fill(x, mask, 0.7), masked_fill_y, {x}, {masked_fill_dx});
  const Tensor v = input(full({}, -0.4, float64));
  check_reference(masked_fill(x, mask, v), masked_fill_tensor_y, {x, v}, {masked_fill_tensor_dx, masked_fill_tensor_dv});
  // x broadcasts to the mask's shape too, as torch.masked_fill
  const Tensor x4 = input(sine_filled({4}, 1.1, 0.6, 0.3));
  const Tensor y = masked_fill(x4, mask, v);
  BOOST_TEST(to_string(y.shape()) == "(3,4)");
  check_reference(y, masked_fill_bx_y, {x4, v}, {masked_fill_bx_dx, masked_fill_bx_dv});
}

BOOST_AUTO_TEST_CASE(masked_fill_dtypes) {
  const Tensor mask = tensor({true, false, true}, boolean);
  BOOST_TEST(ints(masked_fill(tensor({1, 2, 3}, int64), mask, 2.7)) == (std::vector<std::int64_t>{2, 2, 2}),
             boost::test_tools::per_element());
  const Tensor f = masked_fill(zeros({2, 3}), mask, -1e9);  // the attention mask pattern, float32
  BOOST_TEST((f.dtype() == float32));
  BOOST_TEST(f.at({1, 2}) == -1e9f);
  BOOST_TEST(f.at({1, 1}) == 0.0);
  // a float32 value fills a float64 x, and gets its gradient in float32
  const Tensor v = full({}, 0.5, float32).requires_grad_();
  const Tensor x = zeros({2, 3}, float64);
  sum(masked_fill(x, mask, v)).backward();
  BOOST_TEST((v.grad().dtype() == float32));
  BOOST_TEST(v.grad().item() == 4.0);
}

BOOST_AUTO_TEST_CASE(masked_fill_first_and_second_derivatives) {
  const Tensor mask = every_third();
  check_second_order([&](Args a) { return masked_fill(a[0] * a[0], mask, 0.3); }, {random_input({2, 3, 4}, 2)});
  check_second_order([&](Args a) { return masked_fill(a[0] * a[0], mask, a[1] * a[1]); },
                     {random_input({2, 3, 4}, 3), random_input({}, 4)});
  // x broadcast to the mask (the gradient summed back), and a mask broadcast to x
  check_second_order([&](Args a) { return masked_fill(a[0] * a[0], mask, a[1]); },
                     {random_input({3, 1}, 5), random_input({}, 6)});
  const Tensor row = tensor({false, true, true, false}, boolean);
  check_second_order([&](Args a) { return masked_fill(a[0] * a[0], row, a[1]); },
                     {random_input({3, 4}, 7), random_input({}, 8)});
}

BOOST_AUTO_TEST_CASE(masked_fill_errors) {
  const Tensor x = zeros({3, 4}, float64);
  check_error([&] { masked_fill(x, tensor({1, 0, 1, 0}, int64), 1.0); }, "masked_fill: mask must be a bool tensor, got int64");
  check_error([&] { masked_fill(x, eq(zeros({3}), 0.0), 1.0); }, "masked_fill: cannot broadcast (3,4) with (3,)");
  check_error([&] { masked_fill(x, eq(zeros({4}), 0.0), zeros({1}, float64)); }, "value must be a 0-d tensor, got shape (1,)");
}

// --- triu / tril ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(triu_and_tril_match_pytorch) {
  const Tensor x = input(sine_filled({2, 3, 4}, 1.2, 0.9, 0.1));
  check_reference(triu(x), triu_y, {x}, {triu_dx});
  check_reference(triu(x, 1), triu_1_y, {x}, {triu_1_dx});
  check_reference(tril(x, -1), tril_m1_y, {x}, {tril_m1_dx});
  check_reference(tril(x, 2), tril_2_y, {x}, {tril_2_dx});
}

BOOST_AUTO_TEST_CASE(triu_and_tril_of_other_dtypes_and_extreme_diagonals) {
  const Tensor m = tensor({{1, 2, 3}, {4, 5, 6}}, int64);
  BOOST_TEST(ints(triu(m)) == (std::vector<std::int64_t>{1, 2, 3, 0, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(ints(tril(m)) == (std::vector<std::int64_t>{1, 0, 0, 4, 5, 0}), boost::test_tools::per_element());
  BOOST_TEST(ints(triu(m, 5)) == (std::vector<std::int64_t>(6, 0)), boost::test_tools::per_element());
  BOOST_TEST(ints(triu(m, -5)) == ints(m), boost::test_tools::per_element());
  BOOST_TEST(ints(tril(m, -2)) == (std::vector<std::int64_t>(6, 0)), boost::test_tools::per_element());
  // the causal mask of attention: true above the diagonal
  const Tensor causal = triu(ones({3, 3}, boolean), 1);
  BOOST_TEST(causal.at({0, 1}) == 1.0);
  BOOST_TEST(causal.at({1, 1}) == 0.0);
  BOOST_TEST(to_string(tril(zeros({2, 0, 3})).shape()) == "(2,0,3)");
}

BOOST_AUTO_TEST_CASE(triu_and_tril_first_and_second_derivatives) {
  check_second_order([](Args a) { return triu(a[0] * a[0], 1); }, {random_input({2, 3, 4}, 9)});
  check_second_order([](Args a) { return tril(a[0] * a[0], -1); }, {random_input({4, 3}, 10)});
  check_second_order([](Args a) { return tril(transpose(a[0]) * a[0]); }, {random_input({3, 3}, 11)});
}

BOOST_AUTO_TEST_CASE(triu_and_tril_errors) {
  check_error([] { triu(zeros({3})); }, "triu: expected a tensor with at least 2 axes (matrices in the last two), got shape (3,)");
  check_error([] { tril(zeros({})); }, "tril: expected a tensor with at least 2 axes");
}

// --- gather / scatter_add ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gather_matches_pytorch) {
  const Tensor x = input(sine_filled({3, 4}, 1.5, 0.8, 0.4));
  check_reference(gather(x, 1, indices({{0, 3}, {1, 1}, {2, 0}})), gather_1_y, {x}, {gather_1_dx});
  check_reference(gather(x, 0, indices({{2, 0, 1, 2}, {0, 0, 2, 1}})), gather_0_y, {x}, {gather_0_dx});
  // longer than x along the indexed axis (repeats), shorter along the other
  const Tensor y = gather(x, -1, indices({{3, 0, 3, 1, 2}}));
  BOOST_TEST(to_string(y.shape()) == "(1,5)");
  check_reference(y, gather_long_y, {x}, {gather_long_dx});
}

BOOST_AUTO_TEST_CASE(scatter_add_matches_pytorch) {
  const Tensor x = input(sine_filled({3, 5}, 1, 0.5, 0.6));
  const Tensor src = input(sine_filled({2, 5}, 0.8, 1.1, 0.2));
  check_reference(scatter_add(x, 0, indices({{0, 1, 2, 0, 1}, {2, 1, 0, 0, 2}}), src), scatter_add_0_y, {x, src},
                  {scatter_add_0_dx, scatter_add_0_dsrc});
  check_reference(scatter_add(x, 1, indices({{4, 0, 4, 1, 4}, {3, 3, 3, 0, 1}}), src), scatter_add_1_y, {x, src},
                  {scatter_add_1_dx, scatter_add_1_dsrc});
  // an index smaller than src reads src in its part only; src's gradient is zero elsewhere (PyTorch
  // refuses this backward: its gradient has index's shape)
  const Tensor big = input(sine_filled({3, 6}, 0.8, 1.1, 0.2));
  const Tensor y = scatter_add(x, 1, indices({{1, 4}, {0, 0}}), big);
  check_close(y, scatter_add_small_index);
  const Tensor g = autograd::grad({sum(y)}, {big})[0];
  check_close(g, {1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

BOOST_AUTO_TEST_CASE(gather_and_scatter_add_of_other_dtypes_and_layouts) {
  const Tensor m = tensor({{1, 2, 3}, {4, 5, 6}}, int64);
  BOOST_TEST(ints(gather(m, 1, indices({{2, 2}, {0, 1}}))) == (std::vector<std::int64_t>{3, 3, 4, 5}),
             boost::test_tools::per_element());
  BOOST_TEST(ints(scatter_add(m, 0, indices({{1, 1, 0}}), tensor({{10, 20, 30}}, int64))) ==
                 (std::vector<std::int64_t>{1, 2, 33, 14, 25, 6}),
             boost::test_tools::per_element());
  // transposed x and index read their own layout
  const Tensor xt = transpose(tensor({{1, 2, 3}, {4, 5, 6}}, float64));  // [[1, 4], [2, 5], [3, 6]]
  const Tensor it = transpose(indices({{1, 0, 1}, {0, 0, 1}}));        // [[1, 0], [0, 0], [1, 1]]
  check_close(gather(xt, 1, it), {4, 1, 2, 2, 6, 6});
  check_close(scatter_add(xt, 1, it, ones({3, 2}, float64)), {2, 5, 4, 5, 3, 8});
  // 0-d tensors have one element along their implicit axis
  check_close(gather(full({}, 2.5, float64), 0, indices(0.0)), {2.5});
  check_close(scatter_add(full({}, 2.5, float64), -1, indices(0.0), full({}, 1.0, float64)), {3.5});
  BOOST_TEST(to_string(gather(zeros({3, 4}, float64), 1, zeros({0, 2}, int64)).shape()) == "(0,2)");
}

BOOST_AUTO_TEST_CASE(gather_and_scatter_add_first_and_second_derivatives) {
  const Tensor idx = indices({{2, 0, 1, 2}, {0, 0, 2, 1}});
  check_second_order([&](Args a) { return gather(a[0] * a[0], 0, idx); }, {random_input({3, 4}, 12)});
  check_second_order([&](Args a) { return gather(a[0] * a[0], 1, indices({{3, 0, 3, 1, 2}})); },
                     {random_input({3, 4}, 13)});
  check_second_order([&](Args a) { return scatter_add(a[0] * a[0], 0, idx, a[1] * a[1]); },
                     {random_input({3, 4}, 14), random_input({2, 4}, 15)});
  check_second_order([&](Args a) { return scatter_add(a[0] * a[1], 1, indices({{1, 4}, {0, 0}}), a[2] * a[2]); },
                     {random_input({3, 5}, 16), random_input({3, 5}, 17), random_input({3, 6}, 18)});
  // a broadcast x (the gradient summed back)
  check_second_order([&](Args a) { return gather(broadcast_to(a[0], {3, 4}) * a[0], 1, idx.to(int64)); },
                     {random_input({4}, 19)});
}

BOOST_AUTO_TEST_CASE(gather_and_scatter_add_errors) {
  const Tensor x = zeros({3, 2}, float64);
  check_error([&] { gather(x, 1, indices({{0, 2}})); }, "gather: index 2 is out of range for axis 1 of size 2 (input of shape (3,2))");
  check_error([&] { gather(x, 0, indices({{-1, 0}})); }, "index -1 is out of range for axis 0 of size 3");
  check_error([&] { gather(x, 1, indices({0, 1})); }, "gather: index of shape (2,) must have as many axes as the input of shape (3,2)");
  check_error([&] { gather(x, 1, zeros({4, 1}, int64)); }, "index of shape (4,1) is larger than the input of shape (3,2) along axis 0");
  check_error([&] { gather(x, 2, zeros({1, 1}, int64)); }, "gather: axis 2 out of range");
  check_error([&] { gather(x, 0, zeros({1, 1})); }, "gather: index must be an int64 tensor, got float32");
  const Tensor src = zeros({2, 2}, float64);
  check_error([&] { scatter_add(x, 0, zeros({2, 3}, int64), src); }, "scatter_add: index of shape (2,3) is larger than the input of shape (3,2) along axis 1");
  check_error([&] { scatter_add(x, 0, zeros({3, 2}, int64), src); }, "scatter_add: index of shape (3,2) is larger than src of shape (2,2) along axis 0");
  check_error([&] { scatter_add(x, 0, indices({{3, 0}}), src); }, "scatter_add: index 3 is out of range for axis 0 of size 3");
  check_error([&] { scatter_add(x, 0, zeros({1, 2}, int64), zeros({2}, float64)); }, "src of shape (2,) must have as many axes");
  check_error([&] { scatter_add(x, 0, zeros({1, 2}, int64), zeros({2, 2})); }, "scatter_add: dtype mismatch");
}

// --- cumsum --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cumsum_matches_pytorch) {
  const Tensor x = input(sine_filled({3, 4, 2}, 1.4, 0.45, 0.3));
  check_reference(cumsum(x, 0), cumsum_0_y, {x}, {cumsum_0_dx});
  check_reference(cumsum(x, 1), cumsum_1_y, {x}, {cumsum_1_dx});
  check_reference(cumsum(x, -1), cumsum_last_y, {x}, {cumsum_last_dx});
}

BOOST_AUTO_TEST_CASE(cumsum_dtypes) {
  const Tensor n = cumsum(tensor({{1, 2, 3}, {4, 5, 6}}, int64), 1);
  BOOST_TEST((n.dtype() == int64));
  BOOST_TEST(!n.requires_grad());
  BOOST_TEST(ints(n) == (std::vector<std::int64_t>{1, 3, 6, 4, 9, 15}), boost::test_tools::per_element());
  BOOST_TEST(ints(cumsum(tensor({true, false, true, true}, boolean), 0)) == (std::vector<std::int64_t>{1, 1, 2, 3}),
             boost::test_tools::per_element());
  // float32 accumulates in float64, as PyTorch's CPU kernel: 2^24 + 1 + 1 would stay 2^24 in float
  const Tensor f = cumsum(tensor({16777216.0, 1.0, 1.0}, float32), 0);
  BOOST_TEST((f.dtype() == float32));
  BOOST_TEST(f.at({2}) == 16777218.0);
  check_close(cumsum(full({}, 2.5, float64), 0), {2.5});  // a 0-d tensor is its own running sum
  BOOST_TEST(to_string(cumsum(zeros({2, 0}), 1).shape()) == "(2,0)");
}

BOOST_AUTO_TEST_CASE(cumsum_first_and_second_derivatives) {
  check_second_order([](Args a) { return cumsum(a[0] * a[0], 1); }, {random_input({3, 4, 2}, 20)});
  check_second_order([](Args a) { return cumsum(a[0] * a[0], 0); }, {random_input({5}, 21)});
  check_second_order([](Args a) { return cumsum(transpose(a[0]) * a[0], -2); }, {random_input({3, 3}, 22)});
}

BOOST_AUTO_TEST_CASE(cumsum_errors) {
  check_error([] { cumsum(zeros({2, 3}), 2); }, "cumsum: axis 2 out of range for shape (2,3)");
}

// --- one_hot -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(one_hot_as_pytorch) {
  const Tensor y = one_hot(indices({{0, 2}, {1, 2}}));
  BOOST_TEST((y.dtype() == int64));
  BOOST_TEST(to_string(y.shape()) == "(2,2,3)");
  BOOST_TEST(ints(y) == (std::vector<std::int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(ints(one_hot(indices({1}), 4)) == (std::vector<std::int64_t>{0, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(ints(one_hot(indices(2.0))) == (std::vector<std::int64_t>{0, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(to_string(one_hot(zeros({0}, int64), 3).shape()) == "(0,3)");
}

BOOST_AUTO_TEST_CASE(one_hot_errors) {
  check_error([] { one_hot(indices({1, -1})); }, "one_hot: class index -1 is negative");
  check_error([] { one_hot(indices({1, 3}), 3); }, "one_hot: class index 3 is out of range for num_classes 3");
  check_error([] { one_hot(zeros({0}, int64)); }, "cannot infer the number of classes from an empty tensor");
  check_error([] { one_hot(indices({1}), -2); }, "num_classes must be -1");
  check_error([] { one_hot(tensor({1.0})); }, "one_hot: indices must be an int64 tensor, got float32");
}

// --- split / chunk -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(split_and_chunk_size_pieces_as_pytorch) {
  const Tensor x = sine_filled({2, 7}, 1, 0.3, 0.2);
  using S = std::vector<std::string>;
  BOOST_TEST(shapes(split(x, 3, 1)) == (S{"(2,3)", "(2,3)", "(2,1)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(x, 7, -1)) == (S{"(2,7)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(x, 10, 0)) == (S{"(2,7)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(x, {7}, 1)) == (S{"(2,7)"}), boost::test_tools::per_element());  // a braced list: sizes
  BOOST_TEST(shapes(split(x, {3, 4}, 1)) == (S{"(2,3)", "(2,4)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(x, std::vector<std::size_t>{2, 0, 5}, 1)) == (S{"(2,2)", "(2,0)", "(2,5)"}),
             boost::test_tools::per_element());
  BOOST_TEST(shapes(chunk(x, 3, 1)) == (S{"(2,3)", "(2,3)", "(2,1)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(chunk(x, 4, 1)) == (S{"(2,2)", "(2,2)", "(2,2)", "(2,1)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(chunk(zeros({6}), 4)) == (S{"(2,)", "(2,)", "(2,)"}), boost::test_tools::per_element());  // fewer
  BOOST_TEST(shapes(chunk(x, 2)) == (S{"(1,7)", "(1,7)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(chunk(zeros({0}), 3)) == (S{"(0,)", "(0,)", "(0,)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(zeros({0}), 2)) == (S{"(0,)"}), boost::test_tools::per_element());
  BOOST_TEST(shapes(split(zeros({0}), 0)) == (S{"(0,)"}), boost::test_tools::per_element());
  // views of x's values
  const auto pieces = split(x, std::vector<std::size_t>{4, 3}, 1);
  BOOST_TEST(pieces[1].at({1, 0}) == x.at({1, 4}));
  BOOST_TEST(pieces[1].impl().owner == x.impl().owner);
}

BOOST_AUTO_TEST_CASE(split_and_chunk_first_and_second_derivatives) {
  check_second_order([](Args a) { return chunk(a[0] * a[0], 3, 1)[2]; }, {random_input({2, 7}, 23)});
  check_second_order([](Args a) {
    const auto p = split(a[0] * a[0], std::vector<std::size_t>{1, 2}, 0);
    return p[0] * p[1];  // (1, 3) broadcast against (2, 3)
  }, {random_input({3, 3}, 24)});
}

BOOST_AUTO_TEST_CASE(split_and_chunk_errors) {
  const Tensor x = zeros({2, 3});
  check_error([&] { split(x, 0, 1); }, "split: split_size can be 0 only for an axis of length 0, got axis 1 of length 3");
  check_error([&] { split(x, std::vector<std::size_t>{1, 1}, 1); }, "split: sizes add up to 2, not to the length 3 of axis 1");
  check_error([&] { split(x, {2}, 1); }, "split: sizes add up to 2, not to the length 3 of axis 1");
  check_error([&] { chunk(x, 0); }, "chunk: chunks must be > 0, got 0");
  check_error([&] { chunk(x, 2, 3); }, "chunk: axis 3 out of range");
}

BOOST_AUTO_TEST_SUITE_END()
