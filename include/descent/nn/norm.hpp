#pragma once
// Normalisation layers, as PyTorch's: BatchNorm1d / BatchNorm2d (batch statistics in training,
// running ones, kept as buffers, in evaluation), LayerNorm and GroupNorm. Parameter and buffer
// names and layouts are PyTorch's, so its state_dict loads (io::load).
#include "descent/nn/module.hpp"

namespace descent::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;  ///< weight of the batch in the running statistics' update
  bool affine = true;     ///< learn weight (1) and bias (0) per channel
  bool track_running_stats = true;  ///< keep running_mean, running_var, num_batches_tracked; else batch statistics always
  Dtype dtype = float32;
};

/// What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm); they differ in the input shapes
/// they accept.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  std::size_t num_features;
  BatchNormOptions options;
  Tensor weight, bias;  ///< (C), undefined without affine
  Tensor running_mean, running_var;  ///< (C) buffers, 0 and 1 at first; undefined without track_running_stats
  Tensor num_batches_tracked;        ///< 0-d int64 buffer: the training forwards seen

 protected:
  /// `name` for errors and describe(); `dims`: the input ranks accepted, `expected`: their shapes
  /// for errors, with C standing for num_features.
  BatchNorm(const char* name, std::vector<std::size_t> dims, const char* expected, std::size_t num_features,
            BatchNormOptions options);

 private:
  const char* name_;
  std::vector<std::size_t> dims_;
  const char* expected_;
};

/// Over (N, C) or (N, C, L) inputs.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::size_t num_features, BatchNormOptions options = {});
};

/// Over (N, C, H, W) inputs.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::size_t num_features, BatchNormOptions options = {});
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  ///< learn weight (1) and bias (0) of normalized_shape
  Dtype dtype = float32;
};

/// Normalises over the last dims of the input, which must equal normalized_shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  Shape normalized_shape;
  LayerNormOptions options;
  Tensor weight, bias;  ///< undefined without elementwise_affine
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;  ///< learn weight (1) and bias (0) per channel
  Dtype dtype = float32;
};

/// Normalises (N, C, *) inputs over groups of C / num_groups channels.
class GroupNorm : public Module {
 public:
  GroupNorm(std::size_t num_groups, std::size_t num_channels, GroupNormOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  std::size_t num_groups, num_channels;
  GroupNormOptions options;
  Tensor weight, bias;  ///< (C), undefined without affine
};

}  // namespace descent::nn
