// Elementwise ops: gradients against finite differences (with broadcasting, scalars and 0-d
// tensors), values against NumPy (float64 and float32), PyTorch's gradient conventions at the
// edges (pow at 0, abs at 0, clamp bounds, max/min ties), comparisons, and error messages.
// Reference numbers come from NumPy 1.24 / PyTorch 1.13.
#include "support/check.hpp"

#include <limits>

using namespace descent;
using testing::check_error;
using testing::check_gradient;
using testing::check_values;
using testing::random_input;
using Inputs = std::vector<Tensor>;

namespace {

constexpr double Inf = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

/// A float64 leaf with the given values that requires grad.
Tensor leaf(const xt::xarray<double>& values) { return tensor(values, float64).requires_grad_(); }

/// A float64 leaf of values in [low, high) that requires grad (keeps gradchecks off poles and kinks).
Tensor uniform_input(const Shape& shape, double low, double high, std::uint64_t seed) {
  Generator gen(seed);
  return uniform(shape, low, high, gen, float64).requires_grad_();
}

/// d(sum f(x))/dx for a single leaf.
Tensor grad_of(const std::function<Tensor(const Tensor&)>& f, Tensor x) {
  x.zero_grad();
  sum(f(x)).backward();
  return x.grad();
}

/// An (n,1) tensor ({{a}, {b}} is ambiguous as an xarray initializer).
Tensor column(const xt::xarray<double>& values, Dtype dtype) { return reshape(tensor(values, dtype), {-1, 1}); }

// The NumPy reference inputs: x has mixed signs, pos = |x|.
const xt::xarray<double> x_values = {{0.5, -1.25, 2.0}, {3.0, -0.75, 1.5}};
const xt::xarray<double> pos_values = {{0.5, 1.25, 2.0}, {3.0, 0.75, 1.5}};

}  // namespace

BOOST_AUTO_TEST_SUITE(elementwise_arithmetic)

BOOST_AUTO_TEST_CASE(gradients_same_shape) {
  const Tensor a = random_input({2, 3}, 1), b = random_input({2, 3}, 2), d = uniform_input({2, 3}, 0.5, 2, 3);
  check_gradient([](const Inputs& in) { return add(in[0], in[1]); }, {a, b});
  check_gradient([](const Inputs& in) { return sub(in[0], in[1]); }, {a, b});
  check_gradient([](const Inputs& in) { return mul(in[0], in[1]); }, {a, b});
  check_gradient([](const Inputs& in) { return div(in[0], in[1]); }, {a, d});
  check_gradient([](const Inputs& in) { return neg(in[0]); }, {a});
  check_gradient([](const Inputs& in) { return -in[0] + in[1] * in[0] - in[1] / in[2]; }, {a, b, d});
}

BOOST_AUTO_TEST_CASE(gradients_broadcast_row) {  // (2,3) with (3,)
  const Tensor a = random_input({2, 3}, 4), b = random_input({3}, 5);
  const Tensor da = uniform_input({2, 3}, 0.5, 2, 6), db = uniform_input({3}, -2, -0.5, 7);
  check_gradient([](const Inputs& in) { return in[0] + in[1]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[1] - in[0]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[0] * in[1]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[0] / in[1]; }, {a, db});
  check_gradient([](const Inputs& in) { return in[1] / in[0]; }, {da, b});
}

BOOST_AUTO_TEST_CASE(gradients_broadcast_outer) {  // (2,1) with (1,3) -> (2,3)
  const Tensor a = random_input({2, 1}, 8), b = random_input({1, 3}, 9), d = uniform_input({1, 3}, 0.5, 2, 10);
  check_gradient([](const Inputs& in) { return in[0] + in[1]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[0] - in[1]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[0] * in[1]; }, {a, b});
  check_gradient([](const Inputs& in) { return in[0] / in[1]; }, {a, d});
  const Tensor out = random_input({2, 1}, 11) * random_input({1, 3}, 12);
  BOOST_TEST(to_string(out.shape()) == "(2,3)");
}

BOOST_AUTO_TEST_CASE(gradients_with_scalars) {  // double on either side
  const Tensor x = random_input({2, 3}, 13), d = uniform_input({2, 3}, 0.5, 2, 14);
  check_gradient([](const Inputs& in) { return in[0] + 2.5; }, {x});
  check_gradient([](const Inputs& in) { return 2.5 + in[0]; }, {x});
  check_gradient([](const Inputs& in) { return in[0] - 2.5; }, {x});
  check_gradient([](const Inputs& in) { return 2.5 - in[0]; }, {x});
  check_gradient([](const Inputs& in) { return in[0] * -1.5; }, {x});
  check_gradient([](const Inputs& in) { return -1.5 * in[0]; }, {x});
  check_gradient([](const Inputs& in) { return in[0] / 4.0; }, {x});
  check_gradient([](const Inputs& in) { return 3.0 / in[0]; }, {d});
}

