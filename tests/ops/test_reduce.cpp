// Reductions: gradients against finite differences, values against NumPy / PyTorch numbers and a
// brute-force reference over every axis layout, ties, infinities, empty tensors and errors.
#include "support/check.hpp"

#include <cmath>
#include <limits>

#include <xtensor/xview.hpp>

namespace descent {
namespace {

using testing::check_error;
using testing::check_gradient;
using testing::check_values;
using testing::random_input;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Rounded normal values (numpy.random.default_rng(7), * 3, 2 decimals): the NumPy references below.
const xt::xarray<double> X = {{{0.0, 0.9, -0.82, -2.67}, {-1.36, -2.97, 0.18, 4.02}, {-1.48, -1.86, 1.47, 1.07}},
                              {{0.32, -2.79, -0.09, 2.09}, {-4.03, -1.37, -5.7, -3.87}, {-5.53, -0.71, -3.8, 0.81}}};

using Reduction = Tensor (*)(const Tensor&, const Axes&, bool);
using FullReduction = Tensor (*)(const Tensor&);
struct Op {
  const char* name;
  FullReduction all;
  Reduction axes;
};
const Op ops[] = {{"sum", &sum, &sum}, {"mean", &mean, &mean}, {"max", &max, &max},
                  {"min", &min, &min}, {"logsumexp", &logsumexp, &logsumexp}};

// --- brute-force reference: reduce x over `axes` one element at a time, in double ------------
xt::xarray<double> reference(const std::string& op, const xt::xarray<double>& x, std::vector<std::size_t> axes) {
  std::vector<std::size_t> kept(x.shape().begin(), x.shape().end());
  for (auto a : axes) kept[a] = 1;
  xt::xarray<double> out = xt::xarray<double>::from_shape(kept);
  const bool is_max = op == "max" || op == "logsumexp";
  out.fill(is_max ? -inf : op == "min" ? inf : 0.0);
  xt::xarray<double> peak = out;
  std::vector<std::size_t> index(x.dimension());
  // first pass: the maximum (for max and for logsumexp's shift) or the sum
  for (int pass = 0; pass < (op == "logsumexp" ? 2 : 1); ++pass) {
    for (std::size_t flat = 0; flat < x.size(); ++flat) {
      std::size_t rest = flat, o = 0, stride = 1;
      for (std::size_t d = x.dimension(); d-- > 0;) {
        index[d] = rest % x.shape()[d];
        rest /= x.shape()[d];
      }
      for (std::size_t d = x.dimension(); d-- > 0;) {
        o += (kept[d] == 1 ? 0 : index[d]) * stride;
        stride *= kept[d];
      }
      const double v = x.data()[flat];
      double& r = out.data()[o];
      if (op == "logsumexp" && pass == 1) r += std::exp(v - peak.data()[o]);
      else if (is_max) r = std::max(r, v);
      else if (op == "min") r = std::min(r, v);
      else r += v;
    }
    if (op == "logsumexp" && pass == 0) {
      peak = out;
      out.fill(0.0);
    }
  }
  if (op == "logsumexp")
    for (std::size_t o = 0; o < out.size(); ++o) out.data()[o] = std::log(out.data()[o]) + peak.data()[o];
  if (op == "mean") out /= static_cast<double>(x.size() / out.size());
  return out;
}

Tensor t64(const xt::xarray<double>& v) { return tensor(v, float64); }

// Values given flat, in a shape whose innermost length is 1 (nested braces would be ambiguous).
xt::xarray<double> shaped(xt::xarray<double> values, const std::vector<std::size_t>& shape) {
  values.reshape(shape);
  return values;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reduce)

// --- gradients --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gradients_over_all_elements) {
  for (const auto& op : ops) {
    BOOST_TEST_CONTEXT(op.name) {
      check_gradient([&](const std::vector<Tensor>& in) { return op.all(in[0]); }, {random_input({2, 3, 4}, 1)});
      check_gradient([&](const std::vector<Tensor>& in) { return op.all(in[0]); }, {random_input({5}, 2)});
      check_gradient([&](const std::vector<Tensor>& in) { return op.all(in[0]); }, {random_input({}, 3)});
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_over_axes) {
  const std::vector<Axes> choices = {{0}, {1}, {2}, {-1}, {-3}, {0, 2}, {1, 2}, {0, 1}, {2, 0}, {-1, -2}, {0, 1, 2}, {}};
  for (const auto& op : ops) {
    for (const auto& axes : choices) {
      for (bool keepdim : {false, true}) {
        BOOST_TEST_CONTEXT(op.name << " axes " << axes.size() << (axes.empty() ? 0 : axes[0]) << " keepdim "
                                   << keepdim) {
          check_gradient([&](const std::vector<Tensor>& in) { return op.axes(in[0], axes, keepdim); },
                         {random_input({2, 3, 4}, 10 + axes.size())});
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_strided_and_composed_inputs) {
  // a broadcast view (zero strides) as input, and reductions feeding each other
  for (const auto& op : ops) {
    BOOST_TEST_CONTEXT(op.name) {
      check_gradient([&](const std::vector<Tensor>& in) { return op.axes(broadcast_to(in[0], {4, 2, 3}), {0, 2}, false); },
                     {random_input({2, 3}, 20)});
      check_gradient([&](const std::vector<Tensor>& in) { return op.axes(op.axes(in[0], {1}, true) * in[0], {-1}, false); },
                     {random_input({3, 4}, 21)});
    }
  }
}

BOOST_AUTO_TEST_CASE(max_and_min_share_the_gradient_among_ties) {
  Tensor x = t64({{1, 3, 3}, {2, 2, 2}}).requires_grad_();
  max(x, {1}).backward(ones({2}, float64));
  check_values(x.grad(), {{0, 0.5, 0.5}, {1.0 / 3, 1.0 / 3, 1.0 / 3}});

  x.zero_grad();
  (max(x) * 6.0).backward();  // 3 appears twice: 3 each
  check_values(x.grad(), {{0, 3, 3}, {0, 0, 0}});

  x.zero_grad();
  min(x, {0}, true).backward(t64({{1, 2, 4}}));
  check_values(x.grad(), {{1, 0, 0}, {0, 2, 4}});

  // rows and columns longer than a SIMD batch
  xt::xarray<double> wide = xt::zeros<double>({2, 40});
  wide(0, 3) = wide(0, 17) = wide(0, 33) = 5;
  Tensor w = t64(wide).requires_grad_();
  max(w, {1}).backward(t64({3, 40}));
  xt::xarray<double> expected = xt::ones<double>({2, 40});
  xt::row(expected, 0) = xt::zeros<double>({40});
  expected(0, 3) = expected(0, 17) = expected(0, 33) = 1;
  check_values(w.grad(), expected);
  w.zero_grad();
  max(w, {0}).backward(ones({40}, float64));
  expected = xt::ones<double>({2, 40}) * 0.5;
  for (std::size_t j : {3, 17, 33}) {
    expected(0, j) = 1;
    expected(1, j) = 0;
  }
  check_values(w.grad(), expected);
}

BOOST_AUTO_TEST_CASE(logsumexp_gradient_is_the_softmax) {
  Tensor x = t64({1000, 1001}).requires_grad_();
  logsumexp(x).backward();
  check_values(x.grad(), {0.26894142136999516, 0.7310585786300049}, 1e-12);

  // -inf elements get 0; a row of all -inf gets 0 (PyTorch gives NaN there)
  Tensor y = t64({{-inf, -inf, -inf}, {-inf, 0, 0}}).requires_grad_();
  logsumexp(y, {1}).backward(ones({2}, float64));
  check_values(y.grad(), {{0, 0, 0}, {0, 0.5, 0.5}});
  y.zero_grad();
  logsumexp(y, {0}).backward(t64({1, 2, 4}));  // the column layout
  check_values(y.grad(), {{0, 0, 0}, {0, 2, 4}});
}

BOOST_AUTO_TEST_CASE(sum_to_reduces_broadcast_axes) {
  struct Case {
    Shape from, to;
  };
  for (const auto& c : {Case{{2, 3}, {3}}, Case{{2, 3}, {2, 1}}, Case{{4, 2, 3}, {1, 3}}, Case{{2, 3}, {2, 3}},
                        Case{{2, 3}, {}}, Case{{2, 1, 3}, {1, 1}}}) {
    BOOST_TEST_CONTEXT(to_string(c.from) << " -> " << to_string(c.to)) {
      Tensor x = random_input(c.from, 30);
      BOOST_TEST(to_string(sum_to(x, c.to).shape()) == to_string(c.to));
      check_gradient([&](const std::vector<Tensor>& in) { return sum_to(in[0], c.to); }, {x});
    }
  }
  const Tensor x = t64({{1, 2, 3}, {4, 5, 6}});
  check_values(sum_to(x, {3}), {5, 7, 9});
  check_values(sum_to(x, {2, 1}), shaped({6, 15}, {2, 1}));
  check_values(sum_to(broadcast_to(t64({1, 2, 3}), {4, 2, 3}), {1, 3}), {{8, 16, 24}});
  BOOST_TEST(sum_to(x, {2, 3}).is_same(x));
  check_error([&] { sum_to(x, {2}); }, "sum_to: cannot reduce (2,3) to (2,)");
  check_error([&] { sum_to(x, {1, 2, 3}); }, "sum_to: cannot reduce (2,3) to (1,2,3)");
}

// --- values -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(values_match_numpy) {
  for (Dtype dtype : {float64, float32}) {
    BOOST_TEST_CONTEXT(to_string(dtype)) {
      const double rtol = dtype == float64 ? 1e-12 : 2e-6, atol = dtype == float64 ? 1e-12 : 2e-6;
      const Tensor x = tensor(X, dtype);
      check_values(sum(x), -28.189999999999998, rtol, atol);
      check_values(sum(x, {1}), {{-2.84, -3.93, 0.83, 2.42}, {-9.24, -4.87, -9.59, -0.97}}, rtol, atol);
      check_values(sum(x, {0, 2}), {-3.06, -15.1, -10.03}, rtol, atol);
      check_values(sum(x, {-1}, true), shaped({-2.59, -0.13, -0.8, -0.47, -14.97, -9.23}, {2, 3, 1}), rtol, atol);
      check_values(mean(x), -1.1745833333333333, rtol, atol);
      check_values(mean(x, {1}), {{-0.9466666666666667, -1.31, 0.27666666666666667, 0.8066666666666666},
                                  {-3.08, -1.6233333333333333, -3.1966666666666668, -0.3233333333333334}},
                   rtol, atol);
      check_values(mean(x, {2, 0}), {-0.3825, -1.8875, -1.25375}, rtol, atol);
      check_values(max(x), 4.02, rtol, atol);
      check_values(max(x, {0}), {{0.32, 0.9, -0.09, 2.09}, {-1.36, -1.37, 0.18, 4.02}, {-1.48, -0.71, 1.47, 1.07}},
                   rtol, atol);
      check_values(max(x, {2}), {{0.9, 4.02, 1.47}, {2.09, -1.37, 0.81}}, rtol, atol);
      check_values(min(x), -5.7, rtol, atol);
      check_values(min(x, {1}), {{-1.48, -2.97, -0.82, -2.67}, {-5.53, -2.79, -5.7, -3.87}}, rtol, atol);
      check_values(min(x, {0, 2}, true), shaped({-2.79, -5.7, -5.53}, {1, 3, 1}), rtol, atol);
      check_values(logsumexp(x), 4.410648944237987, rtol, atol);
      check_values(logsumexp(x, {2}), {{1.3785864793179112, 4.046663809778891, 2.0344343639582276},
                                       {2.345395061655047, -1.2171065949040831, 1.0173620824302765}},
                   rtol, atol);
      check_values(logsumexp(x, {0, 2}), {2.6676921488607253, 4.051826214805585, 2.3431331848743246}, rtol, atol);
      check_values(logsumexp(x, {1}), {{0.39494224671782374, 0.9807963969182956, 1.7895711029487003, 4.072196725456104},
                                       {0.33566339772685805, -0.21421803881302165, -0.06225002432125685,
                                        2.3373421589190153}},
                   rtol, atol);
      for (const auto& op : ops) BOOST_TEST((op.all(x).dtype() == dtype));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_layout_matches_a_brute_force_reference) {
  // shapes that exercise the merged runs: long rows (16-accumulator loop and tail), long columns,
  // a middle axis, non-adjacent axes, axes of length 1
  Generator gen(40);
  const std::vector<Shape> shapes = {{37, 53}, {3, 40, 5}, {2, 1, 3, 17}, {1, 70}, {70, 1}};
  for (const auto& shape : shapes) {
    const Tensor x = randn(shape, gen, float64);
    const xt::xarray<double> xv = x.to_xarray<double>();
    const std::size_t dim = shape.size();
    for (std::size_t mask = 0; mask < (1u << dim); ++mask) {
      Axes axes;
      std::vector<std::size_t> unsigned_axes;
      for (std::size_t a = 0; a < dim; ++a)
        if (mask & (1u << a)) {
          axes.push_back(static_cast<std::ptrdiff_t>(a));
          unsigned_axes.push_back(a);
        }
      for (const auto& op : ops) {
        BOOST_TEST_CONTEXT(op.name << " " << to_string(shape) << " mask " << mask) {
          check_values(op.axes(x, axes, true), reference(op.name, xv, unsigned_axes), 1e-12, 1e-12);
          // float32: same numbers to float precision
          check_values(op.axes(x.to(float32), axes, true), reference(op.name, xv, unsigned_axes), 1e-5, 1e-4);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_axes_reduce_nothing) {
  // NumPy's axis=(): nothing is reduced (PyTorch's dim=[] would reduce everything)
  const Tensor x = t64({{1, 2}, {3, 4}});
  check_values(sum(x, {}), {{1, 2}, {3, 4}});
  check_values(mean(x, {}, true), {{1, 2}, {3, 4}});
  check_values(max(x, {}), {{1, 2}, {3, 4}});
  check_values(logsumexp(x, {}), {{1, 2}, {3, 4}}, 1e-12);
  check_values(sum(t64(5.0)), 5.0);  // a 0-d tensor
}

BOOST_AUTO_TEST_CASE(logsumexp_handles_large_values_and_infinities) {
  check_values(logsumexp(t64({1000, 1001})), 1001.3132616875182, 1e-12);
  check_values(logsumexp(tensor({1000, 1001}, float32)), 1001.313232421875, 1e-7);
  check_values(logsumexp(t64({{-inf, -inf}, {-inf, 0}, {1, inf}}), {1}), {-inf, 0.0, inf});
  check_values(logsumexp(tensor({{-inf, -inf}, {-1000, -1000}}, float32), {-1}), {-inf, -1000 + std::log(2.0)}, 1e-6);
  check_values(logsumexp(t64({{-inf, -inf}, {-inf, -inf}}), {0}), {-inf, -inf});  // column layout
  check_values(logsumexp(t64({1, nan, 2})), nan);
}

BOOST_AUTO_TEST_CASE(max_and_min_propagate_nan) {
  const Tensor x = t64({{1, nan, 3}, {4, 5, 6}});
  check_values(max(x, {1}), {nan, 6});
  check_values(min(x, {1}), {nan, 4});
  check_values(max(x, {0}), {4, nan, 6});
  check_values(min(x), nan);
  // long enough for the SIMD paths, rows and columns, float32 and float64
  xt::xarray<double> wide = xt::zeros<double>({3, 70});
  wide(1, 20) = nan;
  wide(2, 65) = nan;
  wide(0, 3) = 7;
  for (Dtype dtype : {float32, float64}) {
    const Tensor w = tensor(wide, dtype);
    check_values(max(w, {1}), {7, nan, nan});
    check_values(min(w, {-1}), {0, nan, nan});
    const Tensor columns = max(w, {0});
    BOOST_TEST(std::isnan(columns.at({20})));
    BOOST_TEST(std::isnan(columns.at({65})));
    BOOST_TEST(columns.at({3}) == 7);
    BOOST_TEST(columns.at({4}) == 0);
    BOOST_TEST(std::isnan(min(w).item()));
  }
}

BOOST_AUTO_TEST_CASE(empty_tensors) {
  const Tensor e = zeros({0, 3}, float64);
  check_values(sum(e), 0.0);
  check_values(sum(e, {0}), {0, 0, 0});
  BOOST_TEST(to_string(sum(e, {1}).shape()) == "(0,)");
  check_values(mean(e), nan);
  check_values(mean(e, {0}), {nan, nan, nan});
  check_values(logsumexp(e, {0}), {-inf, -inf, -inf});
  BOOST_TEST(to_string(max(e, {1}).shape()) == "(0,)");  // nothing to reduce into: fine, like NumPy
  check_error([&] { max(e); }, "max: cannot reduce zero elements (shape (0,3))");
  check_error([&] { min(e, {0}); }, "min: cannot reduce zero elements");
  check_error([&] { argmax(zeros({3, 0}), 1); }, "argmax: cannot take the argmax of an empty axis");

  Tensor g = zeros({0, 3}, float64).requires_grad_();
  sum(g).backward();
  BOOST_TEST(to_string(g.grad().shape()) == "(0,3)");
}

BOOST_AUTO_TEST_CASE(integer_and_boolean_inputs) {
  const Tensor i = tensor({{1, -2, 3}, {4, 5, -6}}, int64);
  BOOST_TEST((sum(i).dtype() == int64));
  check_values(sum(i), 5.0);
  check_values(sum(i, {0}), {5, 3, -3});
  check_values(max(i, {1}), {3, 5});
  check_values(min(i), -6.0);
  BOOST_TEST((max(i).dtype() == int64));
  const Tensor b = tensor({1, 0, 1, 1}, boolean);
  BOOST_TEST((sum(b).dtype() == int64));  // counting, like PyTorch
  check_values(sum(b), 3.0);
  check_values(max(b), 1.0);
  check_values(min(b), 0.0);
}

BOOST_AUTO_TEST_CASE(argmax_values_and_dtype) {
  const Tensor x = tensor(X, float32);
  const Tensor a = argmax(x, 0);
  BOOST_TEST((a.dtype() == int64));
  BOOST_TEST(!a.requires_grad());
  check_values(a, {{1, 0, 1, 1}, {0, 1, 0, 0}, {0, 1, 0, 0}});
  check_values(argmax(x, 1), {{0, 0, 2, 1}, {0, 2, 0, 0}});
  check_values(argmax(x, 2), {{1, 3, 2}, {3, 1, 3}});
  check_values(argmax(x, -1, true), shaped({1, 3, 2, 3, 1, 3}, {2, 3, 1}));
  // ties: the first index; NaN counts as the largest (NumPy)
  check_values(argmax(t64({{1, 3, 3}, {2, 2, 2}}), 1), {1, 0});
  check_values(argmax(t64({{1, 1}, {1, 0}}), 0), {0, 0});
  check_values(argmax(t64({1, nan, 5, nan}), 0), 1.0);
  check_values(argmax(tensor({3, 9, 9}, int64), 0), 1.0);
  check_values(argmax(t64({{1, 2}, {nan, 3}, {nan, 1}}), 0), {1, 1});
  // rows longer than a SIMD batch: the first of two maxima, the first NaN
  xt::xarray<double> long_rows = xt::zeros<double>({2, 40});
  long_rows(0, 37) = long_rows(0, 39) = 100;
  long_rows(1, 20) = long_rows(1, 30) = nan;
  long_rows(1, 5) = 100;
  check_values(argmax(tensor(long_rows, float32), 1), {37, 20});
  check_values(argmax(tensor(long_rows, float64), -1), {37, 20});
  // a tensor that requires grad: the result is not recorded
  Tensor r = random_input({2, 3}, 50);
  BOOST_TEST(argmax(r, 1).is_leaf());
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shape) {
  const Tensor x = zeros({2, 3});
  check_error([&] { sum(x, {3}); }, "sum: axis 3 out of range for shape (2,3)");
  check_error([&] { mean(x, {-3}); }, "mean: axis -3 out of range for shape (2,3)");
  check_error([&] { max(x, {0, -2}); }, "max: repeated axis 0 in a reduction over shape (2,3)");
  check_error([&] { logsumexp(x, {1, 1}); }, "logsumexp: repeated axis 1");
  check_error([&] { sum(x, {0, -2}); }, "sum: repeated axis 0");
  check_error([&] { max(x, {2}); }, "max: axis 2 out of range for shape (2,3)");
  check_error([&] { min(x, {-3}); }, "min: axis -3 out of range for shape (2,3)");
  check_error([&] { logsumexp(x, {2}); }, "logsumexp: axis 2 out of range for shape (2,3)");
  check_error([&] { argmax(x, 2); }, "argmax: axis 2 out of range for shape (2,3)");
  check_error([&] { argmax(x, -3, true); }, "argmax: axis -3 out of range for shape (2,3)");
  check_error([&] { sum(zeros({}), {0}); }, "sum: axis 0 out of range for shape ()");
  check_error([&] { mean(zeros({2, 3}, int64)); }, "mean: expected a float32 or float64 tensor, got int64");
  check_error([&] { logsumexp(zeros({2}, int64), {0}); }, "logsumexp: expected a float32 or float64 tensor, got int64");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace descent
