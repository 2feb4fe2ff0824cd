// Second-order results against PyTorch (float64, 1e-10): Hessian-vector products through a tanh MLP
// with softmax cross-entropy, a gradient penalty, the third derivative of tanh and a PINN residual's
// gradient. The literals come from second_order_reference.py (torch 1.13), which builds the same
// closed-form inputs.
#include "support/check.hpp"

#include <cmath>
#include <numbers>

using namespace descent;
using descent::testing::check_close;
namespace F = autograd::functional;

namespace {

#include "autograd/second_order_values.inc"

/// A float64 tensor whose element at flat position k (of index i, j) is f(i, j).
template <class Fn> Tensor filled(const Shape& shape, Fn f) {
  Tensor t = zeros(shape, float64);
  const std::size_t cols = shape.size() == 2 ? shape[1] : 1;
  for (std::size_t k = 0; k < t.numel(); ++k) t.data<double>()[k] = f(static_cast<double>(k / cols), static_cast<double>(k % cols));
  return t;
}

struct Mlp {
  Tensor X = filled({4, 3}, [](double i, double j) { return std::sin(1 + i * 3 + j); });
  Tensor W1 = filled({5, 3}, [](double i, double j) { return 0.3 * std::cos(i * 3 + j * 2); }).requires_grad_();
  Tensor b1 = filled({5}, [](double i, double) { return 0.1 * i - 0.2; }).requires_grad_();
};

}  // namespace

BOOST_AUTO_TEST_SUITE(second_order)

BOOST_AUTO_TEST_CASE(hessian_vector_products_of_a_tanh_mlp_with_cross_entropy) {
  Mlp m;
  Tensor W2 = filled({3, 5}, [](double i, double j) { return 0.25 * std::sin(2 * i + j); }).requires_grad_();
  Tensor b2 = filled({3}, [](double i, double) { return 0.05 * i; }).requires_grad_();
  const Tensor labels = tensor({0, 2, 1, 2}).to(int64);
  const std::vector<Tensor> params{m.W1, m.b1, W2, b2};
  std::vector<Tensor> vs;
  for (const Tensor& p : params) vs.push_back(filled(p.shape(), [&](double i, double j) {
    return std::cos(0.37 * (i * static_cast<double>(p.dim() == 2 ? p.size(1) : 1) + j));
  }));
  auto loss = [&](const std::vector<Tensor>& p) {
    return cross_entropy(linear(tanh(linear(m.X, p[0], p[1])), p[2], p[3]), labels);
  };
  // by hand: grad with create_graph, then the gradient of <grad, v>
  const std::vector<Tensor> g = autograd::grad({loss(params)}, params, {}, {.create_graph = true});
  Tensor inner = zeros({}, float64);
  for (std::size_t i = 0; i < g.size(); ++i) inner = inner + sum(g[i] * vs[i]);
  const std::vector<Tensor> hv = autograd::grad({inner}, params);
  check_close(hv[0], hvp_w1);
  check_close(hv[1], hvp_b1);
  check_close(hv[2], hvp_w2);
  check_close(hv[3], hvp_b2);
  // and by functional::hvp
  const auto [value, hv2] = F::hvp(loss, params, vs);
  check_close(hv2[0], hvp_w1);
  check_close(hv2[3], hvp_b2);
  BOOST_TEST(!m.W1.grad().defined());  // neither touched .grad()
}

BOOST_AUTO_TEST_CASE(gradient_penalty_of_a_critic) {
  Mlp m;
  Tensor w2 = filled({1, 5}, [](double, double j) { return 0.4 * std::cos(j + 0.5); }).requires_grad_();
  Tensor c2 = tensor({0.1}, float64).requires_grad_();
  Tensor x = m.X.clone().requires_grad_();
  Tensor D = linear(tanh(linear(x, m.W1, m.b1)), w2, c2);
  Tensor gx = autograd::grad({sum(D)}, {x}, {}, {.create_graph = true})[0];
  Tensor penalty = mean(pow(sqrt(sum(gx * gx, {1})) - 1.0, 2));
  check_close(penalty, penalty_value);
  penalty.backward();
  check_close(m.W1.grad(), penalty_w1);
  check_close(m.b1.grad(), penalty_b1);
  check_close(w2.grad(), penalty_w2);
  BOOST_TEST(!c2.grad().defined());  // D's bias does not reach dD/dx
}

BOOST_AUTO_TEST_CASE(third_derivative_of_tanh) {
  Tensor x = tensor({-1.5, -0.3, 0.0, 0.4, 2.0}, float64).requires_grad_();
  Tensor d1 = autograd::grad({sum(tanh(x))}, {x}, {}, {.create_graph = true})[0];
  Tensor d2 = autograd::grad({sum(d1)}, {x}, {}, {.create_graph = true})[0];
  Tensor d3 = autograd::grad({sum(d2)}, {x})[0];
  check_close(d3, tanh_third);
}

BOOST_AUTO_TEST_CASE(gradient_of_a_pinn_residual) {
  Tensor V1 = filled({4, 2}, [](double i, double j) { return 0.5 * std::sin(i + 2 * j + 1); }).requires_grad_();
  Tensor a1 = filled({4}, [](double i, double) { return 0.1 * std::cos(i); }).requires_grad_();
  Tensor V2 = filled({1, 4}, [](double, double j) { return 0.6 * std::cos(j - 0.5); }).requires_grad_();
  Tensor a2 = tensor({0.05}, float64).requires_grad_();
  Tensor P = filled({5, 2}, [](double i, double j) { return std::sin(i * 1.3 + j * 0.8); }).requires_grad_();
  Tensor u = linear(tanh(linear(P, V1, a1)), V2, a2);
  Tensor du = autograd::grad({u}, {P}, {ones_like(u)}, {.create_graph = true})[0];
  Tensor u_t = narrow(du, 1, 0, 1), u_x = narrow(du, 1, 1, 1);
  Tensor u_xx = narrow(autograd::grad({u_x}, {P}, {ones_like(u_x)}, {.create_graph = true})[0], 1, 1, 1);
  Tensor f = u_t + u * u_x - (0.01 / std::numbers::pi) * u_xx;
  Tensor residual = mean(f * f);
  check_close(residual, pinn_value);
  const std::vector<Tensor> g = autograd::grad({residual}, {V1, a1, V2, a2});
  check_close(g[0], pinn_v1);
  check_close(g[1], pinn_a1);
  check_close(g[2], pinn_v2);
  check_close(g[3], pinn_a2);
}

BOOST_AUTO_TEST_SUITE_END()
