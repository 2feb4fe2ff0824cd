// Literals of every nesting (torch::tensor's rules), integer arithmetic and type promotion as
// PyTorch's, and grad() of a tensor that has none saying why. Expected values are PyTorch 2.x's
// (torch.tensor(...) in /usr/bin/python3), noted beside each check.
#include "support/check.hpp"

#include <cstdint>
#include <limits>

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {
std::int64_t int_at(const Tensor& t, std::initializer_list<std::ptrdiff_t> index) {
  return static_cast<std::int64_t>(t.at(index));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(literals)

BOOST_AUTO_TEST_CASE(every_level_of_braces_is_an_axis) {
  // torch.tensor([[1.0], [2.0], [3.0]]).shape == (3, 1)
  const Tensor column = tensor({{1.0}, {2.0}, {3.0}});
  BOOST_TEST(to_string(column.shape()) == "(3,1)");
  BOOST_TEST(column.at({2, 0}) == 3.0);
  BOOST_TEST(to_string(tensor({{1}, {2}}, int64).shape()) == "(2,1)");
  BOOST_TEST(to_string(tensor({{{1.5}}}).shape()) == "(1,1,1)");
  BOOST_TEST(to_string(tensor({{1, 2, 3}}).shape()) == "(1,3)");
  BOOST_TEST(to_string(tensor({1.0}).shape()) == "(1,)");
  BOOST_TEST(to_string(tensor(2.5).shape()) == "()");
  BOOST_TEST(to_string(tensor({}).shape()) == "(0,)");
  BOOST_TEST(to_string(tensor({{}, {}}).shape()) == "(2,0)");
  // Deeper than xtensor's nested lists go (5 levels).
  BOOST_TEST(to_string(tensor({{{{{{7}}}}}}).shape()) == "(1,1,1,1,1,1)");
  // Mixed integers and floating values in one list, and the dtype argument.
  const Tensor mixed = tensor({{1, 2.5}, {3, 4}}, float64);
  BOOST_TEST(to_string(mixed.dtype()) == "float64");
  BOOST_TEST(mixed.at({0, 1}) == 2.5);
  // xtensor arrays and expressions still make tensors.
  const xt::xarray<double> values = {{1, 2}, {3, 4}};
  check_values(tensor(values), {{1, 2}, {3, 4}});
  check_values(tensor(values * 2.0, float64), {{2, 4}, {6, 8}});
}

BOOST_AUTO_TEST_CASE(integers_are_kept_exactly) {
  // torch.tensor([2**62 + 1, -2**63]) holds both exactly (a double would round 2**62 + 1).
  const Tensor big = tensor({(std::int64_t{1} << 62) + 1, std::numeric_limits<std::int64_t>::min()}, int64);
  BOOST_TEST(big.data<std::int64_t>()[0] == (std::int64_t{1} << 62) + 1);
  BOOST_TEST(big.data<std::int64_t>()[1] == std::numeric_limits<std::int64_t>::min());
  // Floating values for int64 truncate toward zero: torch.tensor([1.7, -1.7], dtype=torch.int64) = [1, -1].
  const Tensor truncated = tensor({1.7, -1.7}, int64);
  BOOST_TEST(truncated.data<std::int64_t>()[0] == 1);
  BOOST_TEST(truncated.data<std::int64_t>()[1] == -1);
  BOOST_TEST(tensor({true, false}, boolean).data<bool>()[0]);
  check_values(tensor({0, 3}, boolean), {0, 1});
}

BOOST_AUTO_TEST_CASE(ragged_lists_and_unconvertible_values_are_errors) {
  check_error([] { tensor({{1, 2}, {3}}); }, "tensor: ragged list: item 1 has shape (1,) but item 0 has (2,)");
  check_error([] { tensor({{1.0}, 2.0}); }, "tensor: ragged list: item 1 has shape () but item 0 has (1,)");
  check_error([] { tensor({{{1}, {2}}, {{1, 2}, {3, 4}}}); }, "item 1 has shape (2,2) but item 0 has (2,1)");
  check_error([] { tensor({1.0, NAN}, int64); }, "to(int64): value nan at index (1,)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(integer_arithmetic)

BOOST_AUTO_TEST_CASE(int64_with_int64_stays_int64) {
  const Tensor a = tensor({{1, -2, 3}}, int64), b = tensor({{10}, {20}}, int64);
  // torch: a + b = [[11, 8, 13], [21, 18, 23]], a - b, a * b, all int64
  const Tensor sum_ab = a + b, diff = a - b, prod = a * b;
  for (const Tensor& t : {sum_ab, diff, prod}) BOOST_TEST(to_string(t.dtype()) == "int64");
  check_values(sum_ab, {{11, 8, 13}, {21, 18, 23}}, 0, 0);
  check_values(diff, {{-9, -12, -7}, {-19, -22, -17}}, 0, 0);
  check_values(prod, {{10, -20, 30}, {20, -40, 60}}, 0, 0);
  check_values(-a, {{-1, 2, -3}}, 0, 0);
  BOOST_TEST(to_string((-a).dtype()) == "int64");
  // Scalars: labels + 1 and labels * 2 stay int64; 2 - labels too.
  const Tensor labels = tensor({0, 4, 9}, int64);
  for (const Tensor& t : {labels + 1, labels * 2, 2 - labels, 3 * labels}) BOOST_TEST(to_string(t.dtype()) == "int64");
  check_values(labels + 1, {1, 5, 10}, 0, 0);
  check_values(2 - labels, {2, -2, -7}, 0, 0);
  // Exact beyond 2^53, where a double would round: (2^62 + 1) + 1.
  const Tensor big = tensor({(std::int64_t{1} << 62) + 1}, int64) + 1;
  BOOST_TEST(big.data<std::int64_t>()[0] == (std::int64_t{1} << 62) + 2);
  // Overflow wraps as PyTorch's: torch.tensor([2**63 - 1]) + 1 = [-2**63].
  const Tensor wrapped = tensor({std::numeric_limits<std::int64_t>::max()}, int64) + 1;
  BOOST_TEST(wrapped.data<std::int64_t>()[0] == std::numeric_limits<std::int64_t>::min());
}

BOOST_AUTO_TEST_CASE(division_and_floating_scalars_give_float32) {
  const Tensor a = tensor({7, -7, 1}, int64), b = tensor({2, 2, 4}, int64);
  // torch: a / b = [3.5, -3.5, 0.25] float32 (true division); a * 0.5 and a + 0.5 float32
  const Tensor q = a / b;
  BOOST_TEST(to_string(q.dtype()) == "float32");
  check_values(q, {3.5, -3.5, 0.25}, 0, 0);
  BOOST_TEST(to_string((a * 0.5).dtype()) == "float32");
  check_values(a * 0.5, {3.5, -3.5, 0.5}, 0, 0);
  check_values(a + 0.5, {7.5, -6.5, 1.5}, 0, 0);
  check_values(a / 2, {3.5, -3.5, 0.5}, 0, 0);
  check_values(1 / b, {0.5, 0.5, 0.25}, 0, 0);
}

BOOST_AUTO_TEST_CASE(an_integer_operand_takes_the_floating_ones_dtype) {
  // torch: int64 + float64 -> float64, bool * float32 -> float32, int64 + bool -> int64
  const Tensor i = tensor({1, 2}, int64), f = tensor({0.5, 0.25}, float64);
  BOOST_TEST(to_string((i + f).dtype()) == "float64");
  check_values(i + f, {1.5, 2.25}, 0, 0);
  check_values(f - i, {-0.5, -1.75}, 0, 0);
  check_values(f / i, {0.5, 0.125}, 0, 0);
  const Tensor mask = tensor({1, 0}, boolean);
  BOOST_TEST(to_string((mask * tensor({3.0, 4.0})).dtype()) == "float32");
  check_values(mask * tensor({3.0, 4.0}), {3, 0}, 0, 0);
  BOOST_TEST(to_string((i + mask).dtype()) == "int64");
  check_values(i + mask, {2, 2}, 0, 0);
  BOOST_TEST(to_string((mask + 1).dtype()) == "int64");
  // Gradients reach the floating operand; the integer one has none.
  Tensor w = tensor({1.0, 2.0}, float64).requires_grad_();
  sum(w * i).backward();
  check_values(w.grad(), {1, 2}, 0, 0);
  // float32 with float64 stays an error: descent does not widen a model's dtype silently.
  check_error([&] { tensor({1.0}) + f; }, "add: dtype mismatch: float32 (1,) and float64 (2,)");
}

BOOST_AUTO_TEST_CASE(counting_correct_predictions_needs_no_casts) {
  // The idiom from the issue: sum(eq(pred, y)).item() and comparisons across dtypes.
  const Tensor pred = tensor({1, 2, 3, 3}, int64), y = tensor({1, 0, 3, 2}, int64);
  const Tensor correct = sum(eq(pred, y));
  BOOST_TEST(to_string(correct.dtype()) == "int64");
  BOOST_TEST(correct.item() == 2.0);
  BOOST_TEST(to_string(sum(pred).dtype()) == "int64");
  BOOST_TEST(sum(pred).item() == 9.0);
  // torch.tensor([1, 2]) < torch.tensor([1.5, 1.5]) = [True, False]
  const Tensor less = lt(tensor({1, 2}, int64), tensor({1.5, 1.5}));
  BOOST_TEST(less.data<bool>()[0]);
  BOOST_TEST(!less.data<bool>()[1]);
  BOOST_TEST(int_at(sum(eq(tensor({1, 0}, boolean), tensor({1, 1}, int64))), {}) == 1);
}

BOOST_AUTO_TEST_CASE(bool_with_bool_arithmetic_is_an_error) {
  const Tensor m = tensor({1, 0}, boolean);
  check_error([&] { m + m; }, "add: expected a float32 or float64 tensor, got bool");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(grad_of_a_tensor_without_one)

BOOST_AUTO_TEST_CASE(says_why_it_is_undefined_when_used) {
  Tensor w = tensor({1.0, 2.0}).requires_grad_();
  check_error([&] { w.grad().shape(); },
              "use of an undefined tensor: grad() of a leaf with no gradient yet: backward() has not reached it");
  BOOST_TEST(!w.grad().defined());
  Tensor y = w * 3.0;
  sum(y).backward();
  check_error([&] { y.grad().item(); }, "use of an undefined tensor: grad() of a tensor that is not a leaf");
  check_error([] { tensor({1.0}).grad().numel(); }, "grad() of a tensor that does not require grad: call requires_grad_()");
  BOOST_TEST(w.grad().defined());
  w.zero_grad();
  check_error([&] { w.grad().dim(); }, "grad() of a leaf with no gradient yet");
  check_error([] { Tensor().shape(); }, "Tensor: use of an undefined tensor");
}

BOOST_AUTO_TEST_SUITE_END()