BOOST_AUTO_TEST_CASE(gradients_zero_dim) {  // 0-d tensors alone and broadcast against (2,3)
  const Tensor s = leaf(0.75), t = leaf(-1.5), x = random_input({2, 3}, 15);
  check_gradient([](const Inputs& in) { return in[0] * in[1] + in[0] / in[1] - in[1]; }, {s, t});
  check_gradient([](const Inputs& in) { return in[0] * in[1]; }, {s, x});
  check_gradient([](const Inputs& in) { return in[1] - in[0]; }, {s, x});
  check_gradient([](const Inputs& in) { return in[1] / in[0]; }, {s, x});
  const Tensor y = s + t;
  BOOST_TEST(to_string(y.shape()) == "()");
  BOOST_TEST(y.item() == -0.75);
}

BOOST_AUTO_TEST_CASE(tensor_used_twice_sums_gradients) {
  const Tensor x = leaf({1.0, -2.0, 3.0});
  check_values(grad_of([](const Tensor& v) { return v * v; }, x), {2.0, -4.0, 6.0});
  check_values(grad_of([](const Tensor& v) { return v * v * v + v; }, x), {4.0, 13.0, 28.0});
  check_values(grad_of([](const Tensor& v) { return v / v; }, x), {0.0, 0.0, 0.0}, 0, 1e-15);
  check_gradient([](const Inputs& in) { return in[0] * in[0] - in[0]; }, {random_input({2, 3}, 16)});
}

BOOST_AUTO_TEST_CASE(broadcast_layouts_against_xtensor) {
  // Every broadcasting layout the kernels special-case, against xtensor's own broadcasting: a
  // one-element input (also one that adds leading axes), rows, columns gathered in blocks (rows
  // crossing block boundaries), and rows and columns together.
  Generator gen(50);
  const auto check = [&](const Shape& sa, const Shape& sb) {
    const Tensor a = randn(sa, gen, float64), b = randn(sb, gen, float64);
    const xt::xarray<double> xa = a.to_xarray<double>(), xb = b.to_xarray<double>();
    BOOST_TEST_CONTEXT(to_string(sa) << " with " << to_string(sb)) {
      check_values(a + b, xa + xb, 1e-15);
      check_values(b - a, xb - xa, 1e-15);
      check_values(maximum(a, b), xt::maximum(xa, xb), 0);
      check_values(where(a > b, a, b), xt::where(xa > xb, xa, xb), 0);
      check_values(lt(b, a), xb < xa, 0);
    }
  };
  check({1, 1}, {3});           // -> (1,3), the scalar drops the leading axis
  check({}, {2, 3});            // 0-d
  check({4, 700}, {700});       // row
  check({3, 1000}, {3, 1});     // column, 3000 elements: blocks of 2048 split a row
  check({2, 3, 700}, {2, 3, 1});
  check({2, 1, 700}, {1, 3, 1});  // a row and a column together
  check({5, 1}, {1, 4});        // short rows
  check({1, 2, 1}, {3, 1, 4});
}

BOOST_AUTO_TEST_CASE(gradients_broadcast_columns) {  // the gathered layouts, in backward too
  const Tensor a = random_input({3, 20}, 51), col = random_input({3, 1}, 52), row = random_input({1, 20}, 53);
  check_gradient([](const Inputs& in) { return in[0] * in[1] + in[1] / (in[0] * in[0] + 1.0); }, {a, col});
  check_gradient([](const Inputs& in) { return in[0] * in[1] - in[1]; }, {col, row});
  check_gradient([](const Inputs& in) { return in[0] * in[1]; }, {reshape(leaf(2.0), {1, 1}), random_input({3}, 54)});
}

BOOST_AUTO_TEST_CASE(values_float64_and_float32) {
  for (Dtype dtype : {float64, float32}) {
    const Tensor a = tensor(x_values, dtype), b = tensor({0.0, -1.0, 2.5}, dtype);
    check_values(a + b, {{0.5, -2.25, 4.5}, {3.0, -1.75, 4.0}});
    check_values(a - b, {{0.5, -0.25, -0.5}, {3.0, 0.25, -1.0}});
    check_values(a * b, {{0.0, 1.25, 5.0}, {0.0, 0.75, 3.75}});
    check_values(b / a, {{0.0, 0.8, 1.25}, {0.0, 1.3333333333333333, 1.6666666666666667}}, 1e-6);
    check_values(-a, {{-0.5, 1.25, -2.0}, {-3.0, 0.75, -1.5}});
    BOOST_TEST(to_string((a * b).dtype()) == to_string(dtype));
    BOOST_TEST(to_string((a * 2.0).dtype()) == to_string(dtype));
  }
}

