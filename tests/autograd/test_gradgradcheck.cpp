// gradcheck and gradgradcheck for every differentiable op of descent, fused and composed: first
// derivatives against central differences, second derivatives (create_graph gradients differentiated
// again) against central differences of first-order gradients, and the create_graph first-order path
// against the plain fused one. Inputs are small (gradgradcheck costs O(n²) evaluations) and away from
// the kinks (relu at 0, |x| at 0, clamp bounds, extrema ties, softplus's threshold), where a central
// difference straddles a jump of the first derivative. Ties are checked at first order, where the
// shared gradient (½ each for two) is exactly what the central difference sees.
#include "support/check.hpp"

#include <string>
#include <utility>

using namespace descent;
using descent::testing::check_gradient;
using descent::testing::check_second_order;
using descent::testing::check_values;
using descent::testing::random_input;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using Args = const std::vector<Tensor>&;

namespace {

Tensor input(const xt::xarray<double>& values) { return tensor(values, float64).requires_grad_(); }

/// A 0-d float64 input.
Tensor scalar_input(double value) { return full({}, value, float64).requires_grad_(); }

/// " (2, 3)": a shape for a check's name.
std::string spaced(const Shape& shape) {
  std::string out = " ";
  out += to_string(shape);  // (not " " + to_string(...): GCC 12 warns falsely, -Wstringop-overflow)
  return out;
}

/// Uniform in [0.5, 1.5): for log, sqrt, pow's base and divisors.
Tensor positive(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return (rand(shape, gen, float64) + 0.5).requires_grad_();
}

void check(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
           const autograd::GradcheckOptions& options = {}) {
  BOOST_TEST_CONTEXT(what) { check_second_order(f, inputs, options); }
}

/// For linear and piecewise-linear ops, whose own second derivative is 0: f, and f's square, whose
/// second derivative goes through f's backward rule and differentiates it again.
void check_and_square(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs) {
  check(what, f, inputs);
  check(what + ", squared", [f = f](Args v) {
    const Tensor y = f(v);
    return y * y;
  }, inputs);
}

/// The shape pairs the binary ops are checked on: equal, broadcast either way, 0-d on either side.
const std::vector<std::pair<Shape, Shape>> broadcast_pairs{
    {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{2, 3}, {}}, {{}, {3}}, {{}, {}}, {{2, 1, 3}, {2, 1}}};

const char* const reductions[] = {"mean", "sum", "none"};

}  // namespace

// The checker itself: it must fail on a wrong second derivative and on first-order paths that
// disagree, or every check below could pass for nothing.
BOOST_AUTO_TEST_SUITE(gradgradcheck_itself)

/// x³ recorded with the backward rule `rule(g, x)`.
template <class Rule> Tensor cube(const Tensor& x, Rule rule) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = x * x * x;
  }
  return autograd::record("cube", y, {x}, [x, rule](const Tensor& g) { return std::vector<Tensor>{rule(g, x)}; });
}

BOOST_AUTO_TEST_CASE(fails_on_a_wrong_second_derivative_and_on_disagreeing_paths) {
  const Tensor x = input({0.5, -1.2, 0.8});
  const auto right = [](const Tensor& g, const Tensor& x) { return g * 3.0 * x * x; };
  BOOST_TEST(autograd::gradgradcheck([&](Args v) { return cube(v[0], right); }, {x}).passed);
  // 3x² as a constant: first derivatives right, second ones 0 instead of 6x
  const auto constant = [](const Tensor& g, const Tensor& x) { return g * (3.0 * x.detach() * x.detach()); };
  BOOST_TEST(autograd::gradcheck([&](Args v) { return cube(v[0], constant); }, {x}).passed);
  const auto wrong = autograd::gradgradcheck([&](Args v) { return cube(v[0], constant); }, {x});
  BOOST_TEST(!wrong.passed);
  BOOST_TEST(wrong.message.find("gradgradcheck FAILED") != std::string::npos, wrong.message);
  // a create_graph rule that differs from the plain one by 1%
  const auto split = [](const Tensor& g, const Tensor& x) {
    return autograd::is_grad_enabled() ? g * 3.0 * x * x : g * 3.03 * x * x;
  };
  const auto differ = autograd::gradgradcheck([&](Args v) { return cube(v[0], split); }, {x});
  BOOST_TEST(!differ.passed);
  BOOST_TEST(differ.message.find("first-order gradients differ") != std::string::npos, differ.message);
}

BOOST_AUTO_TEST_CASE(needs_no_grad_output_for_a_function_that_differentiates_its_inputs) {
  // a gradient penalty: f differentiates x itself, so f cannot be probed on detached inputs
  const Fn penalty = [](Args v) {
    AutoGradMode recording(true);
    const Tensor g = autograd::grad({sum(tanh(v[0]) * v[0])}, {v[0]}, {}, {.create_graph = true})[0];
    return sum(g * g);
  };
  const auto result = autograd::gradgradcheck(penalty, {input({0.3, -0.7, 1.1})});
  BOOST_TEST(result.passed, result.message);
}

