// Tensor::copy_: into views, from overlapping sources (NumPy's results), and its refusals.
#include "support/check.hpp"

#include "kernels/copy.hpp"

namespace descent {
namespace {

using testing::check_error;
using testing::check_values;

Tensor square(std::size_t n) {
  return reshape(arange(static_cast<double>(n * n)), {static_cast<std::ptrdiff_t>(n), -1});
}

BOOST_AUTO_TEST_CASE(copy_from_its_own_transpose) {
  // numpy: x = np.arange(9.).reshape(3, 3); np.copyto(x, x.T) -> the transpose
  Tensor x = square(3);
  x.copy_(transpose(x));
  check_values(x, {{0, 3, 6}, {1, 4, 7}, {2, 5, 8}});
  Tensor y = square(3);
  transpose(y).copy_(y);  // the same through a transposed destination
  check_values(y, {{0, 3, 6}, {1, 4, 7}, {2, 5, 8}});
}

BOOST_AUTO_TEST_CASE(copy_between_overlapping_slices) {
  // numpy: y = np.arange(6.); y[1:] = y[:-1] -> [0, 0, 1, 2, 3, 4]; y[:-1] = y[1:] -> [1, 2, 3, 4, 5, 5]
  Tensor y = arange(6);
  narrow(y, 0, 1, 5).copy_(narrow(y, 0, 0, 5));
  check_values(y, {0, 0, 1, 2, 3, 4});
  Tensor z = arange(6);
  narrow(z, 0, 0, 5).copy_(narrow(z, 0, 1, 5));
  check_values(z, {1, 2, 3, 4, 5, 5});
  Tensor w = arange(4);
  w.copy_(w);
  check_values(w, {0, 1, 2, 3});
  // A broadcast source overlapping its destination: every row becomes the old first row.
  Tensor m = square(3);
  m.copy_(narrow(m, 0, 0, 1));
  check_values(m, {{0, 1, 2}, {0, 1, 2}, {0, 1, 2}});
}

BOOST_AUTO_TEST_CASE(copy_into_views) {
  Tensor t = zeros({2, 3});
  transpose(t).copy_(reshape(arange(6), {3, 2}));
  check_values(t, {{0, 2, 4}, {1, 3, 5}});
  Tensor m = zeros({3, 3});
  narrow(m, 1, 1, 1).copy_(ones({3, 1}));  // a column
  narrow(m, 0, 2, 1).copy_(full({}, 5.0));  // a row, from a scalar
  check_values(m, {{0, 1, 0}, {0, 1, 0}, {5, 5, 5}});
  Tensor d = zeros({2, 2}, float64);
  d.copy_(tensor({{1, 2}, {3, 4}}));  // converted to the destination's dtype
  check_values(d, {{1, 2}, {3, 4}});
}

BOOST_AUTO_TEST_CASE(copy_refusals) {
  Tensor w = zeros({3}).requires_grad_();
  check_error([&] { w.copy_(ones({3})); },
              "copy_: a tensor that requires grad cannot be changed in place while recording");
  {
    NoGradGuard no_grad;
    w.copy_(ones({3}));
  }
  check_values(w, {1, 1, 1});
  nn::init::constant_(w, 2);  // the initialisers write under NoGradGuard, like torch.nn.init
  check_values(w, {2, 2, 2});
  check_error([] { broadcast_to(zeros({1, 3}), {2, 3}).copy_(ones({2, 3})); }, "repeats its elements");
  check_error([] { zeros({2, 3}).copy_(ones({3, 2})); }, "copy_: cannot broadcast (3,2) with (2,3)");
}

BOOST_AUTO_TEST_CASE(overlap_detection) {
  const Tensor x = square(4);
  BOOST_TEST(kernels::may_overlap(x, x));
  BOOST_TEST(kernels::may_overlap(x, transpose(x)));
  BOOST_TEST(!kernels::may_overlap(narrow(x, 0, 0, 2), narrow(x, 0, 2, 2)));  // disjoint rows
  BOOST_TEST(kernels::may_overlap(narrow(x, 0, 0, 3), narrow(x, 0, 2, 2)));
  BOOST_TEST(!kernels::may_overlap(x, square(4)));
  BOOST_TEST(!kernels::may_overlap(x, zeros({0})));
}

}  // namespace
}  // namespace descent