BOOST_AUTO_TEST_CASE(records_only_when_needed) {
  const Tensor a = tensor({1.0, 2.0}, float64), b = leaf({3.0, 4.0});
  BOOST_TEST(!(a * a).requires_grad());
  BOOST_TEST((a * b).requires_grad());
  BOOST_TEST(!exp(a).requires_grad());
  {
    NoGradGuard no_grad;
    BOOST_TEST(!(a * b).requires_grad());
    BOOST_TEST(exp(b).is_leaf());
  }
  // A constant operand gets no gradient and is not differentiated.
  const Tensor y = a * b;
  sum(y).backward();
  check_values(b.grad(), {1.0, 2.0});
  BOOST_TEST(!a.grad().defined());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(elementwise_math)

BOOST_AUTO_TEST_CASE(values_float64) {
  const Tensor x = tensor(x_values, float64), p = tensor(pos_values, float64);
  check_values(exp(x), {{1.6487212707001282, 0.2865047968601901, 7.38905609893065},
                        {20.085536923187668, 0.4723665527410147, 4.481689070338065}}, 1e-14);
  check_values(log(p), {{-0.6931471805599453, 0.22314355131420974, 0.6931471805599453},
                        {1.0986122886681096, -0.2876820724517809, 0.4054651081081644}}, 1e-14);
  check_values(sqrt(p), {{0.7071067811865476, 1.118033988749895, 1.4142135623730951},
                         {1.7320508075688772, 0.8660254037844386, 1.224744871391589}}, 1e-14);
  check_values(abs(x), pos_values);
  check_values(pow(p, 2.5), {{0.1767766952966369, 1.7469281074217107, 5.656854249492381},
                             {15.588457268119896, 0.48713928962874675, 2.7556759606310752}}, 1e-14);
  check_values(pow(p, -1.5), {{2.8284271247461903, 0.7155417527999327, 0.3535533905932738},
                              {0.19245008972987526, 1.539600717839002, 0.5443310539518174}}, 1e-14);
  check_values(pow(x, 3.0), {{0.125, -1.953125, 8.0}, {27.0, -0.421875, 3.375}}, 1e-14);
  check_values(pow(x, 2.0), {{0.25, 1.5625, 4.0}, {9.0, 0.5625, 2.25}}, 1e-15);
  check_values(pow(p, 0.5), sqrt(p).to_xarray<double>(), 1e-15);
  check_values(pow(p, tensor({0.5, -1.0, 2.0}, float64)),
               {{0.7071067811865476, 0.7999999999999999, 4.0}, {1.7320508075688772, 1.3333333333333333, 2.25}}, 1e-14);
  check_values(pow(2.0, x), {{1.4142135623730951, 0.42044820762685725, 4.0},
                             {8.0, 0.5946035575013605, 2.8284271247461903}}, 1e-14);
}

BOOST_AUTO_TEST_CASE(values_float32) {
  const Tensor x = tensor(x_values, float32), p = tensor(pos_values, float32);
  BOOST_TEST(to_string(exp(x).dtype()) == "float32");
  BOOST_TEST(to_string(pow(2.0, x).dtype()) == "float32");
  check_values(exp(x), {{1.6487212181091309, 0.2865047752857208, 7.3890557289123535},
                        {20.08553695678711, 0.4723665416240692, 4.481688976287842}}, 1e-6);
  check_values(log(p), {{-0.6931471824645996, 0.2231435477733612, 0.6931471824645996},
                        {1.0986123085021973, -0.28768208622932434, 0.40546509623527527}}, 1e-6);
  check_values(sqrt(p), {{0.7071067690849304, 1.1180340051651, 1.4142135381698608},
                         {1.7320507764816284, 0.8660253882408142, 1.2247449159622192}}, 1e-6);
  check_values(abs(x), pos_values);
  check_values(pow(p, 2.5), {{0.1767766922712326, 1.746928095817566, 5.656854152679443},
                             {15.588457107543945, 0.4871392846107483, 2.755676031112671}}, 1e-6);
  check_values(pow(p, -1.5), {{2.8284270763397217, 0.7155417203903198, 0.3535533845424652},
                              {0.19245009124279022, 1.5396007299423218, 0.5443310141563416}}, 1e-6);
  check_values(pow(x, 3.0), {{0.125, -1.953125, 8.0}, {27.0, -0.421875, 3.375}}, 1e-6);
  check_values(pow(p, tensor({0.5, -1.0, 2.0}, float32)),
               {{0.7071067690849304, 0.800000011920929, 4.0}, {1.732050895690918, 1.3333333730697632, 2.25}}, 1e-6);
  check_values(pow(2.0, x), {{1.4142135381698608, 0.4204482138156891, 4.0},
                             {8.0, 0.5946035385131836, 2.8284270763397217}}, 1e-6);
}

BOOST_AUTO_TEST_CASE(float32_backward) {
  const Tensor x = tensor({0.5, -1.25, 2.0}, float32).requires_grad_();
  const Tensor g = grad_of([](const Tensor& v) { return pow(v, 3.0) * v + exp(v); }, x);
  BOOST_TEST(to_string(g.dtype()) == "float32");
  // 4 x^3 + exp(x)
  check_values(g, {0.5 + 1.6487212707001282, -7.8125 + 0.2865047968601901, 32.0 + 7.38905609893065}, 1e-6);
}

BOOST_AUTO_TEST_CASE(gradients_unary) {
  const Tensor x = random_input({2, 3}, 20), p = uniform_input({2, 3}, 0.3, 3, 21);
  const Tensor away = leaf({{0.5, -1.25, 2.0}, {3.0, -0.75, 1.5}});  // abs: away from the kink at 0
  check_gradient([](const Inputs& in) { return exp(in[0]); }, {x});
  check_gradient([](const Inputs& in) { return log(in[0]); }, {p});
  check_gradient([](const Inputs& in) { return sqrt(in[0]); }, {p});
  check_gradient([](const Inputs& in) { return abs(in[0]); }, {away});
  check_gradient([](const Inputs& in) { return exp(in[0]); }, {leaf(0.3)});  // 0-d
  check_gradient([](const Inputs& in) { return log(exp(in[0]) + sqrt(abs(in[0]) + 1.0)); }, {away});
}

BOOST_AUTO_TEST_CASE(gradients_pow_scalar_exponent) {
  const Tensor x = random_input({2, 3}, 22), p = uniform_input({2, 3}, 0.3, 3, 23);
  for (double e : {2.0, 3.0, 1.0, 0.0})
    check_gradient([e](const Inputs& in) { return pow(in[0], e); }, {x});
  for (double e : {0.5, 2.5, -1.5, -2.0, 1.0 / 3})
    check_gradient([e](const Inputs& in) { return pow(in[0], e); }, {p});
}

BOOST_AUTO_TEST_CASE(gradients_pow_tensor_exponent) {
  const Tensor base = uniform_input({2, 3}, 0.3, 3, 24), e = random_input({2, 3}, 25);
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); }, {base, e});
  // Broadcasting: (2,3) ** (3,), (2,1) ** (1,3), 0-d ** (2,3).
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); }, {base, random_input({3}, 26)});
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); },
                 {uniform_input({2, 1}, 0.3, 3, 27), random_input({1, 3}, 28)});
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); }, {leaf(1.7), e});
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); },
                 {uniform_input({3, 20}, 0.3, 3, 38), random_input({3, 1}, 39)});
  // Only one side differentiated.
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); }, {base, e.detach()});
  check_gradient([](const Inputs& in) { return pow(in[0], in[1]); }, {base.detach(), e});
  // Scalar base.
  check_gradient([](const Inputs& in) { return pow(2.0, in[0]); }, {e});
  check_gradient([](const Inputs& in) { return pow(0.5, in[0]); }, {e});
}

