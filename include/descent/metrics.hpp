#pragma once
// Evaluation metrics on tensors, outside fit (which uses the same accuracy), as sklearn.metrics and
// torchmetrics compute them:
//
//   double acc = metrics::accuracy(logits, labels);             // argmax of (N, C) against int64 (N,)
//   double top5 = metrics::top_k_accuracy(logits, labels, 5);
//   Tensor cm = metrics::confusion_matrix(logits, labels, 10);  // int64 (10, 10), rows: true class
//   double r2 = metrics::r2_score(prediction, target);
//
// Scalar metrics are doubles, as sklearn returns them (torchmetrics' 0-dim tensors would need
// .item()); they read values only, so nothing is recorded and no gradient flows: a loss to train
// with is ops/loss.hpp's mse_loss / l1_loss. Any dtype and layout of input is read; bad shapes and
// dtypes are errors naming the metric and both shapes.
#include <cstddef>
#include <cstdint>

#include "descent/tensor.hpp"

namespace descent::metrics {

/// Classification inputs, as torchmetrics' multiclass metrics take them: `prediction` is either
/// int64 labels of target's shape, or floating-point scores (logits or probabilities) with a class
/// axis 1, (N, C) for labels (N,) or (N, C, d...) for labels (N, d...), whose argmax along axis 1 (the
/// first maximum on ties, as torch.argmax) is the predicted label. `target` is int64 labels.

/// Predictions equal to their target: the numerator of accuracy (fit sums it over batches).
std::int64_t count_correct(const Tensor& prediction, const Tensor& target);
/// The fraction of predictions equal to their target (sklearn's accuracy_score, torchmetrics'
/// micro-averaged multiclass accuracy). No examples is an error.
double accuracy(const Tensor& prediction, const Tensor& target);
/// The fraction of examples whose target is among the k highest of its C scores, `scores` (N, C)
/// floating point, `target` int64 (N,), 1 <= k <= C. Ties rank the lower class first, as argmax does,
/// so top_k_accuracy(s, t, 1) == accuracy(s, t) always (sklearn ranks the higher class first).
double top_k_accuracy(const Tensor& scores, const Tensor& target, std::size_t k);
/// int64 (num_classes, num_classes): entry (i, j) counts examples of true class i predicted as j
/// (sklearn's confusion_matrix with labels 0..num_classes-1). A label outside [0, num_classes) is an
/// error naming it and its position.
Tensor confusion_matrix(const Tensor& prediction, const Tensor& target, std::size_t num_classes);

/// Regression inputs: floating-point `prediction` and `target` of one shape, (N,) or (N, outputs...)
/// (any float32/float64 mix; computed in float64). No broadcasting, as in sklearn.

/// Mean squared error over all elements (sklearn's mean_squared_error, uniform average of outputs).
double mse(const Tensor& prediction, const Tensor& target);
/// Mean absolute error over all elements (sklearn's mean_absolute_error).
double mae(const Tensor& prediction, const Tensor& target);
/// Coefficient of determination 1 - SS_res / SS_tot per output (the axes after the first), averaged
/// over the outputs (sklearn's r2_score, multioutput="uniform_average"); an output whose target is
/// constant scores 1 if predicted exactly and 0 otherwise (sklearn's force_finite). N >= 2.
double r2_score(const Tensor& prediction, const Tensor& target);

}  // namespace descent::metrics
