#pragma once
// Convolution layers with PyTorch's options, parameter layouts and names (weight, bias) and its
// default initialisation: weight kaiming_uniform_ with a = √5, bias uniform in ±1/√fan_in.
#include "descent/nn/module.hpp"
#include "descent/ops/conv.hpp"
#include "descent/random.hpp"

namespace descent::nn {

struct Conv1dOptions {
  std::ptrdiff_t stride = 1;
  ConvPadding padding = 0;  ///< a number, "same" or "valid"
  std::ptrdiff_t dilation = 1;
  std::ptrdiff_t groups = 1;
  bool bias = true;
  Dtype dtype = float32;
};

struct Conv2dOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;  ///< a number, (h, w), "same" or "valid"
  Size2 dilation = 1;
  std::ptrdiff_t groups = 1;
  bool bias = true;
  Dtype dtype = float32;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  std::ptrdiff_t groups = 1;
  bool bias = true;
  Size2 dilation = 1;
  Dtype dtype = float32;
};

/// conv1d over (N, C_in, L) or (C_in, L); weight (out_channels, in_channels/groups, kernel_size).
class Conv1d : public Module {
 public:
  Conv1d(std::size_t in_channels, std::size_t out_channels, std::ptrdiff_t kernel_size, Conv1dOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  Tensor weight;
  Tensor bias;  ///< undefined when built without bias
  Conv1dOptions options;
};

/// conv2d over (N, C_in, H, W) or (C_in, H, W); weight (out_channels, in_channels/groups, kh, kw).
class Conv2d : public Module {
 public:
  Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Conv2dOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  Tensor weight;
  Tensor bias;
  Conv2dOptions options;
};

/// conv_transpose2d; weight (in_channels, out_channels/groups, kh, kw).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
                  ConvTranspose2dOptions options = {}, Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  std::string describe() const override;

  Tensor weight;
  Tensor bias;
  ConvTranspose2dOptions options;
};

}  // namespace descent::nn