BOOST_AUTO_TEST_CASE(pow_gradients_at_edges_as_pytorch) {
  // d/dbase = e x^(e-1), 0 where e == 0; d/dexponent = x^e log x, 0 where x == 0 and e >= 0.
  const Tensor b = leaf({0.0, 0.0, 0.0, -2.0, 2.0}), e = leaf({2.0, 0.0, -1.0, 2.0, 0.0});
  const Tensor y = pow(b, e);
  check_values(y, {0.0, 1.0, Inf, 4.0, 1.0});
  sum(y).backward();
  check_values(b.grad(), {0.0, 0.0, -Inf, -4.0, 0.0});
  check_values(e.grad(), {0.0, 0.0, -Inf, NaN, 0.6931471805599453}, 1e-15);

  const Tensor e2 = leaf({2.0, 0.0, -1.0});
  check_values(grad_of([](const Tensor& v) { return pow(0.0, v); }, e2), {0.0, 0.0, -Inf});
  check_values(grad_of([](const Tensor& v) { return pow(-2.0, v); }, e2), {NaN, NaN, NaN});

  const Tensor x = leaf({0.0, -1.0, 2.0});
  check_values(grad_of([](const Tensor& v) { return pow(v, 0.0); }, x), {0.0, 0.0, 0.0});
  check_values(grad_of([](const Tensor& v) { return pow(v, 0.5); }, x), {Inf, NaN, 0.35355339059327373}, 1e-15);
  check_values(grad_of([](const Tensor& v) { return pow(v, -1.0); }, x), {-Inf, -1.0, -0.25});
  check_values(pow(x, -1.0), {Inf, -1.0, 0.5});
}