BOOST_AUTO_TEST_CASE(works_under_no_grad_guard) {
  // the analytic pass used to run without recording there: analytic 0, a false failure
  const Tensor x = input({0.5, -1.2, 0.8});
  const Fn f = [](Args v) { return v[0] * v[0] * v[0]; };
  NoGradGuard no_grad;
  const auto first = autograd::gradcheck(f, {x}), second = autograd::gradgradcheck(f, {x});
  BOOST_TEST(first.passed, first.message);
  BOOST_TEST(second.passed, second.message);
  BOOST_TEST(!autograd::is_grad_enabled());  // and the caller's mode is left as it was
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_elementwise)

BOOST_AUTO_TEST_CASE(add_sub_mul_div_with_broadcasting) {
  for (const auto& [sa, sb] : broadcast_pairs) {
    const std::string shapes = spaced(sa) + " and" + spaced(sb);
    const Tensor a = random_input(sa, 1), b = random_input(sb, 2), d = positive(sb, 3);
    check_and_square(std::string("add") + shapes, [](Args v) { return add(v[0], v[1]); }, {a, b});
    check_and_square(std::string("sub") + shapes, [](Args v) { return sub(v[0], v[1]); }, {a, b});
    check(std::string("mul") + shapes, [](Args v) { return mul(v[0], v[1]); }, {a, b});
    check(std::string("div") + shapes, [](Args v) { return div(v[0], v[1]); }, {a, d});
    // one operand a constant: the other's rule alone
    check(std::string("mul by a constant") + shapes, [](Args v) { return v[0] * v[1]; }, {a, b.detach()});
    check(std::string("div by a constant") + shapes, [](Args v) { return v[0] / v[1]; }, {a, d.detach()});
    check(std::string("div of a constant") + shapes, [](Args v) { return v[0] / v[1]; }, {a.detach(), d});
  }
}

