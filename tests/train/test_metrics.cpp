// descent::metrics against sklearn.metrics' definitions (metrics_reference.py writes the literals),
// hand-checkable small cases, and the errors of bad shapes and dtypes.
#include "support/check.hpp"

#include <cstdint>
#include <vector>

#include "descent/metrics.hpp"
#include "support/closed_form.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::sine_filled;

namespace {
#include "train/metrics_values.inc"

Tensor labels(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_buffer(values.data(), shape);
}

Tensor f64(const xt::xarray<double>& values) { return tensor(values, float64); }

/// The labels of metrics_reference.py: (3k + 1) mod 5.
Tensor reference_labels() {
  std::vector<std::int64_t> v;
  for (std::int64_t k = 0; k < 12; ++k) v.push_back((3 * k + 1) % 5);
  return labels(v, {12});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_suite)

BOOST_AUTO_TEST_CASE(classification_against_the_reference) {
  const Tensor scores = sine_filled({12, 5}, 1.0, 0.7, 0.3);
  const Tensor target = reference_labels();
  BOOST_TEST(metrics::accuracy(scores, target) == accuracy_12x5);
  BOOST_TEST(metrics::accuracy(scores.to(float32), target) == accuracy_12x5);
  BOOST_TEST(metrics::count_correct(scores, target) == 2);
  BOOST_TEST(metrics::top_k_accuracy(scores, target, 1) == accuracy_12x5);
  BOOST_TEST(metrics::top_k_accuracy(scores, target, 2) == top2_accuracy_12x5);
  BOOST_TEST(metrics::top_k_accuracy(scores, target, 3) == top3_accuracy_12x5);
  BOOST_TEST(metrics::top_k_accuracy(scores, target, 5) == 1.0);
  const Tensor cm = metrics::confusion_matrix(scores, target, 5);
  BOOST_TEST(to_string(cm.dtype()) == "int64");
  BOOST_TEST(to_string(cm.shape()) == "(5,5)");
  descent::testing::check_close(cm.to(float64), confusion_12x5, 0);
  // Scores with a class axis 1 and trailing axes, as torchmetrics takes them.
  BOOST_TEST(metrics::accuracy(sine_filled({3, 4, 2}, 1.0, 1.1, 0.2), labels({0, 1, 2, 3, 1, 1}, {3, 2})) ==
             accuracy_3x4x2);
}

BOOST_AUTO_TEST_CASE(labels_small_cases_by_hand) {
  const Tensor target = labels({0, 1, 2, 2, 1}, {5});
  const Tensor predicted = labels({0, 2, 2, 2, 0}, {5});
  BOOST_TEST(metrics::accuracy(predicted, target) == 0.6);
  BOOST_TEST(metrics::accuracy(target, target) == 1.0);
  // Rows are the true class: class 1 was predicted once as 2 and once as 0.
  const Tensor cm = metrics::confusion_matrix(predicted, target, 4);
  descent::testing::check_values(cm, {{1, 0, 0, 0}, {1, 0, 1, 0}, {0, 0, 2, 0}, {0, 0, 0, 0}}, 0, 0);
  // Ties: the lower class ranks first, as argmax picks it.
  const Tensor tied = f64({{1.0, 1.0, 0.0}, {0.0, 2.0, 2.0}});
  const Tensor tied_target = labels({1, 2}, {2});
  BOOST_TEST(metrics::accuracy(tied, tied_target) == 0.0);
  BOOST_TEST(metrics::top_k_accuracy(tied, tied_target, 1) == 0.0);
  BOOST_TEST(metrics::top_k_accuracy(tied, tied_target, 2) == 1.0);
}

BOOST_AUTO_TEST_CASE(regression_against_the_reference) {
  const Tensor p1 = sine_filled({10}, 1.0, 1.3, 0.0), t1 = sine_filled({10}, 1.0, 0.5, 0.4);
  BOOST_TEST(metrics::mse(p1, t1) == mse_n10, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(metrics::mae(p1, t1) == mae_n10, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(metrics::r2_score(p1, t1) == r2_n10, boost::test_tools::tolerance(1e-14));
  const Tensor p2 = sine_filled({10, 3}, 2.0, 0.9, 0.1), t2 = sine_filled({10, 3}, 1.5, 0.45, 1.2);
  BOOST_TEST(metrics::mse(p2, t2) == mse_n10x3, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(metrics::mae(p2, t2) == mae_n10x3, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(metrics::r2_score(p2, t2) == r2_n10x3, boost::test_tools::tolerance(1e-14));
  // A float32 prediction against a float64 target: both read in float64.
  BOOST_TEST(metrics::mse(p2.to(float32), t2) == mse_n10x3, boost::test_tools::tolerance(1e-6));
  // Views (a transposed, non-contiguous target) are read in their logical order.
  BOOST_TEST(metrics::mse(p2.t().contiguous(), t2.t()) == mse_n10x3, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(regression_small_cases_by_hand) {
  const Tensor y = f64({1.0, 2.0, 3.0, 4.0});
  const Tensor p = f64({1.0, 2.0, 3.0, 6.0});
  BOOST_TEST(metrics::mse(p, y) == 1.0);   // (0 + 0 + 0 + 4) / 4
  BOOST_TEST(metrics::mae(p, y) == 0.5);   // (0 + 0 + 0 + 2) / 4
  BOOST_TEST(metrics::r2_score(p, y) == 0.2, boost::test_tools::tolerance(1e-15));  // 1 - 4 / 5
  BOOST_TEST(metrics::r2_score(y, y) == 1.0);
  // A constant target column: 1 when predicted exactly, 0 otherwise (sklearn's force_finite).
  const Tensor constant = f64({{5.0, 1.0}, {5.0, 2.0}, {5.0, 3.0}, {5.0, 4.0}});
  BOOST_TEST(metrics::r2_score(constant, constant) == 1.0);
  const Tensor off = f64({{5.0, 1.0}, {5.0, 2.0}, {5.0, 3.0}, {6.0, 4.0}});
  BOOST_TEST(metrics::r2_score(off, constant) == 0.5);  // (0 + 1) / 2
}

BOOST_AUTO_TEST_CASE(inputs_that_require_grad_are_read_as_values) {
  const Tensor scores = sine_filled({12, 5}, 1.0, 0.7, 0.3).requires_grad_();
  BOOST_TEST(metrics::accuracy(scores, reference_labels()) == accuracy_12x5);
  const Tensor p = f64({1.0, 2.0, 3.0, 6.0}).requires_grad_();
  BOOST_TEST(metrics::mse(p, f64({1.0, 2.0, 3.0, 4.0})) == 1.0);
}

BOOST_AUTO_TEST_CASE(errors) {
  const Tensor scores = sine_filled({12, 5}, 1.0, 0.7, 0.3);
  const Tensor target = reference_labels();
  check_error([&] { metrics::accuracy(scores, target.to(float64)); },
              "accuracy: target must be int64 class labels, got (12,) float64");
  check_error([&] { metrics::accuracy(scores, labels({0, 1}, {2})); },
              "accuracy: scores (12,5) float64 do not fit labels (2,) int64: scores need the labels' shape with a "
              "class axis 1, (N, C) for (N,)");
  check_error([&] { metrics::accuracy(labels({0, 1}, {2}), target); },
              "accuracy: prediction (2,) int64 does not fit target (12,) int64");
  check_error([&] { metrics::accuracy(labels({}, {0}), labels({}, {0})); }, "accuracy: no examples");
  check_error([&] { metrics::top_k_accuracy(scores, target, 6); }, "top_k_accuracy: k must be in [1, 5] for 5 classes, got 6");
  check_error([&] { metrics::top_k_accuracy(scores, target, 0); }, "top_k_accuracy: k must be in [1, 5]");
  check_error([&] { metrics::top_k_accuracy(scores, labels({0, 1}, {2}), 1); },
              "top_k_accuracy: needs floating-point scores (N, C) and int64 labels (N,), got scores (12,5) float64 and "
              "labels (2,) int64");
  check_error([&] { metrics::top_k_accuracy(narrow(scores, 0, 0, 1), labels({7}, {1}), 1); },
              "top_k_accuracy: label 7 at position 0 is outside [0, 5)");
  check_error([&] { metrics::confusion_matrix(scores, target, 3); },
              "confusion_matrix: target label 4 at position 1 is outside [0, 3)");
  check_error([&] { metrics::confusion_matrix(labels({0, -1}, {2}), labels({0, 1}, {2}), 3); },
              "confusion_matrix: predicted label -1 at position 1 is outside [0, 3)");
  check_error([&] { metrics::mse(f64({1.0, 2.0}), f64({{1.0, 2.0}})); },
              "mse: prediction (2,) float64 and target (1,2) float64 need one shape, (N,) or (N, outputs...) (no "
              "broadcasting)");
  check_error([&] { metrics::mae(labels({1, 2}, {2}), f64({1.0, 2.0})); },
              "mae: prediction and target must be float32 or float64, got (2,) int64 and (2,) float64");
  check_error([&] { metrics::r2_score(f64({1.0}), f64({1.0})); }, "r2_score: needs at least 2 examples, got 1");
}

BOOST_AUTO_TEST_SUITE_END()
