#include "descent/metrics.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "descent/autograd/grad_mode.hpp"
#include "descent/error.hpp"
#include "descent/ops/reduce.hpp"
#include "detail/dispatch.hpp"

namespace descent::metrics {

namespace {

std::string describe(const Tensor& t) {
  return t.defined() ? to_string(t.shape()) + " " + to_string(t.dtype()) : std::string("(undefined)");
}

/// The values of a tensor, row-major, as int64 (labels) or float64 (everything else).
std::vector<std::int64_t> integers(const Tensor& t) {
  const Tensor c = detail::contiguous_values(t.detach());
  return {c.data<std::int64_t>(), c.data<std::int64_t>() + c.numel()};
}
std::vector<double> doubles(const Tensor& t) {
  const Tensor c = t.detach().to(float64).contiguous();
  return {c.data<double>(), c.data<double>() + c.numel()};
}

/// Predicted and true labels of a classification metric, flattened alike (see the header).
struct Labels {
  std::vector<std::int64_t> predicted, target;
};

Labels labels(const Tensor& prediction, const Tensor& target, const char* op) {
  DESCENT_CHECK(prediction.defined() && target.defined(), op, "prediction and target must be defined, got ",
                describe(prediction), " and ", describe(target));
  DESCENT_CHECK(target.dtype() == int64, op, "target must be int64 class labels, got ", describe(target));
  Tensor predicted = prediction;
  if (is_floating(prediction.dtype())) {
    // (N, C, d...) against (N, d...): every axis but the class axis 1 matches.
    bool fits = prediction.dim() == target.dim() + 1 && prediction.dim() >= 2 && prediction.size(0) == target.size(0);
    for (std::size_t axis = 1; fits && axis < target.dim(); ++axis) fits = prediction.size(axis + 1) == target.size(axis);
    DESCENT_CHECK(fits, op, "scores ", describe(prediction), " do not fit labels ", describe(target),
                  ": scores need the labels' shape with a class axis 1, (N, C) for (N,)");
    NoGradGuard no_grad;
    predicted = argmax(prediction.detach(), 1);
  } else {
    DESCENT_CHECK(prediction.dtype() == int64 && prediction.shape() == target.shape(), op, "prediction ",
                  describe(prediction), " does not fit target ", describe(target),
                  ": give int64 labels of the target's shape, or floating-point scores with a class axis 1");
  }
  DESCENT_CHECK(target.numel() > 0, op, "no examples (target ", describe(target), ")");
  return {integers(predicted), integers(target)};
}

/// Checks a regression metric's inputs and returns their values.
std::pair<std::vector<double>, std::vector<double>> regression_values(const Tensor& prediction, const Tensor& target,
                                                                     const char* op) {
  DESCENT_CHECK(prediction.defined() && target.defined(), op, "prediction and target must be defined, got ",
                describe(prediction), " and ", describe(target));
  DESCENT_CHECK(is_floating(prediction.dtype()) && is_floating(target.dtype()), op,
                "prediction and target must be float32 or float64, got ", describe(prediction), " and ",
                describe(target));
  DESCENT_CHECK(prediction.shape() == target.shape() && prediction.dim() >= 1, op, "prediction ",
                describe(prediction), " and target ", describe(target),
                " need one shape, (N,) or (N, outputs...) (no broadcasting)");
  DESCENT_CHECK(target.numel() > 0, op, "no examples (target ", describe(target), ")");
  return {doubles(prediction), doubles(target)};
}

std::int64_t matches(const Labels& l) {
  std::int64_t right = 0;
  for (std::size_t i = 0; i < l.target.size(); ++i) right += l.predicted[i] == l.target[i];
  return right;
}

}  // namespace

std::int64_t count_correct(const Tensor& prediction, const Tensor& target) {
  return matches(labels(prediction, target, "count_correct"));
}

double accuracy(const Tensor& prediction, const Tensor& target) {
  const Labels l = labels(prediction, target, "accuracy");
  return static_cast<double>(matches(l)) / static_cast<double>(l.target.size());
}

double top_k_accuracy(const Tensor& scores, const Tensor& target, std::size_t k) {
  const char* op = "top_k_accuracy";
  DESCENT_CHECK(scores.defined() && target.defined() && is_floating(scores.dtype()) && scores.dim() == 2 &&
                    target.dtype() == int64 && target.dim() == 1 && target.size(0) == scores.size(0),
                op, "needs floating-point scores (N, C) and int64 labels (N,), got scores ", describe(scores),
                " and labels ", describe(target));
  const std::size_t n = scores.size(0), classes = scores.size(1);
  DESCENT_CHECK(n > 0, op, "no examples (labels ", describe(target), ")");
  DESCENT_CHECK(k >= 1 && k <= classes, op, "k must be in [1, ", classes, "] for ", classes, " classes, got ", k);
  const std::vector<double> s = doubles(scores);
  const std::vector<std::int64_t> t = integers(target);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    DESCENT_CHECK(t[i] >= 0 && static_cast<std::size_t>(t[i]) < classes, op, "label ", t[i], " at position ", i,
                  " is outside [0, ", classes, ")");
    const auto label = static_cast<std::size_t>(t[i]);
    const double* row = &s[i * classes];
    // The target's rank: classes scored higher, or as high with a lower index (argmax's tie rule).
    std::size_t ahead = 0;
    for (std::size_t j = 0; j < classes; ++j) ahead += row[j] > row[label] || (row[j] == row[label] && j < label);
    hits += ahead < k;
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

Tensor confusion_matrix(const Tensor& prediction, const Tensor& target, std::size_t num_classes) {
  const char* op = "confusion_matrix";
  DESCENT_CHECK(num_classes >= 1, op, "num_classes must be at least 1, got 0");
  const Labels l = labels(prediction, target, op);
  Tensor out = zeros({num_classes, num_classes}, int64);
  std::int64_t* counts = out.data<std::int64_t>();
  const auto c = static_cast<std::int64_t>(num_classes);
  for (std::size_t i = 0; i < l.target.size(); ++i) {
    DESCENT_CHECK(l.target[i] >= 0 && l.target[i] < c, op, "target label ", l.target[i], " at position ", i,
                  " is outside [0, ", num_classes, ")");
    DESCENT_CHECK(l.predicted[i] >= 0 && l.predicted[i] < c, op, "predicted label ", l.predicted[i], " at position ",
                  i, " is outside [0, ", num_classes, ")");
    ++counts[l.target[i] * c + l.predicted[i]];
  }
  return out;
}

double mse(const Tensor& prediction, const Tensor& target) {
  const auto [p, t] = regression_values(prediction, target, "mse");
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) sum += (p[i] - t[i]) * (p[i] - t[i]);
  return sum / static_cast<double>(p.size());
}

double mae(const Tensor& prediction, const Tensor& target) {
  const auto [p, t] = regression_values(prediction, target, "mae");
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) sum += std::abs(p[i] - t[i]);
  return sum / static_cast<double>(p.size());
}

double r2_score(const Tensor& prediction, const Tensor& target) {
  const auto [p, t] = regression_values(prediction, target, "r2_score");
  const std::size_t n = target.size(0), outputs = t.size() / n;
  DESCENT_CHECK(n >= 2, "r2_score", "needs at least 2 examples, got ", n, " (target ", describe(target), ")");
  double total = 0;
  for (std::size_t o = 0; o < outputs; ++o) {
    double mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += t[i * outputs + o];
    mean /= static_cast<double>(n);
    double residual = 0, spread = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double y = t[i * outputs + o];
      residual += (y - p[i * outputs + o]) * (y - p[i * outputs + o]);
      spread += (y - mean) * (y - mean);
    }
    total += spread != 0 ? 1 - residual / spread : residual == 0 ? 1.0 : 0.0;  // sklearn's force_finite
  }
  return total / static_cast<double>(outputs);
}

}  // namespace descent::metrics
