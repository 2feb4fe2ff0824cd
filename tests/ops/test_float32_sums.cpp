// float32 reductions over 10^7+ elements: sums, means and the losses' reductions accumulate in
// float64 (kernels/reduce.hpp), so they neither drift nor stick at 2^24. With one float32
// accumulator mse_loss(zeros(3e7), ones(3e7)) was 0.559 and "sum" stuck at 16777216; 3e7 × 0.1f
// summed 0.3-1.2% off depending on the SIMD width.
#include "support/check.hpp"

#include <cmath>

namespace descent {
namespace {

using testing::check_values;

constexpr std::size_t big = 30'000'000;
const double tenth = static_cast<double>(0.1f);  // the float32 value 0.1f, exactly

double relative_error(double actual, double expected) { return std::abs(actual - expected) / std::abs(expected); }
xt::xarray<double> filled(std::size_t n, double value) { return xt::ones<double>({n}) * value; }

BOOST_AUTO_TEST_CASE(mse_loss_of_thirty_million_terms_is_exact) {
  const Tensor zero = zeros({big}), one = ones({big});
  BOOST_TEST(nn::mse_loss(zero, one).item() == 1.0);
  BOOST_TEST(nn::mse_loss(zero, one, "sum").item() == 3e7);  // exact: integer-valued terms
  const Tensor x = full({big}, 0.1f);
  BOOST_TEST(relative_error(nn::mse_loss(x, zero).item(), tenth * tenth) <= 1e-4);
}

BOOST_AUTO_TEST_CASE(sum_and_mean_of_thirty_million_tenths) {
  const Tensor x = full({big}, 0.1f);
  BOOST_TEST(relative_error(sum(x).item(), 3e7 * tenth) <= 1e-4);
  BOOST_TEST(relative_error(mean(x).item(), tenth) <= 1e-4);
  BOOST_TEST(relative_error(sum(x, {0}).item(), 3e7 * tenth) <= 1e-4);
  // Kept runs: each of 4 columns sums 7.5e6 elements (the elementwise path of the kernel).
  const Tensor columns = reshape(x, {-1, 4});
  check_values(sum(columns, {0}), filled(4, 7.5e6 * tenth), 1e-4, 0);
  check_values(mean(columns, {0}), filled(4, tenth), 1e-4, 0);
  // Reduced runs over the last axis: 20 rows of 1.5e6.
  check_values(sum(reshape(x, {20, -1}), {1}), filled(20, 1.5e6 * tenth), 1e-4, 0);
}

BOOST_AUTO_TEST_CASE(integer_valued_sums_are_exact) {
  BOOST_TEST(sum(ones({big})).item() == 3e7);
  BOOST_TEST(sum(full({big}, 3.0)).item() == 9e7);
  BOOST_TEST(sum(reshape(ones({big}), {-1, 6}), {0}).at({5}) == 5e6);
  // 0, 1, ..., 4095 repeated: each block of 4096 sums to 8386560.
  Tensor ramp = reshape(broadcast_to(arange(4096), {2048, 4096}).contiguous(), {-1});
  BOOST_TEST(sum(ramp).item() == 2048.0 * 8386560.0);
}

BOOST_AUTO_TEST_CASE(cross_entropy_mean_over_ten_million_logits) {
  // 5e6 rows of 2 equal logits: every row's loss is log 2, and so is their mean.
  const Tensor logits = zeros({5'000'000, 2});
  const Tensor labels = zeros({5'000'000}, int64);
  BOOST_TEST(relative_error(nn::cross_entropy(logits, labels).item(), std::log(2.0)) <= 1e-4);
  BOOST_TEST(relative_error(nn::binary_cross_entropy_with_logits(zeros({big / 3}), zeros({big / 3})).item(),
                            std::log(2.0)) <= 1e-4);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_of_ten_million_gradients) {
  Tensor w = zeros({10'000'000}).requires_grad_();
  sum(w * 0.1).backward();  // every gradient 0.1f
  const double norm = optim::clip_grad_norm({w}, 1e9);
  BOOST_TEST(relative_error(norm, std::sqrt(1e7 * tenth * tenth)) <= 1e-6);
}

BOOST_AUTO_TEST_CASE(short_float32_sums_match_float64) {
  // Every length around the SIMD block sizes (16 batches of 4 lanes × up to 16 floats).
  Generator gen(3);
  for (std::size_t n : {1, 3, 15, 16, 17, 63, 64, 65, 1023, 1024, 1025, 4097, 100003}) {
    const Tensor x = randn({n}, gen);
    const double expected = sum(x.to(float64)).item(), magnitude = sum(abs(x.to(float64))).item();
    BOOST_TEST(std::abs(sum(x).item() - expected) <= 1e-6 * magnitude, "n = " << n);
  }
}

}  // namespace
}  // namespace descent
