// autograd::functional (vjp, jvp, hvp, jacobian, hessian): against closed forms, against each other
// (jacobian rows are vjps with unit vectors, jvp is J·v, hessian·v is hvp), against PyTorch's
// torch.autograd.functional where no closed form is at hand (literals from functional_reference.py,
// torch 1.13), differentiable again with create_graph, and their errors.
#include "support/check.hpp"

#include <cmath>

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_values;
namespace F = autograd::functional;
using F::Options;
using Args = const std::vector<Tensor>&;

namespace {

#include "autograd/functional_values.inc"

Tensor input(const xt::xarray<double>& values) { return tensor(values, float64).requires_grad_(); }
Tensor values(const xt::xarray<double>& v) { return tensor(v, float64); }

/// Checks that two tensors have one shape and (to 1e-10) the same values.
void check_same(const Tensor& actual, const Tensor& expected) {
  BOOST_TEST_REQUIRE(to_string(actual.shape()) == to_string(expected.shape()));
  const Tensor e = expected.detach().contiguous();
  check_close(actual, std::vector<double>(e.data<double>(), e.data<double>() + e.numel()));
}

/// A tensor of `like`'s shape with 1 at flat position k.
Tensor unit_like(const Tensor& like, std::size_t k) {
  Tensor e = zeros(like.shape(), float64);
  e.data<double>()[k] = 1;
  return e;
}

/// J (shape out + in) as an (out numel, in numel) matrix.
Tensor as_matrix(const Tensor& j, const Tensor& out, const Tensor& in) {
  return reshape(j, {static_cast<std::ptrdiff_t>(out.numel()), static_cast<std::ptrdiff_t>(in.numel())});
}

Tensor flat(const Tensor& t) { return reshape(t, {-1}); }

// f(a, b) = a·exp(b): ∂/∂a = exp(b), ∂/∂b = a·exp(b), elementwise.
Tensor a_exp_b(Args v) { return v[0] * exp(v[1]); }

// The literal inputs of functional_reference.py.
struct Reference {
  Tensor x = input({0.3, -0.8, 1.1});
  Tensor W = input({{0.4, -0.3, 0.9}, {-0.7, 0.2, 0.5}});
  Tensor A = input({{0.2, -0.5, 0.7}, {1.1, 0.4, -0.3}});
  Tensor B = input({{0.6, -0.2}, {0.1, 0.8}, {-0.9, 0.3}});
  static Tensor lse_tanh(Args v) { return logsumexp(tanh(matmul(v[1], v[0])), {0}); }
  static Tensor sig_mm(Args v) { return sigmoid(matmul(v[0], v[1])); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(functional_closed_form)

BOOST_AUTO_TEST_CASE(vjp_of_two_inputs_and_of_a_scalar) {
  const Tensor a = input({0.5, -1.0, 2.0}), b = input({0.1, 0.7, -0.3}), v = values({1.0, -2.0, 3.0});
  const auto [y, g] = F::vjp(a_exp_b, {a, b}, v);
  const double e0 = std::exp(0.1), e1 = std::exp(0.7), e2 = std::exp(-0.3);
  check_values(y, {0.5 * e0, -e1, 2 * e2}, 1e-12);
  check_values(g[0], {e0, -2 * e1, 3 * e2}, 1e-12);            // v·exp(b)
  check_values(g[1], {0.5 * e0, 2 * e1, 6 * e2}, 1e-12);       // v·a·exp(b)
  BOOST_TEST(!y.requires_grad());
  BOOST_TEST(!g[0].requires_grad());
  BOOST_TEST(!a.grad().defined());  // nothing the caller holds gets a .grad()
  BOOST_TEST(!b.grad().defined());
  // a scalar output: v may be left out (1)
  const auto [s, gs] = F::vjp([](Args x) { return sum(x[0] * x[0] * x[0]); }, {a});
  check_values(s, xt::xarray<double>(0.125 - 1 + 8), 1e-12);
  check_values(gs[0], {0.75, 3, 12}, 1e-12);
}

BOOST_AUTO_TEST_CASE(jvp_of_two_inputs) {
  const Tensor a = input({0.5, -1.0, 2.0}), b = input({0.1, 0.7, -0.3});
  const Tensor ta = values({1.0, 0.0, -1.0}), tb = values({0.5, 2.0, 1.0});
  const auto [y, jv] = F::jvp(a_exp_b, {a, b}, {ta, tb});
  const double e0 = std::exp(0.1), e1 = std::exp(0.7), e2 = std::exp(-0.3);
  // J·(ta, tb) = ta·exp(b) + a·exp(b)·tb
  check_values(jv, {e0 + 0.5 * 0.5 * e0, 0 - 2 * e1, -e2 + 2 * e2}, 1e-12);
  check_values(y, {0.5 * e0, -e1, 2 * e2}, 1e-12);
  BOOST_TEST(!jv.requires_grad());
  BOOST_TEST(!a.grad().defined());
}

BOOST_AUTO_TEST_CASE(identity_and_constant_functions) {
  const Tensor x = input({1.0, -2.0});
  const Tensor v = values({3.0, 4.0});
  const auto identity = [](Args a) { return a[0]; };
  check_values(F::vjp(identity, {x}, v).second[0], {3, 4});
  check_values(F::jvp(identity, {x}, {v}).second, {3, 4});
  check_values(F::jacobian(identity, {x})[0], {{1, 0}, {0, 1}});
  // an output that depends on no input: zeros everywhere
  const auto constant = [](Args) { return ones({2}, float64); };
  check_values(F::vjp(constant, {x}, v).second[0], {0, 0});
  check_values(F::jvp(constant, {x}, {v}).second, {0, 0});
  check_values(F::jacobian(constant, {x})[0], {{0, 0}, {0, 0}});
}

BOOST_AUTO_TEST_CASE(hvp_and_hessian_of_cubics) {
  // f = Σ x³: H = diag(6x)
  const Tensor x = input({0.5, -1.0, 2.0});
  const auto cube = [](Args a) { return sum(a[0] * a[0] * a[0]); };
  const auto [y, hv] = F::hvp(cube, {x}, {values({1.0, 2.0, -1.0})});
  check_values(y, xt::xarray<double>(7.125), 1e-12);
  check_values(hv[0], {3, -12, -12}, 1e-12);
  check_values(F::hessian(cube, {x})[0][0], {{3, 0, 0}, {0, -6, 0}, {0, 0, 12}}, 1e-12);
  // f = Σ a²·b: ∂²/∂a² = diag(2b), ∂²/∂a∂b = diag(2a), ∂²/∂b² = 0
  const Tensor a = input({1.0, -2.0}), b = input({3.0, 0.5});
  const auto a2b = [](Args v) { return sum(v[0] * v[0] * v[1]); };
  const std::vector<std::vector<Tensor>> H = F::hessian(a2b, {a, b});
  check_values(H[0][0], {{6, 0}, {0, 1}}, 1e-12);
  check_values(H[0][1], {{2, 0}, {0, -4}}, 1e-12);
  check_values(H[1][0], {{2, 0}, {0, -4}}, 1e-12);
  check_values(H[1][1], {{0, 0}, {0, 0}}, 1e-12);
  // H·(va, vb) = (2b·va + 2a·vb, 2a·va)
  const auto [z, hv2] = F::hvp(a2b, {a, b}, {values({1.0, 1.0}), values({-1.0, 2.0})});
  check_values(hv2[0], {6 - 2, 1 - 8}, 1e-12);
  check_values(hv2[1], {2, -4}, 1e-12);
  BOOST_TEST(!a.grad().defined());
  BOOST_TEST(!hv2[0].requires_grad());
}

BOOST_AUTO_TEST_CASE(jacobian_shapes_and_values) {
  // f(x) = x²: diag(2x)
  const Tensor x = input({0.5, -1.0, 2.0});
  check_values(F::jacobian([](Args a) { return a[0] * a[0]; }, {x})[0], {{1, 0, 0}, {0, -2, 0}, {0, 0, 4}}, 1e-12);
  // f(M) = M·N for M (2, 3): ∂y_ij/∂M_kl = [i == k]·N_lj, of shape (2, 2, 2, 3)
  const Tensor M = input({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  const Tensor N = values({{1.0, -1.0}, {0.5, 2.0}, {0.0, 3.0}});
  const Tensor J = F::jacobian([&N](Args a) { return matmul(a[0], N); }, {M})[0];
  BOOST_TEST(to_string(J.shape()) == "(2,2,2,3)");
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j)
      for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t l = 0; l < 3; ++l) {
          const auto at = [](std::size_t n) { return static_cast<std::ptrdiff_t>(n); };
          const double expected = i == k ? N.at({at(l), at(j)}) : 0.0;
          BOOST_TEST(J.at({at(i), at(j), at(k), at(l)}) == expected);
        }
  // a 0-d output: the gradient's shape
  const Tensor s = F::jacobian([](Args a) { return sum(a[0] * a[0]); }, {M})[0];
  check_values(s, {{2, 4, 6}, {8, 10, 12}}, 1e-12);
  // a 0-d input
  const Tensor t = F::jacobian([](Args a) { return a[0] * values({1.0, 2.0}); }, {input(xt::xarray<double>(3.0))})[0];
  check_values(t, {1, 2}, 1e-12);
}

BOOST_AUTO_TEST_CASE(scalar_inputs_and_outputs_and_strided_inputs) {
  // a 0-d output: jvp is the directional derivative Σ 3x²·v
  const Tensor x = input({0.5, -1.0, 2.0});
  const auto cube = [](Args a) { return sum(a[0] * a[0] * a[0]); };
  check_values(F::jvp(cube, {x}, {values({1.0, 2.0, -1.0})}).second, xt::xarray<double>(0.75 + 6 - 12), 1e-12);
  // a 0-d input: d²(s⁴)/ds² = 12s², of shape ()
  const Tensor s = input(xt::xarray<double>(0.5));
  const Tensor h = F::hessian([](Args a) { return pow(a[0], 4); }, {s})[0][0];
  BOOST_TEST(h.dim() == 0);
  check_values(h, xt::xarray<double>(3.0), 1e-12);
  // a transposed view as the input: the results take its shape
  const Tensor m = transpose(input({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}));  // (2, 3), strided
  const Tensor g = F::vjp([](Args a) { return sum(a[0] * a[0]); }, {m}).second[0];
  check_values(g, {{2, 6, 10}, {4, 8, 12}}, 1e-12);
  const Tensor J = F::jacobian([](Args a) { return sum(a[0] * a[0], {0}); }, {m})[0];  // (3, 2, 3)
  BOOST_TEST(to_string(J.shape()) == "(3,2,3)");
  BOOST_TEST(J.at({1, 0, 1}) == 6.0);
  BOOST_TEST(J.at({1, 1, 1}) == 8.0);
  BOOST_TEST(J.at({1, 0, 2}) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(functional_against_pytorch)

BOOST_AUTO_TEST_CASE(hessian_and_hvp_of_logsumexp_tanh) {
  Reference r;
  const std::vector<std::vector<Tensor>> H = F::hessian(Reference::lse_tanh, {r.x, r.W});
  BOOST_TEST(to_string(H[0][1].shape()) == "(3,2,3)");
  BOOST_TEST(to_string(H[1][1].shape()) == "(2,3,2,3)");
  check_close(H[0][0], hess_xx);
  check_close(H[0][1], hess_xw);
  check_close(H[1][0], hess_wx);
  check_close(H[1][1], hess_ww);
  const Tensor vx = values({1.0, -2.0, 0.5}), vW = values({{0.3, 0.0, -1.0}, {2.0, 0.7, -0.4}});
  const auto [y, hv] = F::hvp(Reference::lse_tanh, {r.x, r.W}, {vx, vW});
  check_close(hv[0], hvp_x);
  check_close(hv[1], hvp_w);
  // hessian·v = hvp: block rows times the stacked v
  const Tensor v = concat({vx, flat(vW)});
  const Tensor rows_x = concat({as_matrix(H[0][0], r.x, r.x), as_matrix(H[0][1], r.x, r.W)}, 1);
  const Tensor rows_w = concat({as_matrix(H[1][0], r.W, r.x), as_matrix(H[1][1], r.W, r.W)}, 1);
  check_same(matmul(rows_x, v), hv[0]);
  check_same(matmul(rows_w, v), flat(hv[1]));
  // the Hessian is symmetric
  check_same(H[0][1], reshape(transpose(as_matrix(H[1][0], r.W, r.x)), {3, 2, 3}));
}

BOOST_AUTO_TEST_CASE(jacobian_vjp_jvp_of_sigmoid_matmul) {
  Reference r;
  check_close(F::jacobian([](Args a) { return softmax(a[0] * a[0], 0); }, {r.x})[0], jac_softmax);
  const std::vector<Tensor> J = F::jacobian(Reference::sig_mm, {r.A, r.B});
  BOOST_TEST(to_string(J[0].shape()) == "(2,2,2,3)");
  BOOST_TEST(to_string(J[1].shape()) == "(2,2,3,2)");
  check_close(J[0], jac_a);
  check_close(J[1], jac_b);
  const Tensor u = values({{1.0, -0.5}, {0.25, 2.0}});
  const auto [y, vj] = F::vjp(Reference::sig_mm, {r.A, r.B}, u);
  check_close(vj[0], vjp_a);
  check_close(vj[1], vjp_b);
  const Tensor vA = values({{0.5, 0.1, -0.2}, {0.0, 1.0, 0.3}}), vB = values({{-1.0, 0.4}, {0.2, 0.0}, {0.6, -0.3}});
  const auto [z, jv] = F::jvp(Reference::sig_mm, {r.A, r.B}, {vA, vB});
  check_close(jv, jvp_ab);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(functional_consistency)

BOOST_AUTO_TEST_CASE(jacobian_rows_are_vjps_and_jvp_is_jacobian_times_v) {
  Reference r;
  const std::vector<Tensor> ab{r.A, r.B};
  const std::vector<Tensor> J = F::jacobian(Reference::sig_mm, ab);
  const Tensor y = Reference::sig_mm(ab).detach();
  for (std::size_t k = 0; k < y.numel(); ++k) {
    const std::vector<Tensor> row = F::vjp(Reference::sig_mm, ab, unit_like(y, k)).second;
    for (std::size_t i = 0; i < 2; ++i)
      check_same(flat(row[i]), flat(narrow(as_matrix(J[i], y, ab[i]), 0, static_cast<std::ptrdiff_t>(k), 1)));
  }
  const Tensor vA = values({{0.5, 0.1, -0.2}, {0.0, 1.0, 0.3}}), vB = values({{-1.0, 0.4}, {0.2, 0.0}, {0.6, -0.3}});
  const Tensor jv = F::jvp(Reference::sig_mm, ab, {vA, vB}).second;
  check_same(flat(jv), matmul(as_matrix(J[0], y, r.A), flat(vA)) + matmul(as_matrix(J[1], y, r.B), flat(vB)));
  // and a vjp is uᵀ·J
  const Tensor u = values({{1.0, -0.5}, {0.25, 2.0}});
  const std::vector<Tensor> vj = F::vjp(Reference::sig_mm, ab, u).second;
  check_same(flat(vj[1]), matmul(flat(u), as_matrix(J[1], y, r.B)));
}

BOOST_AUTO_TEST_CASE(hessian_is_the_jacobian_of_the_gradient) {
  Reference r;
  const std::vector<Tensor> xw{r.x, r.W};
  const std::vector<std::vector<Tensor>> H = F::hessian(Reference::lse_tanh, xw);
  // the gradient as a function, differentiated by jacobian: the same blocks
  for (std::size_t i = 0; i < 2; ++i) {
    const std::vector<Tensor> Ji = F::jacobian([i](Args v) {
      return autograd::grad({Reference::lse_tanh(v)}, v, {}, {.create_graph = true})[i];
    }, xw);
    for (std::size_t j = 0; j < 2; ++j) check_same(Ji[j], H[i][j]);
  }
  // hvp with unit vectors gives the Hessian's rows
  for (std::size_t k = 0; k < r.x.numel(); ++k) {
    const std::vector<Tensor> hv = F::hvp(Reference::lse_tanh, xw, {unit_like(r.x, k), zeros_like(r.W)}).second;
    check_same(hv[0], flat(narrow(as_matrix(H[0][0], r.x, r.x), 0, static_cast<std::ptrdiff_t>(k), 1)));
  }
}

BOOST_AUTO_TEST_CASE(float32_inputs) {
  const Tensor x = tensor({0.5, -1.0, 2.0}, float32).requires_grad_();
  const auto cube = [](Args a) { return sum(a[0] * a[0] * a[0]); };
  const std::vector<Tensor> hv = F::hvp(cube, {x}, {ones({3}, float32)}).second;
  BOOST_TEST(to_string(hv[0].dtype()) == "float32");
  check_values(hv[0], {3, -6, 12}, 1e-6);
  check_values(F::hessian(cube, {x})[0][0], {{3, 0, 0}, {0, -6, 0}, {0, 0, 12}}, 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(functional_create_graph)

BOOST_AUTO_TEST_CASE(results_are_differentiable_again) {
  const Options keep{.create_graph = true};
  const auto cube = [](Args a) { return sum(a[0] * a[0] * a[0]); };
  // vjp of x³ along v: 3x²·v, whose gradient is 6x·v
  {
    const Tensor x = input({0.5, -1.0, 2.0}), v = values({1.0, 2.0, -1.0});
    const auto [y, g] = F::vjp([](Args a) { return a[0] * a[0] * a[0]; }, {x}, v, keep);
    BOOST_TEST(y.requires_grad());
    BOOST_TEST_REQUIRE(g[0].requires_grad());
    check_values(autograd::grad({sum(g[0])}, {x})[0], {3, -12, -12}, 1e-12);
  }
  // jvp of x³ along v: 3x²·v; differentiable in x (6x·v) and in v (3x²)
  {
    const Tensor x = input({0.5, -1.0, 2.0}), v = input({1.0, 2.0, -1.0});
    const Tensor jv = F::jvp([](Args a) { return a[0] * a[0] * a[0]; }, {x}, {v}, keep).second;
    BOOST_TEST_REQUIRE(jv.requires_grad());
    const std::vector<Tensor> g = autograd::grad({sum(jv)}, {x, v});
    check_values(g[0], {3, -12, -12}, 1e-12);
    check_values(g[1], {0.75, 3, 12}, 1e-12);
  }
  // hvp of Σx³ along v: 6x·v, whose gradient in x is 6v
  {
    const Tensor x = input({0.5, -1.0, 2.0});
    const Tensor hv = F::hvp(cube, {x}, {values({1.0, 2.0, -1.0})}, keep).second[0];
    BOOST_TEST_REQUIRE(hv.requires_grad());
    check_values(autograd::grad({sum(hv)}, {x})[0], {6, 12, -6}, 1e-12);
  }
  // jacobian of x³: diag(3x²), whose sum's gradient is 6x
  {
    const Tensor x = input({0.5, -1.0, 2.0});
    const Tensor J = F::jacobian([](Args a) { return a[0] * a[0] * a[0]; }, {x}, keep)[0];
    BOOST_TEST_REQUIRE(J.requires_grad());
    check_values(autograd::grad({sum(J)}, {x})[0], {3, -6, 12}, 1e-12);
  }
  // hessian of Σx⁴: diag(12x²), whose sum's gradient is 24x: a third derivative
  {
    const Tensor x = input({0.5, -1.0, 2.0});
    const Tensor H = F::hessian([](Args a) { return sum(pow(a[0], 4)); }, {x}, keep)[0][0];
    BOOST_TEST_REQUIRE(H.requires_grad());
    check_values(H, {{3, 0, 0}, {0, 12, 0}, {0, 0, 48}}, 1e-12);
    check_values(autograd::grad({sum(H)}, {x})[0], {12, -24, 48}, 1e-12);
  }
  // without it, the results are cut from the graph
  const Tensor x = input({0.5, -1.0, 2.0});
  BOOST_TEST(!F::hessian(cube, {x})[0][0].requires_grad());
  BOOST_TEST(!F::jacobian(cube, {x})[0].requires_grad());
  BOOST_TEST(!F::jvp(cube, {x}, {ones({3}, float64)}).second.requires_grad());
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(functional_errors)

BOOST_AUTO_TEST_CASE(strict_refuses_an_input_the_output_does_not_depend_on) {
  const Options strict{.strict = true};
  const Tensor a = input({1.0, 2.0}), b = input({3.0, 4.0});
  const auto only_a = [](Args v) { return v[0] * v[0]; };
  const auto sum_only_a = [](Args v) { return sum(v[0] * v[0]); };
  const Tensor v = values({1.0, 1.0});
  check_error([&] { F::vjp(only_a, {a, b}, v, strict); }, "does not depend on input 1 (strict mode)");
  check_error([&] { F::jvp(only_a, {a, b}, {v, v}, strict); }, "does not depend on input 1 (strict mode)");
  check_error([&] { F::jacobian(only_a, {a, b}, strict); }, "does not depend on input 1 (strict mode)");
  check_error([&] { F::hvp(sum_only_a, {a, b}, {v, v}, strict); }, "does not depend on input 1 (strict mode)");
  check_error([&] { F::hessian(sum_only_a, {a, b}, strict); }, "does not depend on input 1 (strict mode)");
  // a linear function's gradient does not depend on its input: no Hessian in strict mode (PyTorch alike)
  check_error([&] { F::hessian([](Args x) { return sum(x[0] * 2.0); }, {a}, strict); }, "does not depend on input 0");
  check_error([&] { F::hvp([](Args x) { return sum(x[0] * 2.0); }, {a}, {v}, strict); }, "does not depend on input 0");
  // and without strict they are zeros
  check_values(F::vjp(only_a, {a, b}, v).second[1], {0, 0});
  check_values(F::jvp(only_a, {a, b}, {v, v}).second, {2, 4});
  check_values(F::jacobian(only_a, {a, b})[1], {{0, 0}, {0, 0}});
  check_values(F::hvp(sum_only_a, {a, b}, {v, v}).second[1], {0, 0});
  check_values(F::hessian(sum_only_a, {a, b})[1][1], {{0, 0}, {0, 0}});
  check_values(F::hessian([](Args x) { return sum(x[0] * 2.0); }, {a})[0][0], {{0, 0}, {0, 0}});
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named) {
  const Tensor x = input({1.0, 2.0});
  const auto square = [](Args v) { return v[0] * v[0]; };
  const auto sum_square = [](Args v) { return sum(v[0] * v[0]); };
  check_error([&] { F::vjp(square, {}, ones({2}, float64)); }, "vjp: expected at least one input");
  check_error([&] { F::jacobian(square, {tensor({1, 2}).to(int64)}); }, "input 0 must be a defined float32 or float64");
  check_error([&] { F::hessian(sum_square, {Tensor()}); }, "input 0 must be a defined float32 or float64");
  check_error([&] { F::vjp([](Args) { return Tensor(); }, {x}); }, "the function returned an undefined tensor");
  check_error([&] { F::vjp(square, {x}); }, "v can be left out only for a scalar output, got shape (2,)");
  check_error([&] { F::vjp(square, {x}, ones({3}, float64)); }, "does not match the output");
  check_error([&] { F::vjp(square, {x}, ones({2}, float32)); }, "does not match the output");
  check_error([&] { F::jvp(square, {x}, {}); }, "got 0 tangents for 1 inputs");
  check_error([&] { F::jvp(square, {x}, {ones({3}, float64)}); }, "v[0] must match input 0 (float64 (2,))");
  check_error([&] { F::hvp(sum_square, {x}, {ones({2}, float32)}); }, "v[0] must match input 0");
  check_error([&] { F::hvp(square, {x}, {ones({2}, float64)}); }, "hvp: the function must return a single value");
  check_error([&] { F::hessian(square, {x}); }, "hessian: the function must return a single value");
}

BOOST_AUTO_TEST_SUITE_END()
