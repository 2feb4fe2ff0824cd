// The exact Burgers solution of samples/pinn_burgers (Cole–Hopf + Gauss–Hermite) against NumPy's
// Gauss–Hermite rule and against a brute-force quadrature of the same integrals.
#include "support/check.hpp"

#include <cmath>
#include <numbers>

#include "../../samples/pinn_burgers/burgers_exact.hpp"

namespace {

// The Cole–Hopf integrals in η by the trapezoid rule over ±12 kernel widths (exp(-z²) < 1e-62
// beyond), with 200 001 points: no Gauss–Hermite involved.
double brute_force(double t, double x) {
  const double pi = std::numbers::pi, nu = pinn::burgers_nu, s = std::sqrt(4 * nu * t);
  const int m = 200001;
  const double h = 24 * s / (m - 1);
  auto exponent = [&](double eta) { return -std::cos(pi * (x - eta)) / (2 * pi * nu) - eta * eta / (4 * nu * t); };
  double largest = -1e300;
  for (int i = 0; i < m; ++i) largest = std::max(largest, exponent(-12 * s + i * h));
  double numerator = 0, denominator = 0;
  for (int i = 0; i < m; ++i) {
    const double eta = -12 * s + i * h, weight = (i == 0 || i == m - 1) ? 0.5 : 1.0;
    const double f = weight * std::exp(exponent(eta) - largest);
    numerator += std::sin(pi * (x - eta)) * f;
    denominator += f;
  }
  return -numerator / denominator;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gauss_hermite_matches_numpy) {
  // numpy.polynomial.hermite.hermgauss(5) and (100): the three largest nodes and their weights.
  const auto five = pinn::gauss_hermite(5);
  const double nodes5[] = {0.0, 0.9585724646138185, 2.0201828704560856};
  const double weights5[] = {0.9453087204829418, 0.3936193231522411, 0.019953242059045917};
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(five.nodes[2 + i] == nodes5[i], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(five.nodes[2 - i] == -nodes5[i], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(five.weights[2 + i] == weights5[i], boost::test_tools::tolerance(1e-13));
  }
  const auto hundred = pinn::gauss_hermite(100);
  const double nodes100[] = {12.342964222859674, 12.82379974948781, 13.406487338144911};
  const double weights100[] = {3.083028990003312e-67, 1.972860574879364e-72, 5.908067865030892e-79};
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(hundred.nodes[97 + i] == nodes100[i], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(hundred.weights[97 + i] == weights100[i], boost::test_tools::tolerance(1e-10));
  }
  // Σ w = ∫ exp(-z²) = sqrt(π), and Σ w z² = sqrt(π)/2, for the rule the sample uses (200 nodes).
  const auto rule = pinn::gauss_hermite(200);
  double total = 0, second = 0;
  for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
    total += rule.weights[i];
    second += rule.weights[i] * rule.nodes[i] * rule.nodes[i];
    if (i > 0) BOOST_TEST(rule.nodes[i] > rule.nodes[i - 1]);
  }
  BOOST_TEST(total == std::sqrt(std::numbers::pi), boost::test_tools::tolerance(1e-13));
  BOOST_TEST(second == std::sqrt(std::numbers::pi) / 2, boost::test_tools::tolerance(1e-13));
  // The largest size allowed still finds every root.
  const auto largest = pinn::gauss_hermite(400);
  double total400 = 0;
  for (double w : largest.weights) total400 += w;
  BOOST_TEST(total400 == std::sqrt(std::numbers::pi), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(gauss_hermite_rejects_bad_sizes) {
  for (std::size_t n : {0, 401})
    BOOST_TEST(descent::testing::error_of([n] { pinn::gauss_hermite(n); }) ==
               "gauss_hermite: invalid number of nodes " + std::to_string(n) + " (must be in [1, 400])");
}

BOOST_AUTO_TEST_CASE(exact_solution_matches_brute_force) {
  // Everywhere including the steep front at x = 0 (its width is ~ν) and early times.
  const auto rule = pinn::gauss_hermite(200);
  double worst = 0;
  for (double t : {0.01, 0.1, 0.25, 0.5, 0.75, 1.0})
    for (double x : {-1.0, -0.9, -0.5, -0.2, -0.05, -0.01, -0.003, 0.0, 0.001, 0.01, 0.02, 0.05, 0.3, 0.7, 1.0}) {
      const double gh = pinn::burgers_exact(t, x, rule), bf = brute_force(t, x);
      worst = std::max(worst, std::abs(gh - bf));
      BOOST_TEST(std::abs(gh - bf) <= 1e-9, "t=" << t << " x=" << x << ": " << gh << " vs " << bf);
    }
  BOOST_TEST_MESSAGE("largest difference from the brute-force quadrature: " << worst);
}

BOOST_AUTO_TEST_CASE(exact_solution_matches_numpy) {
  // Computed once with /usr/bin/python3 and NumPy: z, w = numpy.polynomial.hermite.hermgauss(200);
  // y = x - sqrt(4νt)·z; e = -cos(πy)/(2πν); f = exp(e - e.max()); u = -Σ w·sin(πy)·f / Σ w·f
  // (a trapezoid rule over η with 400 001 points agreed to 1e-15).
  const auto rule = pinn::gauss_hermite(200);
  const double cases[][3] = {{0.25, 0.5, -0.8031984208406328},
                             {0.5, -0.3, 0.80124031511922},
                             {0.75, 0.02, -0.8523589011446919},
                             {1.0, 0.01, -0.5942561675887286},
                             {1.0, -0.5, 0.3761813957481218}};
  for (const auto& c : cases) BOOST_TEST(pinn::burgers_exact(c[0], c[1], rule) == c[2], boost::test_tools::tolerance(1e-12));
  // The initial condition, the boundary values and the odd symmetry u(t, -x) = -u(t, x).
  BOOST_TEST(pinn::burgers_exact(0, 0.5, rule) == -1.0, boost::test_tools::tolerance(1e-15));
  for (double t : {0.3, 0.9}) {
    BOOST_TEST(std::abs(pinn::burgers_exact(t, 1.0, rule)) <= 1e-12);
    BOOST_TEST(std::abs(pinn::burgers_exact(t, -1.0, rule)) <= 1e-12);
    BOOST_TEST(pinn::burgers_exact(t, -0.4, rule) == -pinn::burgers_exact(t, 0.4, rule), boost::test_tools::tolerance(1e-12));
  }
}
