#pragma once
// Pooling layers: the ops of ops/pool.hpp with their settings kept, PyTorch's names and defaults
// (a stride not given is the kernel size). Bad input is an error naming the layer and the shapes.
#include <cstdint>
#include <optional>

#include "descent/nn/module.hpp"
#include "descent/ops/pool.hpp"

namespace descent::nn {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Size2 kernel_size, stride, padding, dilation;
  bool ceil_mode;
};

class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(std::int64_t kernel_size, std::optional<std::int64_t> stride = {}, std::int64_t padding = 0,
                     std::int64_t dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  std::int64_t kernel_size, stride, padding, dilation;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Size2 kernel_size, stride, padding;
  bool ceil_mode, count_include_pad;
};

class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(std::int64_t kernel_size, std::optional<std::int64_t> stride = {}, std::int64_t padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  std::int64_t kernel_size, stride, padding;
  bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Size2 output_size;
};

class AdaptiveMaxPool2d : public Module {
 public:
  explicit AdaptiveMaxPool2d(Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Size2 output_size;
};

}  // namespace descent::nn
