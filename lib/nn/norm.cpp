#include "descent/nn/norm.hpp"

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/norm.hpp"

namespace descent::nn {

namespace {
/// Python's spelling of a bool, for describe() strings like PyTorch's repr.
const char* py(bool b) { return b ? "True" : "False"; }

/// A negative int passed for a size_t arrives as a huge number: report it as the negative it was.
std::ptrdiff_t as_signed(std::size_t n) { return static_cast<std::ptrdiff_t>(n); }
}  // namespace

// --- BatchNorm -------------------------------------------------------------------------------

BatchNorm::BatchNorm(const char* name, std::vector<std::size_t> dims, const char* expected, std::size_t num_features,
                     BatchNormOptions options)
    : num_features(num_features), options(options), name_(name), dims_(std::move(dims)), expected_(expected) {
  DESCENT_CHECK(as_signed(num_features) > 0, name, "num_features must be positive, got ", as_signed(num_features));
  DESCENT_CHECK(options.eps >= 0 && options.momentum >= 0 && options.momentum <= 1, name,
                "eps must be >= 0 and momentum in [0, 1], got eps=", options.eps, " momentum=", options.momentum);
  const Shape c{num_features};
  if (options.affine) {
    weight = register_parameter("weight", ones(c, options.dtype));
    bias = register_parameter("bias", zeros(c, options.dtype));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros(c, options.dtype));
    running_var = register_buffer("running_var", ones(c, options.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, int64));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  const bool rank_ok = std::find(dims_.begin(), dims_.end(), x.dim()) != dims_.end();
  DESCENT_CHECK(rank_ok && x.size(1) == num_features, name_, "expected an input of shape ", expected_, " with C = ",
                num_features, " (num_features), got ", to_string(x.shape()));
  if (is_training() && options.track_running_stats) {
    num_batches_tracked.data<std::int64_t>()[0] += 1;  // a buffer: never recorded
    num_batches_tracked.bump_version();
  }
  // Batch statistics in training, and always without running ones (PyTorch's bn_training).
  const bool batch_stats = is_training() || !options.track_running_stats;
  return batch_norm(x, running_mean, running_var, weight, bias, batch_stats, options.momentum, options.eps);
}

std::string BatchNorm::describe() const {
  std::ostringstream out;
  out << name_ << "(" << num_features << ", eps=" << options.eps << ", momentum=" << options.momentum
      << ", affine=" << py(options.affine) << ", track_running_stats=" << py(options.track_running_stats) << ")";
  return out.str();
}

BatchNorm1d::BatchNorm1d(std::size_t num_features, BatchNormOptions options)
    : BatchNorm("BatchNorm1d", {2, 3}, "(N, C) or (N, C, L)", num_features, options) {}

BatchNorm2d::BatchNorm2d(std::size_t num_features, BatchNormOptions options)
    : BatchNorm("BatchNorm2d", {4}, "(N, C, H, W)", num_features, options) {}

// --- LayerNorm -------------------------------------------------------------------------------

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : normalized_shape(std::move(normalized_shape)), options(options) {
  const Shape& s = this->normalized_shape;
  DESCENT_CHECK(!s.empty() && std::all_of(s.begin(), s.end(), [](std::size_t d) { return as_signed(d) > 0; }),
                "LayerNorm", "normalized_shape must be a non-empty shape of positive sizes, got ", to_string(s));
  DESCENT_CHECK(options.eps >= 0, "LayerNorm", "eps must be >= 0, got ", options.eps);
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(s, options.dtype));
    bias = register_parameter("bias", zeros(s, options.dtype));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  const std::size_t k = normalized_shape.size();
  const bool fits = x.dim() >= k && std::equal(normalized_shape.begin(), normalized_shape.end(), x.shape().end() - k);
  DESCENT_CHECK(fits, "LayerNorm", "expected an input whose last dims are ", to_string(normalized_shape),
                " (normalized_shape), got ", to_string(x.shape()));
  return layer_norm(x, normalized_shape, weight, bias, options.eps);
}

std::string LayerNorm::describe() const {
  std::ostringstream out;  // a Python tuple: (4,) or (3, 4)
  out << "LayerNorm((";
  for (std::size_t i = 0; i < normalized_shape.size(); ++i) out << (i ? ", " : "") << normalized_shape[i];
  out << (normalized_shape.size() == 1 ? ",)" : ")") << ", eps=" << options.eps
      << ", elementwise_affine=" << py(options.elementwise_affine) << ")";
  return out.str();
}

// --- GroupNorm -------------------------------------------------------------------------------

GroupNorm::GroupNorm(std::size_t num_groups, std::size_t num_channels, GroupNormOptions options)
    : num_groups(num_groups), num_channels(num_channels), options(options) {
  DESCENT_CHECK(as_signed(num_groups) > 0 && as_signed(num_channels) > 0 && num_channels % num_groups == 0,
                "GroupNorm", "num_channels must be a positive multiple of num_groups, got num_groups=",
                as_signed(num_groups), " num_channels=", as_signed(num_channels));
  DESCENT_CHECK(options.eps >= 0, "GroupNorm", "eps must be >= 0, got ", options.eps);
  if (options.affine) {
    weight = register_parameter("weight", ones({num_channels}, options.dtype));
    bias = register_parameter("bias", zeros({num_channels}, options.dtype));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  DESCENT_CHECK(x.dim() >= 2 && x.size(1) == num_channels, "GroupNorm", "expected an input of shape (N, C, *) with C = ",
                num_channels, " (num_channels), got ", to_string(x.shape()));
  return group_norm(x, num_groups, weight, bias, options.eps);
}

std::string GroupNorm::describe() const {
  std::ostringstream out;
  out << "GroupNorm(" << num_groups << ", " << num_channels << ", eps=" << options.eps
      << ", affine=" << py(options.affine) << ")";
  return out.str();
}

}  // namespace descent::nn
