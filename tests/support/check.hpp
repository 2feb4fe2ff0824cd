#pragma once
// Assertions shared by the tests: values against references, gradients against finite
// differences, errors against the message they must carry.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace descent::testing {

/// Whether the library runs under AddressSanitizer or ThreadSanitizer (tests/CMakeLists.txt defines
/// these from DESCENT_SANITIZE: the test program itself may be built without the sanitizer).
#if defined(DESCENT_TESTS_UNDER_ASAN) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_address_sanitizer = true;
#else
inline constexpr bool under_address_sanitizer = false;
#endif
#if defined(DESCENT_TESTS_UNDER_TSAN) || defined(__SANITIZE_THREAD__)
inline constexpr bool under_thread_sanitizer = true;
#else
inline constexpr bool under_thread_sanitizer = false;
#endif

/// A float64 tensor of standard-normal values that requires grad: a gradcheck input.
inline Tensor random_input(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen, float64).requires_grad_();
}

/// Checks the gradients of f at `inputs` against central differences (float64).
inline void check_gradient(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                           const std::vector<Tensor>& inputs, const autograd::GradcheckOptions& options = {}) {
  const auto result = autograd::gradcheck(f, inputs, options);
  BOOST_TEST(result.passed, result.message);
}

/// Checks the first (gradcheck) and second (gradgradcheck: create_graph gradients differentiated
/// again, and the two first-order paths against each other) derivatives of f at `inputs` (float64).
inline void check_second_order(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                               const std::vector<Tensor>& inputs, const autograd::GradcheckOptions& options = {},
                               const Tensor& grad_output = Tensor()) {
  check_gradient(f, inputs, options);
  const auto result = autograd::gradgradcheck(f, inputs, grad_output, options);
  BOOST_TEST(result.passed, result.message);
}

/// Checks shape and values (|actual - expected| <= atol + rtol * |expected|, NaN equals NaN).
inline void check_values(const Tensor& actual, const xt::xarray<double>& expected, double rtol = 1e-6,
                         double atol = 1e-7) {
  const Shape expected_shape(expected.shape().begin(), expected.shape().end());
  BOOST_TEST_REQUIRE(to_string(actual.shape()) == to_string(expected_shape));
  const xt::xarray<double> values = actual.to(float64).to_xarray<double>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double a = values.data()[i], e = expected.data()[i];
    if (std::isnan(e) && std::isnan(a)) continue;
    const bool close = (std::isinf(e) && a == e) || std::abs(a - e) <= atol + rtol * std::abs(e);
    BOOST_TEST(close, "element " << i << ": got " << a << ", expected " << e);
  }
}

/// Checks float64 values, in row-major order, against a flat list of literals printed by a reference
/// script (|actual - expected| <= tol·(1 + |expected|)).
inline void check_close(const Tensor& actual, const std::vector<double>& expected, double tol = 1e-10) {
  BOOST_TEST_REQUIRE(actual.numel() == expected.size());
  const Tensor c = actual.detach().contiguous();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double a = c.data<double>()[i], e = expected[i];
    BOOST_TEST(std::abs(a - e) <= tol * (1 + std::abs(e)), "element " << i << ": got " << a << ", expected " << e);
  }
}

/// The message of the descent::Error `f` throws (empty if none).
template <class F> std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

/// Checks that `f` throws a descent::Error whose message contains `fragment`.
inline void check_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos,
               "message \"" << e.what() << "\" lacks \"" << fragment << "\"");
    return;
  }
  BOOST_TEST(false, "no descent::Error thrown (expected one mentioning \"" << fragment << "\")");
}

}  // namespace descent::testing