BOOST_AUTO_TEST_CASE(arithmetic_with_scalars_and_neg) {
  for (const Tensor& x : {positive({2, 2}, 4), positive({}, 5)}) {
    const std::string shape = spaced(x.shape());
    check_and_square(std::string("x + 2") + shape, [](Args v) { return v[0] + 2.0; }, {x});
    check_and_square(std::string("2 + x") + shape, [](Args v) { return 2.0 + v[0]; }, {x});
    check_and_square(std::string("x - 2") + shape, [](Args v) { return v[0] - 2.0; }, {x});
    check_and_square(std::string("2 - x") + shape, [](Args v) { return 2.0 - v[0]; }, {x});
    check_and_square(std::string("x * 3") + shape, [](Args v) { return v[0] * 3.0; }, {x});
    check_and_square(std::string("3 * x") + shape, [](Args v) { return 3.0 * v[0]; }, {x});
    check_and_square(std::string("x / 4") + shape, [](Args v) { return v[0] / 4.0; }, {x});
    check(std::string("4 / x") + shape, [](Args v) { return 4.0 / v[0]; }, {x});
    check_and_square(std::string("-x") + shape, [](Args v) { return -v[0]; }, {x});
    check_and_square(std::string("neg") + shape, [](Args v) { return neg(v[0]); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(pow_with_a_scalar_exponent) {
  const Tensor x = positive({2, 3}, 6), s = positive({}, 7);
  for (double e : {2.0, 0.5, 3.0, -1.5, 0.0, 1.0, 2.5}) {
    check(std::string("pow(x, ") + std::to_string(e) + ")", [e](Args v) { return pow(v[0], e); }, {x});
    check(std::string("pow(0-d, ") + std::to_string(e) + ")", [e](Args v) { return pow(v[0], e); }, {s});
  }
  // whole exponents of negative bases
  const Tensor n = input({-1.3, -0.4, 0.7});
  for (double e : {2.0, 3.0, -1.0})
    check(std::string("pow(negative x, ") + std::to_string(e) + ")", [e](Args v) { return pow(v[0], e); }, {n});
}

BOOST_AUTO_TEST_CASE(pow_with_a_tensor_exponent_and_a_scalar_base) {
  for (const auto& [sa, sb] : broadcast_pairs) {
    const std::string shapes = spaced(sa) + " and" + spaced(sb);
    const Tensor x = positive(sa, 8), e = random_input(sb, 9);
    check(std::string("pow(x, e)") + shapes, [](Args v) { return pow(v[0], v[1]); }, {x, e});
    check(std::string("pow(x, constant e)") + shapes, [](Args v) { return pow(v[0], v[1]); }, {x, e.detach()});
    check(std::string("pow(constant x, e)") + shapes, [](Args v) { return pow(v[0], v[1]); }, {x.detach(), e});
  }
  const Tensor e = random_input({2, 3}, 10);
  check("pow(2, e)", [](Args v) { return pow(2.0, v[0]); }, {e});
  check("pow(0.5, e)", [](Args v) { return pow(0.5, v[0]); }, {e});
  check("pow(3, 0-d e)", [](Args v) { return pow(3.0, v[0]); }, {random_input({}, 11)});
}

BOOST_AUTO_TEST_CASE(exp_log_sqrt) {
  for (const Shape& shape : {Shape{2, 3}, Shape{}}) {
    const std::string s = spaced(shape);
    check(std::string("exp") + s, [](Args v) { return exp(v[0]); }, {random_input(shape, 12)});
    check(std::string("log") + s, [](Args v) { return log(v[0]); }, {positive(shape, 13)});
    check(std::string("sqrt") + s, [](Args v) { return sqrt(v[0]); }, {positive(shape, 14)});
  }
}

BOOST_AUTO_TEST_CASE(abs_and_clamps_away_from_their_kinks) {
  const Tensor x = input({{-2.0, -0.6, 0.1}, {0.7, 1.8, -1.3}});  // clamp bounds: -1 and 1
  check_and_square("abs", [](Args v) { return abs(v[0]); }, {x});
  check_and_square("abs 0-d", [](Args v) { return abs(v[0]); }, {scalar_input(-0.8)});
  check_and_square("clamp", [](Args v) { return clamp(v[0], -1, 1); }, {x});
  check_and_square("clamp_min", [](Args v) { return clamp_min(v[0], -1); }, {x});
  check_and_square("clamp_max", [](Args v) { return clamp_max(v[0], 1); }, {x});
  // at first order, the bounds pass the gradient (PyTorch's rule) and |x| at 0 has 0
  const Tensor at = input({-1.0, 0.0, 1.0, 0.5});
  const Tensor g = autograd::grad({sum(clamp(at, -1, 1) * tensor({1, 2, 3, 4}, float64))}, {at},
                                  {}, {.create_graph = true})[0];
  check_values(g, {1, 2, 3, 4});
  check_values(autograd::grad({sum(abs(at))}, {at}, {}, {.create_graph = true})[0], {-1, 0, 1, 1});
}

BOOST_AUTO_TEST_CASE(maximum_and_minimum) {
  // no ties: smooth around these inputs
  const Tensor a = input({{0.3, -1.0, 2.0}, {1.5, 0.2, -0.7}}), b = input({0.5, -1.4, 1.1});
  check_and_square("maximum (2,3) and (3,)", [](Args v) { return maximum(v[0], v[1]); }, {a, b});
  check_and_square("minimum (2,3) and (3,)", [](Args v) { return minimum(v[0], v[1]); }, {a, b});
  check_and_square("maximum with 0-d", [](Args v) { return maximum(v[0], v[1]); }, {a, scalar_input(0.25)});
  check_and_square("minimum with 0-d", [](Args v) { return minimum(v[1], v[0]); }, {a, scalar_input(0.25)});
  check_and_square("maximum with a constant", [](Args v) { return maximum(v[0], v[1]); }, {a, b.detach()});

  // ties (first order): nudging one side moves the result at half speed on average, ½ each
  const Tensor ta = input({{1.0, 2.0, -0.5}, {0.5, 0.3, -0.5}}), tb = input({1.0, 0.3, -0.5});
  for (const Fn& f : {Fn([](Args v) { return maximum(v[0], v[1]); }), Fn([](Args v) { return minimum(v[0], v[1]); })}) {
    check_gradient(f, {ta, tb});
    check_gradient([f = f](Args v) { return f(v) * f(v); }, {ta, tb});
  }
  // and the create_graph rule agrees with the fused one there, its derivative along v being ½ too
  const Tensor x = input({1.0, 2.0}), y = input({1.0, 3.0});
  const Tensor v = tensor({10, 20}, float64).requires_grad_();
  const std::vector<Tensor> g = autograd::grad({maximum(x, y)}, {x, y}, {v}, {.create_graph = true});
  check_values(g[0], {5, 0});
  check_values(g[1], {5, 20});
  check_values(autograd::grad({sum(g[0])}, {v})[0], {0.5, 0});
}

BOOST_AUTO_TEST_CASE(where_with_broadcast_operands) {
  const Tensor c = gt(tensor({1.0, -1.0, 2.0}), 0.0);       // (3,)
  const Tensor c_rows = reshape(gt(tensor({-1.0, 1.0}), 0.0), {2, 1});
  const Tensor a = random_input({2, 3}, 15), b = random_input({2, 1}, 16), s = random_input({}, 17);
  check_and_square("where c (3,), a (2,3), b (2,1)", [c](Args v) { return where(c, v[0], v[1]); }, {a, b});
  check_and_square("where c (3,), a 0-d, b (2,3)", [c](Args v) { return where(c, v[0], v[1]); }, {s, a});
  check_and_square("where c (2,1), a (3,), b 0-d", [c_rows](Args v) { return where(c_rows, v[0], v[1]); },
                   {random_input({3}, 18), s});
  check_and_square("where with a constant b", [c](Args v) { return where(c, v[0], v[1]); }, {a, b.detach()});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_activation)

BOOST_AUTO_TEST_CASE(relu_and_leaky_relu_away_from_zero) {
  const Tensor x = input({{-1.5, -0.2, 0.3}, {0.8, -0.6, 1.9}});
  check_and_square("relu", [](Args v) { return relu(v[0]); }, {x});
  for (double slope : {0.01, 0.2, -0.5})
    check_and_square(std::string("leaky_relu ") + std::to_string(slope), [slope](Args v) { return leaky_relu(v[0], slope); }, {x});
  check_and_square("relu 0-d", [](Args v) { return relu(v[0]); }, {scalar_input(0.4)});
}

BOOST_AUTO_TEST_CASE(sigmoid_tanh_gelu) {
  for (const Tensor& x : {random_input({2, 3}, 19), input({-3.0, -0.7, 0.0, 1.2, 2.5}), random_input({}, 20)}) {
    const std::string shape = spaced(x.shape());
    check(std::string("sigmoid") + shape, [](Args v) { return sigmoid(v[0]); }, {x});
    check(std::string("tanh") + shape, [](Args v) { return tanh(v[0]); }, {x});
    check(std::string("gelu") + shape, [](Args v) { return gelu(v[0]); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(softplus_on_both_sides_of_its_threshold) {
  const Tensor x = input({-1.0, 0.1, 0.3, 0.9, 2.0});
  check("softplus", [](Args v) { return softplus(v[0]); }, {x});
  // beta·x = -2, 0.2, 0.6, 1.8, 4 against threshold 1: curved below, linear above
  check("softplus beta 2 threshold 1", [](Args v) { return softplus(v[0], 2, 1); }, {x});
  // beta·x = 1, -0.1, -0.3, -0.9, -2 against threshold 0.5: linear for the first only
  check("softplus beta -1 threshold 0.5", [](Args v) { return softplus(v[0], -1, 0.5); }, {x});
  check("softplus 0-d", [](Args v) { return softplus(v[0]); }, {scalar_input(-0.4)});
}

BOOST_AUTO_TEST_CASE(softmax_and_log_softmax_along_each_axis) {
  const std::vector<std::pair<Tensor, std::vector<std::ptrdiff_t>>> cases{
      {random_input({4}, 21), {0, -1}},
      {random_input({2, 3}, 22), {0, 1, -1}},
      {random_input({2, 2, 3}, 23), {0, 1, 2, -2}},
      {random_input({}, 24), {0, -1}}};
  for (const auto& [x, axes] : cases)
    for (std::ptrdiff_t axis : axes) {
      const std::string what = " of " + to_string(x.shape()) + " along " + std::to_string(axis);
      check(std::string("softmax") + what, [axis](Args v) { return softmax(v[0], axis); }, {x});
      check(std::string("log_softmax") + what, [axis](Args v) { return log_softmax(v[0], axis); }, {x});
    }
}

BOOST_AUTO_TEST_CASE(dropout_in_training_mode_with_a_fixed_generator) {
  // Each forward draws a new mask from the generator: a fresh generator of one seed per call gives
  // every evaluation the same mask, as finite differences need.
  const Fn f = [](Args v) {
    Generator gen(2026);
    nn::Dropout drop(0.5, gen);
    return drop(v[0] * v[0]);
  };
  const Tensor x = random_input({2, 4}, 25);
  // the mask drops some elements and keeps (scales) others, or this would check x·x times a constant
  Tensor y;
  {
    NoGradGuard no_grad;
    y = f({x});
  }
  const Tensor kept = ne(y, 0.0).to(float64);
  BOOST_TEST(sum(kept).item() > 0);
  BOOST_TEST(sum(kept).item() < 8);
  check("dropout", f, {x});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_reduce)

BOOST_AUTO_TEST_CASE(sum_and_mean_over_all_and_over_axes) {
  const Tensor x = random_input({2, 3, 2}, 26);
  const std::vector<std::pair<Axes, bool>> axes{{{0}, false}, {{1}, true}, {{0, 2}, false}, {{-1}, true}, {{}, false},
                                                {{0, 1, 2}, true}};
  check_and_square("sum", [](Args v) { return sum(v[0]); }, {x});
  check_and_square("mean", [](Args v) { return mean(v[0]); }, {x});
  check_and_square("sum of 0-d", [](Args v) { return sum(v[0]); }, {random_input({}, 27)});
  check_and_square("mean of 0-d", [](Args v) { return mean(v[0]); }, {random_input({}, 27)});
  for (const auto& [a, keep] : axes) {
    const std::string what = " over " + to_string(a) + (keep ? " keepdim" : "");
    check_and_square(std::string("sum") + what, [a = a, keep = keep](Args v) { return sum(v[0], a, keep); }, {x});
    check_and_square(std::string("mean") + what, [a = a, keep = keep](Args v) { return mean(v[0], a, keep); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(max_and_min_over_all_and_over_axes) {
  const Tensor x = random_input({2, 3, 2}, 28);  // no ties
  const std::vector<std::pair<Axes, bool>> axes{{{0}, false}, {{1}, true}, {{0, 2}, true}, {{-1}, false}};
  check_and_square("max", [](Args v) { return max(v[0]); }, {x});
  check_and_square("min", [](Args v) { return min(v[0]); }, {x});
  check_and_square("max of 0-d", [](Args v) { return max(v[0]); }, {random_input({}, 29)});
  for (const auto& [a, keep] : axes) {
    const std::string what = " over " + to_string(a) + (keep ? " keepdim" : "");
    check_and_square(std::string("max") + what, [a = a, keep = keep](Args v) { return max(v[0], a, keep); }, {x});
    check_and_square(std::string("min") + what, [a = a, keep = keep](Args v) { return min(v[0], a, keep); }, {x});
  }
  // two-way ties (first order): each tied element gets half, what the central difference sees
  const Tensor t = input({{1.0, 3.0, 3.0}, {2.0, -1.0, 2.0}, {1.0, -1.0, 0.5}});
  check_gradient([](Args v) { return max(v[0]); }, {t});
  check_gradient([](Args v) { return max(v[0], {1}); }, {t});
  check_gradient([](Args v) { return min(v[0]); }, {t});
  check_gradient([](Args v) { return min(v[0], {0}, true); }, {t});
}

BOOST_AUTO_TEST_CASE(logsumexp_over_all_and_over_axes) {
  const Tensor x = random_input({2, 3, 2}, 30);
  check("logsumexp", [](Args v) { return logsumexp(v[0]); }, {x});
  check("logsumexp of 0-d", [](Args v) { return logsumexp(v[0]); }, {random_input({}, 31)});
  for (const auto& [a, keep] : std::vector<std::pair<Axes, bool>>{{{0}, false}, {{1}, true}, {{0, 2}, false}, {{-1}, true}}) {
    const std::string what = " over " + to_string(a) + (keep ? " keepdim" : "");
    check(std::string("logsumexp") + what, [a = a, keep = keep](Args v) { return logsumexp(v[0], a, keep); }, {x});
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_linalg)

BOOST_AUTO_TEST_CASE(matmul_of_every_rank_pair) {
  const Tensor v3 = random_input({3}, 32), w3 = random_input({3}, 33);
  const Tensor m23 = random_input({2, 3}, 34), m32 = random_input({3, 2}, 35);
  const Tensor b223 = random_input({2, 2, 3}, 36), b232 = random_input({2, 3, 2}, 37), b132 = random_input({1, 3, 2}, 38);
  const Fn mm = [](Args v) { return matmul(v[0], v[1]); };
  check("1-D·1-D", mm, {v3, w3});
  check("1-D·2-D", mm, {v3, m32});
  check("2-D·1-D", mm, {m23, v3});
  check("2-D·2-D", mm, {m23, m32});
  check("3-D·2-D", mm, {b223, m32});
  check("2-D·3-D", mm, {m23, b232});
  check("3-D·3-D", mm, {b223, b232});
  check("3-D·3-D, a batch of 1", mm, {b223, b132});
  check("3-D·3-D, a batch of 1 on the left", mm, {random_input({1, 2, 3}, 77), b232});
  check("1-D·3-D", mm, {v3, b232});
  check("3-D·1-D", mm, {b223, v3});
  check("3-D·3-D, one batch of 1 constant", mm, {b223, b132.detach()});
  check("transposed 3-D view·2-D (a batch not stacked evenly)", [](Args v) { return matmul(transpose(v[0]), v[1]); },
        {b232, m32});
  check("2-D·2-D, one constant", mm, {m23, m32.detach()});
  // transposed views: passed to BLAS with transpose flags
  check("transposed 2-D views", [](Args v) { return matmul(transpose(v[0]), transpose(v[1])); }, {m32, m23});
  check("transposed 3-D view", [](Args v) { return matmul(transpose(v[0]), v[0]); }, {b232});
  check("x·xᵀ", [](Args v) { return matmul(v[0], transpose(v[0])); }, {m23});
  check("squared 2-D·2-D", [](Args v) {
    const Tensor y = matmul(v[0], v[1]);
    return y * y;
  }, {m23, m32});
}

BOOST_AUTO_TEST_CASE(linear_with_and_without_bias) {
  const Tensor x2 = random_input({3, 4}, 39), x3 = random_input({2, 3, 4}, 40), x1 = random_input({4}, 41);
  const Tensor w = random_input({2, 4}, 42), b = random_input({2}, 43);
  const Fn with_bias = [](Args v) { return linear(v[0], v[1], v[2]); };
  const Fn without = [](Args v) { return linear(v[0], v[1]); };
  check("linear 2-D with bias", with_bias, {x2, w, b});
  check("linear 2-D without bias", without, {x2, w});
  check("linear 3-D with bias", with_bias, {x3, w, b});
  check("linear 3-D without bias", without, {x3, w});
  check("linear 1-D with bias", with_bias, {x1, w, b});
  check("linear 2-D, constant weight", with_bias, {x2, w.detach(), b});
  check("linear 2-D, constant input", with_bias, {x2.detach(), w, b});
  check("linear of a transposed view", [](Args v) { return linear(transpose(v[0]), v[1], v[2]); },
        {random_input({4, 3}, 44), w, b});
  check("tanh(linear) squared", [](Args v) {
    const Tensor y = tanh(linear(v[0], v[1], v[2]));
    return y * y;
  }, {x2, w, b});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_loss)

BOOST_AUTO_TEST_CASE(mse_loss_each_reduction) {
  const Tensor a = random_input({2, 3}, 45), t = random_input({2, 3}, 46);
  for (const char* r : reductions) {
    check(std::string("mse_loss ") + r, [r](Args v) { return mse_loss(v[0], v[1], r); }, {a, t});
    check(std::string("mse_loss, constant target ") + r, [r](Args v) { return mse_loss(v[0], v[1], r); },
          {a, t.detach()});
    check(std::string("mse_loss 0-d ") + r, [r](Args v) { return mse_loss(v[0], v[1], r); },
          {random_input({}, 47), random_input({}, 48)});
  }
}

BOOST_AUTO_TEST_CASE(cross_entropy_with_indices_and_probabilities) {
  const Tensor logits = random_input({3, 4}, 49), row = random_input({4}, 50);
  const Tensor labels = tensor({0, 3, 1}).to(int64), label = full({}, 2, int64);
  const Tensor probs = positive({3, 4}, 51), row_probs = positive({4}, 52);  // need not sum to 1
  for (const char* r : reductions) {
    const std::string what = std::string(" ") + r;
    check(std::string("cross_entropy, indices") + what, [&labels, r](Args v) { return cross_entropy(v[0], labels, r); }, {logits});
    check(std::string("cross_entropy, unbatched index") + what, [&label, r](Args v) { return cross_entropy(v[0], label, r); },
          {row});
    check(std::string("cross_entropy, probabilities") + what, [r](Args v) { return cross_entropy(v[0], v[1], r); },
          {logits, probs});
    check(std::string("cross_entropy, constant probabilities") + what, [r](Args v) { return cross_entropy(v[0], v[1], r); },
          {logits, probs.detach()});
    check(std::string("cross_entropy, unbatched probabilities") + what, [r](Args v) { return cross_entropy(v[0], v[1], r); },
          {row, row_probs});
  }
}

BOOST_AUTO_TEST_CASE(nll_loss_each_reduction) {
  const Tensor x = random_input({3, 4}, 53), row = random_input({4}, 54);
  const Tensor labels = tensor({2, 0, 2}).to(int64), label = full({}, 1, int64);
  for (const char* r : reductions) {
    const std::string what = std::string(" ") + r;
    check_and_square(std::string("nll_loss") + what, [&labels, r](Args v) { return nll_loss(v[0], labels, r); }, {x});
    check_and_square(std::string("nll_loss unbatched") + what, [&label, r](Args v) { return nll_loss(v[0], label, r); }, {row});
    check(std::string("nll_loss of log_softmax") + what, [&labels, r](Args v) { return nll_loss(log_softmax(v[0]), labels, r); },
          {x});
  }
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy_with_logits_each_reduction) {
  const Tensor x = random_input({2, 3}, 55);
  Generator gen(56);
  const Tensor y = rand({2, 3}, gen, float64).requires_grad_();  // targets in [0, 1)
  for (const char* r : reductions) {
    const Fn f = [r](Args v) { return binary_cross_entropy_with_logits(v[0], v[1], r); };
    check(std::string("bce_with_logits ") + r, f, {x, y});
    check(std::string("bce_with_logits, constant target ") + r, f, {x, y.detach()});
  }
}

BOOST_AUTO_TEST_CASE(l1_and_huber_loss_away_from_their_kinks) {
  const Tensor a = input({{0.5, -1.2, 2.9}, {0.1, 1.4, -0.3}});
  const Tensor t = input({{0.2, 0.4, 0.1}, {-1.6, 1.0, 0.0}});  // a - t = 0.3, -1.6, 2.8, 1.7, 0.4, -0.3
  for (const char* r : reductions) {
    const std::string what = std::string(" ") + r;
    check_and_square(std::string("l1_loss") + what, [r](Args v) { return nn::l1_loss(v[0], v[1], r); }, {a, t});
    check(std::string("huber_loss") + what, [r](Args v) { return nn::huber_loss(v[0], v[1], r); }, {a, t});
    check(std::string("huber_loss delta 0.5") + what, [r](Args v) { return nn::huber_loss(v[0], v[1], r, 0.5); }, {a, t});
    check(std::string("huber_loss delta 2, constant target") + what, [r](Args v) { return nn::huber_loss(v[0], v[1], r, 2); },
          {a, t.detach()});
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_shape)

BOOST_AUTO_TEST_CASE(reshape_flatten_squeeze_unsqueeze) {
  const Tensor x = random_input({2, 3}, 57), x3 = random_input({2, 1, 3}, 58), s = random_input({}, 59);
  check_and_square("reshape (3,2)", [](Args v) { return reshape(v[0], {3, 2}); }, {x});
  check_and_square("reshape (-1)", [](Args v) { return reshape(v[0], {-1}); }, {x});
  check_and_square("reshape 0-d to (1,1)", [](Args v) { return reshape(v[0], {1, 1}); }, {s});
  check_and_square("reshape a transposed view (a copy)", [](Args v) { return reshape(transpose(v[0]), {6}); }, {x});
  check_and_square("flatten", [](Args v) { return flatten(v[0]); }, {x3});
  check_and_square("flatten 1..", [](Args v) { return flatten(v[0], 1); }, {x3});
  check_and_square("flatten 0..1", [](Args v) { return flatten(v[0], 0, 1); }, {x3});
  check_and_square("flatten 0-d", [](Args v) { return flatten(v[0]); }, {s});
  check_and_square("squeeze", [](Args v) { return squeeze(v[0]); }, {x3});
  check_and_square("squeeze axis 1", [](Args v) { return squeeze(v[0], 1); }, {x3});
  check_and_square("unsqueeze 0", [](Args v) { return unsqueeze(v[0], 0); }, {x});
  check_and_square("unsqueeze -1", [](Args v) { return unsqueeze(v[0], -1); }, {x});
  check_and_square("unsqueeze 0-d", [](Args v) { return unsqueeze(v[0], 0); }, {s});
}

BOOST_AUTO_TEST_CASE(broadcast_to_and_sum_to) {
  check_and_square("broadcast_to (3,) to (2,3)", [](Args v) { return broadcast_to(v[0], {2, 3}); },
                   {random_input({3}, 60)});
  check_and_square("broadcast_to (2,1) to (2,3)", [](Args v) { return broadcast_to(v[0], {2, 3}); },
                   {random_input({2, 1}, 61)});
  check_and_square("broadcast_to 0-d to (2,2)", [](Args v) { return broadcast_to(v[0], {2, 2}); },
                   {random_input({}, 62)});
  check_and_square("broadcast_to (2,1,3) to (2,2,3)", [](Args v) { return broadcast_to(v[0], {2, 2, 3}); },
                   {random_input({2, 1, 3}, 63)});
  const Tensor x = random_input({2, 3}, 64);
  for (const Shape& to : {Shape{3}, Shape{2, 1}, Shape{1, 3}, Shape{}, Shape{2, 3}})
    check_and_square(std::string("sum_to ") + to_string(to), [to](Args v) { return sum_to(v[0], to); }, {x});
}

BOOST_AUTO_TEST_CASE(transpose_permute_narrow) {
  const Tensor x = random_input({2, 3}, 65), x3 = random_input({2, 3, 2}, 66);
  check_and_square("transpose", [](Args v) { return transpose(v[0]); }, {x});
  check_and_square("transpose 0, 2", [](Args v) { return transpose(v[0], 0, 2); }, {x3});
  check_and_square("permute (2,0,1)", [](Args v) { return permute(v[0], {2, 0, 1}); }, {x3});
  check_and_square("narrow axis 1", [](Args v) { return narrow(v[0], 1, 1, 2); }, {x});
  check_and_square("narrow axis 0", [](Args v) { return narrow(v[0], 0, 1, 1); }, {x});
  check_and_square("narrow axis -1 of 3-D", [](Args v) { return narrow(v[0], -1, 0, 1); }, {x3});
  check_and_square("narrow of a transposed view", [](Args v) { return narrow(transpose(v[0]), 0, 1, 2); }, {x});
}

BOOST_AUTO_TEST_CASE(concat_stack_index_select) {
  const Tensor a = random_input({2, 3}, 67), b = random_input({2, 1}, 68), c = random_input({1, 3}, 69);
  check_and_square("concat axis 1", [](Args v) { return concat({v[0], v[1]}, 1); }, {a, b});
  check_and_square("concat axis 0 of three", [](Args v) { return concat({v[0], v[1], v[0]}, 0); }, {a, c});
  check_and_square("concat axis -1 with a constant", [](Args v) { return concat({v[0], v[1]}, -1); }, {a, b.detach()});
  const Tensor d = random_input({2, 3}, 70);
  check_and_square("stack axis 0", [](Args v) { return stack({v[0], v[1]}, 0); }, {a, d});
  check_and_square("stack axis 1", [](Args v) { return stack({v[0], v[1]}, 1); }, {a, d});
  check_and_square("stack axis -1 of three", [](Args v) { return stack({v[0], v[1], v[0]}, -1); }, {a, d});
  check_and_square("stack of 0-d", [](Args v) { return stack({v[0], v[1]}); }, {random_input({}, 71), random_input({}, 72)});
  const Tensor rows = tensor({1, 0, 1}).to(int64), cols = tensor({2, -1, 0, 2}).to(int64);  // repeats accumulate
  check_and_square("index_select rows", [&rows](Args v) { return index_select(v[0], 0, rows); }, {a});
  check_and_square("index_select columns", [&cols](Args v) { return index_select(v[0], 1, cols); }, {a});
  check_and_square("index_select axis 1 of 3-D", [&rows](Args v) { return index_select(v[0], 1, rows); },
                   {random_input({2, 3, 2}, 73)});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradgradcheck_tensor_methods)

BOOST_AUTO_TEST_CASE(contiguous_and_clone) {
  const Tensor x = random_input({2, 3}, 74);
  check_and_square("contiguous of a transposed view", [](Args v) { return transpose(v[0]).contiguous(); }, {x});
  check_and_square("contiguous of a contiguous tensor", [](Args v) { return v[0].contiguous(); }, {x});
  check_and_square("clone", [](Args v) { return v[0].clone(); }, {x});
  check_and_square("clone of a transposed view", [](Args v) { return transpose(v[0]).clone(); }, {x});
}

BOOST_AUTO_TEST_CASE(to_between_float_dtypes) {
  const Tensor x = random_input({2, 3}, 75);
  check_and_square("to float64 (itself)", [](Args v) { return v[0].to(float64); }, {x});
  // Through float32 the values keep ~7 digits: a larger step and tolerance than float64's.
  const autograd::GradcheckOptions coarse{.eps = 1e-3, .atol = 1e-3, .rtol = 1e-2};
  BOOST_TEST_CONTEXT("to float32 and back") {
    check_second_order([](Args v) {
      const Tensor y = v[0].to(float32);
      return (y * y * y).to(float64);
    }, {x}, coarse);
  }
  // and the gradient comes back in the input's dtype
  const Tensor g = autograd::grad({sum(x.to(float32))}, {x}, {}, {.create_graph = true})[0];
  BOOST_TEST(to_string(g.dtype()) == "float64");
}

BOOST_AUTO_TEST_SUITE_END()

// Gradients that arrive as broadcast views (from sum or mean) and inputs that are strided views (a
// transpose, a narrow): the fused kernels read both, at first order and under create_graph.
BOOST_AUTO_TEST_SUITE(gradgradcheck_views)

const std::vector<std::pair<std::string, Fn>>& unary_ops() {
  static const std::vector<std::pair<std::string, Fn>> ops{
      {"exp", [](Args v) { return exp(v[0]); }},
      {"log", [](Args v) { return log(v[0] + 3.0); }},
      {"sqrt", [](Args v) { return sqrt(v[0] + 3.0); }},
      {"pow 3", [](Args v) { return pow(v[0], 3); }},
      {"pow 2", [](Args v) { return pow(v[0], 2); }},
      {"pow -1.5", [](Args v) { return pow(v[0] + 3.0, -1.5); }},
      {"pow tensor", [](Args v) { return pow(v[0] + 3.0, v[0]); }},
      {"abs", [](Args v) { return abs(v[0]) * v[0]; }},
      {"clamp", [](Args v) { return clamp(v[0], -0.95, 0.95) * v[0]; }},
      {"relu", [](Args v) { return relu(v[0]) * v[0]; }},
      {"leaky_relu", [](Args v) { return leaky_relu(v[0], 0.1) * v[0]; }},
      {"maximum", [](Args v) { return maximum(v[0], v[0] * 0.5) * v[0]; }},
      {"sigmoid", [](Args v) { return sigmoid(v[0]); }},
      {"tanh", [](Args v) { return tanh(v[0]); }},
      {"gelu", [](Args v) { return gelu(v[0]); }},
      {"softplus", [](Args v) { return softplus(v[0], 2, 1); }},
      {"softmax 0", [](Args v) { return softmax(v[0], 0); }},
      {"softmax -1", [](Args v) { return softmax(v[0], -1); }},
      {"log_softmax 0", [](Args v) { return log_softmax(v[0], 0); }},
      {"log_softmax -1", [](Args v) { return log_softmax(v[0], -1); }},
      {"logsumexp 0", [](Args v) { return logsumexp(v[0], {0}, true) * v[0]; }},
      {"max 1", [](Args v) { return max(v[0], {1}) * sum(v[0], {1}); }},
      {"mse_loss", [](Args v) { return mse_loss(v[0], v[0] * v[0]) * v[0]; }},
      {"bce_with_logits", [](Args v) { return binary_cross_entropy_with_logits(v[0], sigmoid(v[0]), "none"); }},
      {"cross_entropy", [](Args v) { return cross_entropy(v[0], softmax(v[0] * 2.0), "none"); }},
      {"linear", [](Args v) { return linear(v[0], v[0]); }},
      {"matmul", [](Args v) { return matmul(v[0], transpose(v[0])); }},
      {"index_select", [](Args v) { return index_select(v[0] * v[0], 1, tensor({2, 0, 2}).to(int64)); }},
  };
  return ops;
}

BOOST_AUTO_TEST_CASE(scalar_results_send_broadcast_gradients) {
  // values away from 0 and from ±0.95 (the kinks above)
  const Tensor x = input({{-0.8, 0.3, 0.6}, {0.4, -0.2, -0.5}, {0.7, -0.6, 0.25}});
  for (const auto& [name, f] : unary_ops()) {
    check("sum of " + name, [f = f](Args v) { return sum(f(v)); }, {x});
    check("mean over 0 of " + name, [f = f](Args v) { return mean(f(v), {0}); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(strided_inputs) {
  const Tensor x = input({{-0.8, 0.3, 0.6}, {0.4, -0.2, -0.5}, {0.7, -0.6, 0.25}});
  for (const auto& [name, f] : unary_ops()) {
    check(name + " of a transpose", [f = f](Args v) { return f({transpose(v[0])}); }, {x});
    check(name + " of a broadcast", [f = f](Args v) { return f({broadcast_to(narrow(v[0], 0, 1, 1), {3, 3})}); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(long_rows_reach_the_vectorised_loops) {
  // 17 per row: two full AVX-512 batches of float64 and a tail (the small inputs above only reach
  // the scalar tails of the fused kernels' xsimd loops)
  const Tensor x = random_input({2, 17}, 76);
  for (const auto& [name, f] : unary_ops()) check(name + " of (2,17)", f, {x});
  const Tensor labels = tensor({16, 3}).to(int64);
  check("cross_entropy with indices of (2,17)", [&labels](Args v) { return cross_entropy(v[0], labels); }, {x});
}

BOOST_AUTO_TEST_CASE(third_order_through_the_recorded_backward_kernels) {
  // gradgradcheck of a first derivative: the third derivative, through the backward of each fused
  // backward kernel (sigmoid_backward, softmax_backward, ...), which must itself be differentiable.
  // (Without a grad_output, gradgradcheck used to probe f's shape on detached inputs with grad mode
  // off, where f's own autograd::grad threw "input 0 does not require grad".)
  const Tensor x = input({{-0.8, 0.3, 0.6}, {0.4, -0.2, -0.5}, {0.7, -0.6, 0.25}});
  const Tensor w = tensor({{0.3, -1.2, 0.8}, {1.1, 0.5, -0.7}, {-0.4, 0.9, 0.2}}, float64);
  for (const auto& [name, f] : unary_ops()) {
    const Fn derivative = [f = f, w](Args v) {
      AutoGradMode recording(true);  // gradcheck's finite differences run without grad mode
      return autograd::grad({sum(f(v) * w)}, {v[0]}, {}, {.create_graph = true})[0];
    };
    check("derivative of " + name, derivative, {x});
  }
}

BOOST_AUTO_TEST_SUITE_END()
