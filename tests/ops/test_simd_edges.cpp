// Transcendentals at their edges, pinned at every instruction set: 0, ±0 (the sign where it is
// defined), ±inf, NaN, denormals, the overflow thresholds and huge arguments, through descent's public
// ops (the xsimd kernels behind them), in float32 and float64, with gradients. CI runs this at native
// (AVX-512 here), x86-64-v3 (AVX2) and x86-64 (SSE2): each level has its own xsimd kernels, and only
// the vectorised part of an array uses them (the scalar head and tail go through std::), so the edge
// values sit in the middle of arrays padded with 16 ordinary values on each side, past any
// alignment head and before any tail at every batch width (up to 16 floats).
// Reference values: PyTorch 1.13 (and NumPy for C99's pow where PyTorch departs from it), written by
// tests/ops/simd_edges_reference.py into simd_edges_values.inc.
#include "support/check.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

using namespace descent;

namespace {

constexpr double Inf = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t Pad = 16;

struct UnaryCase {
  std::string op;
  double pad;                     // op(0.25)
  std::vector<double> expected;   // op(edges)
  double pad_grad;                // d op / dx at 0.25
  std::vector<double> grad;       // at the edges
};
struct Edges {
  std::vector<double> inputs;
  std::vector<UnaryCase> cases;
};
struct PowPairs {
  std::vector<double> base, exponent, value, dbase, dexponent;
};
struct Row {  // a row of `fill` except at some positions
  double fill;
  std::vector<std::pair<std::size_t, double>> entries;
};
struct Rows {
  std::vector<Row> inputs;
  std::vector<std::vector<Row>> outputs;  // softmax, log_softmax (along the row)
  std::vector<double> logsumexp;
};

#include "ops/simd_edges_values.inc"

/// `Pad` copies of `pad`, then `values`, then `Pad` copies of `pad` again.
std::vector<double> padded(const std::vector<double>& values, double pad) {
  std::vector<double> out(Pad, pad);
  out.insert(out.end(), values.begin(), values.end());
  out.insert(out.end(), Pad, pad);
  return out;
}

Tensor tensor_of(const std::vector<double>& values, Dtype dtype) {
  xt::xarray<double> a = xt::zeros<double>({values.size()});
  std::copy(values.begin(), values.end(), a.begin());
  return tensor(a, dtype);
}

/// Within a few units in the last place of `dtype` (or of its smallest denormal), NaN for NaN, the
/// same infinity, and with `signed_zero` a zero of the same sign. (Absolute tolerance: `atol_ulps`
/// smallest denormals.)
void check_edges(const std::string& what, const Tensor& actual, const std::vector<double>& expected_values,
                 bool signed_zero, double ulps = 4, double atol_ulps = 1) {
  const bool f32 = actual.dtype() == float32;
  const double eps = f32 ? std::numeric_limits<float>::epsilon() : std::numeric_limits<double>::epsilon();
  const double tiny = atol_ulps * (f32 ? std::numeric_limits<float>::denorm_min() : std::numeric_limits<double>::denorm_min());
  const xt::xarray<double> values = actual.to(float64).to_xarray<double>();
  BOOST_TEST_REQUIRE(values.size() == expected_values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double a = values.data()[i];
    const double e = f32 ? static_cast<float>(expected_values[i]) : expected_values[i];
    bool ok;
    if (std::isnan(e) || std::isinf(e)) ok = std::isnan(e) ? std::isnan(a) : a == e;
    else if (e == 0 && signed_zero) ok = a == 0 && std::signbit(a) == std::signbit(e);
    else ok = std::abs(a - e) <= ulps * (eps * std::abs(e) + tiny);
    BOOST_TEST(ok, what << " " << to_string(actual.dtype()) << " element " << i << ": got " << a << ", expected "
                        << e);
  }
}

std::map<std::string, std::function<Tensor(const Tensor&)>> unary_ops() {
  std::map<std::string, std::function<Tensor(const Tensor&)>> ops{
      {"exp", [](const Tensor& x) { return exp(x); }},         {"log", [](const Tensor& x) { return log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},       {"abs", [](const Tensor& x) { return abs(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},       {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},       {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }}};
  for (const char* e : {"2", "0.5", "3", "-1", "0", "-0.5", "1.5", "-2"})
    ops[std::string("pow(x, ") + e + ")"] = [e = std::stod(e)](const Tensor& x) { return pow(x, e); };
  return ops;
}

const Edges& edges(Dtype dtype) { return dtype == float32 ? float32_edges : float64_edges; }

}  // namespace

BOOST_AUTO_TEST_SUITE(simd_edges)

BOOST_AUTO_TEST_CASE(unary_values_and_gradients) {
  const auto ops = unary_ops();
  for (Dtype dtype : {float32, float64}) {
    for (const UnaryCase& c : edges(dtype).cases) {
      BOOST_TEST_CONTEXT(c.op) {
        BOOST_TEST_REQUIRE(ops.count(c.op) == 1);
        // The sign of a zero result is pinned where IEEE defines it (PyTorch's gelu and sigmoid
        // differ between its own float32 and float64 kernels there).
        const bool signed_zero = c.op != "gelu" && c.op != "gelu_tanh" && c.op != "sigmoid" && c.op != "softplus";
        const Tensor x = tensor_of(padded(edges(dtype).inputs, 0.25), dtype).requires_grad_();
        const Tensor y = ops.at(c.op)(x);
        // pow is exp(e log x): its error grows with |e log x| (~|e log x| ulps, as xsimd's); gelu's
        // 1 + erf(x/√2) cancels for x < 0 (as PyTorch's); xsimd's float64 erf is up to ~34 ulps
        // from std::erf (PyTorch's) near |x| = 2.2 (measured at AVX-512; float32: 1.4 ulps).
        const double ulps = c.op.starts_with("pow")                                  ? 256
                            : c.op.starts_with("gelu") || (c.op == "erf" && dtype == float64) ? 64
                                                                                             : 4;
        check_edges(c.op, y, padded(c.expected, c.pad), signed_zero, ulps);
        sum(y).backward();
        // Gradients in the denormal range are not pinned: softplus's 1/(1 + exp(-x)) is 0 there
        // from x = -88.8 (float32), where PyTorch's sigmoid gives 2.7e-39. The derivatives that stay
        // within [-1.2, 1.2] are compared to 1 ulp of 1 as well: 1 - tanh² at x = 10 cancels (one
        // ulp of tanh is 3% of it, and xsimd's SSE2 tanh is one ulp off its AVX-512 one there), and
        // PyTorch's float32 gelu gives 0 at x = -10 where float64 gives -7.7e-22.
        const bool bounded = c.op == "tanh" || c.op == "sigmoid" || c.op.starts_with("gelu") || c.op == "softplus" ||
                             c.op == "erf";
        const double atol = dtype == float32 ? (bounded ? 0x1p126 : 0x1p23)    // in denormals: 2^-23 or
                                             : (bounded ? 0x1p1022 : 0x1p52);  // the smallest normal
        check_edges("d " + c.op, x.grad(), padded(c.grad, c.pad_grad), false, 2 * ulps, atol);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(pow_with_tensor_exponents_follows_c99) {
  // pow(0, 0) = 1, pow(±0, -1) = ±inf, pow(-2, 0.5) = NaN, pow(NaN, 0) = pow(1, NaN) = 1,
  // pow(-1, ±inf) = 1, pow(-2, 2^60) = +inf (even), ...: C99 Annex F, which PyTorch follows.
  for (Dtype dtype : {float32, float64}) {
    const PowPairs& p = dtype == float32 ? float32_pow : float64_pow;
    // 1^2 = 1 between the edges; d/dbase = 2, d/dexponent = log(1) = 0.
    const Tensor b = tensor_of(padded(p.base, 1), dtype).requires_grad_();
    const Tensor e = tensor_of(padded(p.exponent, 2), dtype).requires_grad_();
    const Tensor y = pow(b, e);
    check_edges("pow", y, padded(p.value, 1), true, 64);  // exp(e log x) loses ~|e log x| ulps
    sum(y).backward();
    check_edges("d pow / d base", b.grad(), padded(p.dbase, 2), false, 64);
    check_edges("d pow / d exponent", e.grad(), padded(p.dexponent, 0), false, 64);
  }
}

BOOST_AUTO_TEST_CASE(softmax_log_softmax_logsumexp_at_edges) {
  // Rows with -inf entries, all -inf, +inf, NaN, ±1e30, exp(-100) (a float32 denormal) and a
  // denormal entry; along the last axis (inner == 1) and along axis 0 (the column kernels).
  for (Dtype dtype : {float32, float64}) {
    const Rows& r = dtype == float32 ? float32_rows : float64_rows;
    const auto matrix = [](const std::vector<Row>& rows) {
      xt::xarray<double> m = xt::zeros<double>({rows.size(), std::size_t(67)});
      for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t j = 0; j < 67; ++j) m(i, j) = rows[i].fill;
        for (auto [j, v] : rows[i].entries) m(i, j) = v;
      }
      return m;
    };
    const auto flat = [](const xt::xarray<double>& m) { return std::vector<double>(m.begin(), m.end()); };
    const xt::xarray<double> x = matrix(r.inputs);
    const Tensor rows = tensor(x, dtype);
    const Tensor columns = transpose(tensor(x, dtype)).contiguous();
    const char* names[] = {"softmax", "log_softmax"};
    for (std::size_t k = 0; k < 2; ++k) {
      const xt::xarray<double> expected = matrix(r.outputs[k]);
      const xt::xarray<double> expected_t = xt::transpose(expected);
      const auto f = [k](const Tensor& t, std::ptrdiff_t axis) { return k == 0 ? softmax(t, axis) : log_softmax(t, axis); };
      check_edges(names[k], f(rows, -1), flat(expected), false, 64);  // x - m - log(s): cancellation
      check_edges(std::string(names[k]) + " (axis 0)", f(columns, 0), flat(expected_t), false, 64);
    }
    check_edges("logsumexp", logsumexp(rows, {-1}), r.logsumexp, false, 8);
    check_edges("logsumexp (axis 0)", logsumexp(columns, {0}), r.logsumexp, false, 8);
  }
}

BOOST_AUTO_TEST_SUITE_END()
