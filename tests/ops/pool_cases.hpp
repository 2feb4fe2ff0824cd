#pragma once
// Shared by test_pool.cpp and test_resample.cpp: the inputs of pool_reference.py, a comparison of
// an op's values and gradients with its literals (contiguous and through a transposed view), and
// the first- and second-order checks of a linear op.
#include "support/check.hpp"

#include <cmath>
#include <string>

namespace descent::testing {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using Args = const std::vector<Tensor>&;

/// pool_reference.py's input: element k = ((7919 k) mod n) / n - 1/2, distinct (no max-pooling ties).
inline Tensor pool_input(const Shape& shape) {
  const std::size_t n = numel(shape);
  Tensor x = empty(shape, float64);
  for (std::size_t k = 0; k < n; ++k) x.data<double>()[k] = static_cast<double>((7919 * k) % n) / n - 0.5;
  return x.requires_grad_();
}

/// w_k = cos(0.3 k): the weights of the loss sum(y * w) the reference differentiates.
inline Tensor pool_weights(const Shape& shape) {
  Tensor w = empty(shape, float64);
  for (std::size_t k = 0; k < w.numel(); ++k) w.data<double>()[k] = std::cos(0.3 * static_cast<double>(k));
  return w;
}

/// f's values and the gradient of sum(f(x) * w) equal PyTorch's (1e-10), for x contiguous and for x
/// read through a transposed view (non-contiguous), which must give the same.
inline void check_reference(const std::string& what, const Shape& shape, const std::function<Tensor(const Tensor&)>& f,
                            const std::vector<double>& y_expected, const std::vector<double>& dx_expected) {
  BOOST_TEST_CONTEXT(what) {
    for (const bool strided : {false, true}) {
      BOOST_TEST_CONTEXT((strided ? "transposed view" : "contiguous")) {
        const Tensor x = pool_input(shape);
        const Tensor in = strided ? transpose(transpose(x).contiguous()) : x;
        BOOST_TEST(in.is_contiguous() == !strided);
        const Tensor y = f(in);
        check_close(y, y_expected);
        sum(y * pool_weights(y.shape())).backward();
        check_close(x.grad(), dx_expected);
      }
    }
  }
}

/// gradcheck and gradgradcheck of f, and of f squared (whose second derivative runs through f's
/// backward and differentiates it again: f itself is linear in x).
inline void check_linear_op(const std::string& what, const Fn& f, const Tensor& x) {
  BOOST_TEST_CONTEXT(what) {
    check_second_order(f, {x});
    check_second_order([f](Args v) {
      const Tensor y = f(v);
      return y * y;
    }, {x});
  }
}

}  // namespace descent::testing