BOOST_AUTO_TEST_CASE(abs_gradient_is_zero_at_zero) {
  const Tensor x = leaf({0.0, -1.0, 2.0});
  check_values(grad_of([](const Tensor& v) { return abs(v); }, x), {0.0, -1.0, 1.0});
}

BOOST_AUTO_TEST_CASE(strided_inputs) {  // a broadcast view (stride 0) as input
  const Tensor row = leaf({0.5, -1.0, 2.0});
  check_values(exp(broadcast_to(row, {2, 3})), {{1.6487212707001282, 0.36787944117144233, 7.38905609893065},
                                                 {1.6487212707001282, 0.36787944117144233, 7.38905609893065}},
               1e-14);
  check_gradient([](const Inputs& in) { return abs(broadcast_to(in[0], {2, 3})) * in[1]; },
                 {row, random_input({2, 3}, 29)});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(elementwise_clamp_extrema)

BOOST_AUTO_TEST_CASE(values) {
  for (Dtype dtype : {float64, float32}) {
    const Tensor x = tensor(x_values, dtype), o = tensor({0.0, -1.0, 2.5}, dtype);
    check_values(clamp(x, -1, 1.5), {{0.5, -1.0, 1.5}, {1.5, -0.75, 1.5}});
    check_values(clamp_min(x, 0), {{0.5, 0.0, 2.0}, {3.0, 0.0, 1.5}});
    check_values(clamp_max(x, 1), {{0.5, -1.25, 1.0}, {1.0, -0.75, 1.0}});
    check_values(maximum(x, o), {{0.5, -1.0, 2.5}, {3.0, -0.75, 2.5}});
    check_values(minimum(x, o), {{0.0, -1.25, 2.0}, {0.0, -1.0, 1.5}});
    check_values(clamp(x, 0.7, 0.7), {{0.7, 0.7, 0.7}, {0.7, 0.7, 0.7}}, 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(nan_propagates) {
  const Tensor x = tensor({NaN, 1.0}, float64), y = tensor({1.0, NaN}, float64);
  check_values(clamp(x, 0, 0.5), {NaN, 0.5});
  check_values(clamp_min(x, 2), {NaN, 2.0});
  check_values(clamp_max(x, 0), {NaN, 0.0});
  check_values(maximum(x, y), {NaN, NaN});
  check_values(minimum(x, y), {NaN, NaN});
}

BOOST_AUTO_TEST_CASE(clamp_gradients) {
  const Tensor x = leaf({{-2.2, -0.6, 0.1}, {0.9, 1.7, 3.0}});  // no element within 1e-6 of a bound
  check_gradient([](const Inputs& in) { return clamp(in[0], -1, 1.5); }, {x});
  check_gradient([](const Inputs& in) { return clamp_min(in[0], 0); }, {x});
  check_gradient([](const Inputs& in) { return clamp_max(in[0], 0.5); }, {x});
  // The bounds themselves pass the gradient (PyTorch).
  const Tensor c = leaf({-2.0, -1.0, 0.0, 1.5, 3.0});
  check_values(clamp(c, -1, 1.5), {-1.0, -1.0, 0.0, 1.5, 1.5});
  check_values(grad_of([](const Tensor& v) { return clamp(v, -1, 1.5); }, c), {0.0, 1.0, 1.0, 1.0, 0.0});
  check_values(grad_of([](const Tensor& v) { return clamp_min(v, 0); }, c), {0.0, 0.0, 1.0, 1.0, 1.0});
  check_values(grad_of([](const Tensor& v) { return clamp_max(v, 0); }, c), {1.0, 1.0, 1.0, 0.0, 0.0});
}

BOOST_AUTO_TEST_CASE(maximum_minimum_gradients) {
  const Tensor a = random_input({2, 3}, 30), b = random_input({2, 3}, 31);
  check_gradient([](const Inputs& in) { return maximum(in[0], in[1]); }, {a, b});
  check_gradient([](const Inputs& in) { return minimum(in[0], in[1]); }, {a, b});
  // Broadcasting: (2,3) with (3,) and (2,1) with (1,3).
  check_gradient([](const Inputs& in) { return maximum(in[0], in[1]); }, {a, random_input({3}, 32)});
  check_gradient([](const Inputs& in) { return minimum(in[1], in[0]); }, {a, random_input({3}, 33)});
  check_gradient([](const Inputs& in) { return maximum(in[0], in[1]); },
                 {random_input({2, 1}, 34), random_input({1, 3}, 35)});
  check_gradient([](const Inputs& in) { return minimum(in[0], in[1]); }, {leaf(0.1), a});
  check_gradient([](const Inputs& in) { return maximum(in[0], in[1]); },
                 {random_input({3, 20}, 36), random_input({3, 1}, 37)});
}

BOOST_AUTO_TEST_CASE(ties_split_the_gradient) {
  Tensor a = leaf({1.0, 2.0, 3.0, NaN}), b = leaf({1.0, 0.0, 5.0, 1.0});
  sum(maximum(a, b)).backward();
  check_values(a.grad(), {0.5, 1.0, 0.0, 1.0});
  check_values(b.grad(), {0.5, 0.0, 1.0, 1.0});
  a.zero_grad();
  b.zero_grad();
  sum(minimum(a, b)).backward();
  check_values(a.grad(), {0.5, 0.0, 1.0, 1.0});
  check_values(b.grad(), {0.5, 1.0, 0.0, 1.0});
  // A tie against a broadcast scalar: the scalar collects half of each tied element.
  const Tensor s = leaf(2.0), v = leaf({2.0, 2.0, 1.0});
  sum(maximum(v, s)).backward();
  check_values(v.grad(), {0.5, 0.5, 0.0});
  check_values(s.grad(), 2.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(elementwise_where)

BOOST_AUTO_TEST_CASE(values) {
  for (Dtype dtype : {float64, float32}) {
    const Tensor cond = tensor({1, 0, 1}, boolean);
    const Tensor out = where(cond, tensor(x_values, dtype), column({10.0, 20.0}, dtype));
    check_values(out, {{0.5, 10.0, 2.0}, {3.0, 20.0, 1.5}});
    BOOST_TEST(to_string(out.dtype()) == to_string(dtype));
  }
  // Any dtype as condition: non-zero is true (NaN too).
  const Tensor a = tensor({1.0, 2.0, 3.0, 4.0}, float64), b = zeros({4}, float64);
  check_values(where(tensor({0.0, 2.5, -1.0, NaN}, float64), a, b), {0.0, 2.0, 3.0, 4.0});
  check_values(where(tensor({0.0, 2.5, -1.0, 0.0}, float32), a, b), {0.0, 2.0, 3.0, 0.0});
  check_values(where(tensor({0, 7, 0, -3}, int64), a, b), {0.0, 2.0, 0.0, 4.0});
  // Built from a comparison, the usual way.
  check_values(where(a > 2.5, a, b), {0.0, 0.0, 3.0, 4.0});
}

BOOST_AUTO_TEST_CASE(broadcast_condition) {  // condition (2,1), a (3,), b 0-d -> (2,3)
  const Tensor cond = column({1.0, 0.0}, boolean);
  const Tensor out = where(cond, tensor({1.0, 2.0, 3.0}, float64), tensor(-1.0, float64));
  check_values(out, {{1.0, 2.0, 3.0}, {-1.0, -1.0, -1.0}});
}

BOOST_AUTO_TEST_CASE(gradients) {
  const Tensor cond = tensor({1, 0, 1}, boolean);
  const Tensor a = random_input({2, 3}, 40), b = random_input({2, 1}, 41);
  check_gradient([cond](const Inputs& in) { return where(cond, in[0], in[1]); }, {a, b});
  check_gradient([cond](const Inputs& in) { return where(cond, in[1], in[0]); }, {a, b});
  const Tensor float_cond = column({0.0, 3.0}, float64);  // float condition (2,1) with (3,) and 0-d
  check_gradient([float_cond](const Inputs& in) { return where(float_cond, in[0], in[1]); },
                 {random_input({3}, 42), leaf(0.5)});
  check_gradient([cond](const Inputs& in) { return where(cond, in[0], in[1]); }, {a, b.detach()});

  // Gradient flows to a where true and to b where false, summed over broadcasting.
  const Tensor x = leaf({1.0, 2.0, 3.0}), y = leaf(5.0);
  sum(where(cond, x, y)).backward();
  check_values(x.grad(), {1.0, 0.0, 1.0});
  check_values(y.grad(), 1.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(elementwise_comparisons)

BOOST_AUTO_TEST_CASE(tensor_tensor_with_broadcasting) {
  for (Dtype dtype : {float64, float32, int64}) {
    const Tensor a = tensor({{1, 2, 3}, {4, 5, 6}}, dtype), b = tensor({3, 2, 6}, dtype);
    check_values(eq(a, b), {{0, 1, 0}, {0, 0, 1}});
    check_values(ne(a, b), {{1, 0, 1}, {1, 1, 0}});
    check_values(lt(a, b), {{1, 0, 1}, {0, 0, 0}});
    check_values(le(a, b), {{1, 1, 1}, {0, 0, 1}});
    check_values(gt(a, b), {{0, 0, 0}, {1, 1, 0}});
    check_values(ge(a, b), {{0, 1, 0}, {1, 1, 1}});
    check_values(a < b, {{1, 0, 1}, {0, 0, 0}});
    check_values(a <= b, {{1, 1, 1}, {0, 0, 1}});
    check_values(a > b, {{0, 0, 0}, {1, 1, 0}});
    check_values(a >= b, {{0, 1, 0}, {1, 1, 1}});
    BOOST_TEST(to_string(lt(a, b).dtype()) == "bool");
    BOOST_TEST(to_string((a >= b).dtype()) == "bool");
  }
  // (2,1) with (1,3), and 0-d.
  const Tensor col = column({1.0, 2.0}, float32), row = reshape(tensor({0.0, 1.0, 2.0}, float32), {1, -1});
  check_values(col > row, {{1, 0, 0}, {1, 1, 0}});
  check_values(eq(tensor(2.0, float32), row), {{0, 0, 1}});
  // Booleans compare too.
  check_values(eq(tensor({1, 0}, boolean), tensor({1, 1}, boolean)), {1, 0});
}

BOOST_AUTO_TEST_CASE(tensor_scalar) {
  const Tensor f = tensor({{0.5, 1.5}, {2.5, -1.0}}, float64);
  check_values(f < 1.5, {{1, 0}, {0, 1}});
  check_values(f <= 1.5, {{1, 1}, {0, 1}});
  check_values(f > 1.5, {{0, 0}, {1, 0}});
  check_values(f >= 1.5, {{0, 1}, {1, 0}});
  check_values(eq(f, 2.5), {{0, 0}, {1, 0}});
  check_values(ne(f, 2.5), {{1, 1}, {0, 1}});
  check_values(lt(f, 0), {{0, 0}, {0, 1}});
  check_values(le(f, 0.5), {{1, 0}, {0, 1}});
  check_values(gt(f, 0.5), {{0, 1}, {1, 0}});
  check_values(ge(f, 0.5), {{1, 1}, {1, 0}});
  BOOST_TEST(to_string((f < 1.5).dtype()) == "bool");
  // The scalar takes a float32 tensor's dtype, as in PyTorch: float32(0.1) == 0.1.
  check_values(eq(tensor({0.1, 0.2}, float32), 0.1), {1, 0});
  // int64 tensors: exact against integers, real comparison against fractions (PyTorch).
  const Tensor i = tensor({1, 2, 3}, int64);
  check_values(i < 1.5, {1, 0, 0});
  check_values(eq(i, 2), {0, 1, 0});
  check_values(eq(i, 2.5), {0, 0, 0});
  check_values(i >= 2, {0, 1, 1});
  const Tensor big = from_buffer<std::int64_t>(std::vector<std::int64_t>{(1LL << 53) + 1}.data(), {1});
  check_values(eq(big, 9007199254740992.0), {0});  // 2^53 + 1 != 2^53 (no rounding through double)
}

BOOST_AUTO_TEST_CASE(nan_compares_false_except_ne) {
  const Tensor x = tensor({NaN, 1.0}, float64);
  check_values(eq(x, x), {0, 1});
  check_values(ne(x, x), {1, 0});
  check_values(x < 2.0, {0, 1});
  check_values(x >= NaN, {0, 0});
}

BOOST_AUTO_TEST_CASE(never_recorded) {
  const Tensor a = leaf({1.0, 2.0}), b = leaf({2.0, 1.0});
  for (const Tensor& r : {lt(a, b), eq(a, b), a > b, a <= 1.0, ne(a, 1.0)}) {
    BOOST_TEST(!r.requires_grad());
    BOOST_TEST(r.is_leaf());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(elementwise_errors)

BOOST_AUTO_TEST_CASE(broadcasting_mismatch) {
  check_error([] { add(ones({2, 3}), ones({4})); }, "add: cannot broadcast (2,3) with (4,)");
  check_error([] { mul(ones({2, 3}), ones({3, 2})); }, "mul: cannot broadcast (2,3) with (3,2)");
  check_error([] { pow(ones({2, 3}), ones({2})); }, "pow: cannot broadcast (2,3) with (2,)");
  check_error([] { maximum(ones({2, 3}), ones({2})); }, "maximum: cannot broadcast (2,3) with (2,)");
  check_error([] { (void)(ones({2, 3}) < ones({4})); }, "lt: cannot broadcast (2,3) with (4,)");
  check_error([] { where(tensor({1, 0}, boolean), ones({3}), ones({3})); }, "where: cannot broadcast (2,) with (3,)");
}

BOOST_AUTO_TEST_CASE(dtype_mismatch) {
  check_error([] { add(ones({2}, float32), ones({2}, float64)); },
              "add: dtype mismatch: float32 (2,) and float64 (2,)");
  check_error([] { (void)(ones({2}, float64) * ones({2}, float32)); }, "mul: dtype mismatch: float64 (2,) and float32");
  check_error([] { pow(ones({2}, float32), ones({2}, float64)); }, "pow: dtype mismatch");
  check_error([] { minimum(ones({2}, float32), ones({2}, float64)); }, "minimum: dtype mismatch");
  check_error([] { where(ones({2}, boolean), ones({2}, float32), ones({2}, float64)); }, "where: dtype mismatch");
  // An int64 or bool operand takes a floating one's dtype (test_integer_arithmetic): no error there.
}

BOOST_AUTO_TEST_CASE(non_floating_input) {
  const Tensor i = tensor({1, 2}, int64);
  check_error([&] { exp(i); }, "exp: expected a float32 or float64 tensor, got int64");
  check_error([&] { log(i); }, "log: expected a float32 or float64 tensor, got int64");
  check_error([&] { sqrt(i); }, "sqrt: expected a float32 or float64 tensor, got int64");
  check_error([&] { abs(i); }, "abs: expected a float32 or float64 tensor, got int64");
  check_error([&] { pow(i, 2.0); }, "pow: expected a float32 or float64 tensor, got int64");
  check_error([&] { pow(2.0, i); }, "pow: expected a float32 or float64 tensor, got int64");
  check_error([&] { clamp(i, 0, 1); }, "clamp: expected a float32 or float64 tensor, got int64");
  check_error([] { add(ones({2}, boolean), ones({2}, boolean)); }, "add: expected a float32 or float64 tensor, got bool");
  check_error([&] { where(ones({2}, boolean), i, i); }, "where: expected a float32 or float64 tensor, got int64");
}

BOOST_AUTO_TEST_CASE(clamp_bounds) {
  check_error([] { clamp(ones({2}), 2, 1); }, "clamp: min (2) must not be greater than max (1)");
  check_error([] { clamp(ones({2}), 0, NaN); }, "clamp: min (0) must not be greater than max (nan)");
}

BOOST_AUTO_TEST_SUITE_END()

// --- erf -----------------------------------------------------------------------------------

#include "support/closed_form.hpp"

namespace erf_reference {
#include "ops/erf_gelu_values.inc"
}

BOOST_AUTO_TEST_SUITE(elementwise_erf)

BOOST_AUTO_TEST_CASE(values_and_derivatives_against_pytorch) {
  // x = 4·sin(0.7k + 0.1) over (3, 7): values, the gradient and a Hessian-vector product (create_graph).
  const Tensor x = testing::sine_filled({3, 7}, 4, 0.7, 0.1).requires_grad_();
  const Tensor y = erf(x);
  testing::check_close(y, erf_reference::erf_y);
  const Tensor u = testing::cosine_upstream({3, 7});
  const Tensor dx = autograd::grad({y}, {x}, {u}, {.create_graph = true})[0];
  testing::check_close(dx, erf_reference::erf_dx);
  testing::check_close(autograd::grad({dx}, {x}, {u})[0], erf_reference::erf_dxx);
  // The plain (fused) backward gives the same gradient.
  testing::check_close(autograd::grad({erf(x)}, {x}, {u})[0], erf_reference::erf_dx);
  // float32
  check_values(erf(x.detach().to(float32)), y.to_xarray<double>(), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(second_order_and_edges) {
  testing::check_second_order([](const Inputs& in) { return erf(in[0] * 1.5); }, {random_input({4, 5}, 50)});
  const double inf = std::numeric_limits<double>::infinity();
  for (Dtype dtype : {float32, float64}) {
    // in the vectorised middle of an array: ±1 beyond |x| = 6, ±inf, NaN kept, odd at ±0
    std::vector<double> v(40, 0.5);
    v[16] = inf, v[17] = -inf, v[18] = 1e300 * (dtype == float64), v[19] = -7, v[20] = -0.0, v[21] = NaN;
    xt::xarray<double> a = xt::zeros<double>({v.size()});
    std::copy(v.begin(), v.end(), a.begin());
    const Tensor y = erf(tensor(a, dtype));
    const xt::xarray<double> r = y.to(float64).to_xarray<double>();
    BOOST_TEST(r(16) == 1.0);
    BOOST_TEST(r(17) == -1.0);
    BOOST_TEST(r(18) == (dtype == float64 ? 1.0 : 0.0));
    BOOST_TEST(r(19) == -1.0);
    BOOST_TEST((r(20) == 0.0 && std::signbit(r(20))));
    BOOST_TEST(std::isnan(r(21)));
  }
  check_error([] { erf(zeros({2}, int64)); }, "erf: ");
}

BOOST_AUTO_TEST_SUITE_END()
