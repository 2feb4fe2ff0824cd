#include "descent/nn/pool.hpp"

#include <string>

#include "nn/layer_error.hpp"

namespace descent::nn {

namespace {
/// Python's repr of a bool.
const char* python_bool(bool b) { return b ? "True" : "False"; }
/// A 1-D layer's setting as PyTorch's AvgPool1d prints it: a 1-tuple, "(3,)".
std::string one_tuple(std::int64_t v) {
  std::string out = "(";  // (not "(" + ...: GCC 12 warns falsely, -Wstringop-overflow)
  out += std::to_string(v);
  out += ",)";
  return out;
}
}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode)
    : kernel_size(kernel_size), stride(stride.given ? stride : kernel_size), padding(padding), dilation(dilation),
      ceil_mode(ceil_mode) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode); });
}

std::string MaxPool2d::describe() const {
  return "MaxPool2d(kernel_size=" + to_string(kernel_size) + ", stride=" + to_string(stride) +
         ", padding=" + to_string(padding) + ", dilation=" + to_string(dilation) +
         ", ceil_mode=" + python_bool(ceil_mode) + ")";
}

MaxPool1d::MaxPool1d(std::int64_t kernel_size, std::optional<std::int64_t> stride, std::int64_t padding,
                     std::int64_t dilation, bool ceil_mode)
    : kernel_size(kernel_size), stride(stride.value_or(kernel_size)), padding(padding), dilation(dilation),
      ceil_mode(ceil_mode) {}

Tensor MaxPool1d::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode); });
}

std::string MaxPool1d::describe() const {
  return "MaxPool1d(kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding) + ", dilation=" + std::to_string(dilation) +
         ", ceil_mode=" + python_bool(ceil_mode) + ")";
}

AvgPool2d::AvgPool2d(Size2 kernel_size, Size2 stride, Size2 padding, bool ceil_mode, bool count_include_pad)
    : kernel_size(kernel_size), stride(stride.given ? stride : kernel_size), padding(padding), ceil_mode(ceil_mode),
      count_include_pad(count_include_pad) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  return detail::named_by(*this,
                          [&] { return avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad); });
}

std::string AvgPool2d::describe() const {
  return "AvgPool2d(kernel_size=" + to_string(kernel_size) + ", stride=" + to_string(stride) +
         ", padding=" + to_string(padding) + ")";
}

AvgPool1d::AvgPool1d(std::int64_t kernel_size, std::optional<std::int64_t> stride, std::int64_t padding,
                     bool ceil_mode, bool count_include_pad)
    : kernel_size(kernel_size), stride(stride.value_or(kernel_size)), padding(padding), ceil_mode(ceil_mode),
      count_include_pad(count_include_pad) {}

Tensor AvgPool1d::forward(const Tensor& x) {
  return detail::named_by(*this,
                          [&] { return avg_pool1d(x, kernel_size, stride, padding, ceil_mode, count_include_pad); });
}

std::string AvgPool1d::describe() const {
  return "AvgPool1d(kernel_size=" + one_tuple(kernel_size) + ", stride=" + one_tuple(stride) +
         ", padding=" + one_tuple(padding) + ")";
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return adaptive_avg_pool2d(x, output_size); });
}

std::string AdaptiveAvgPool2d::describe() const { return "AdaptiveAvgPool2d(output_size=" + to_string(output_size) + ")"; }

Tensor AdaptiveMaxPool2d::forward(const Tensor& x) {
  return detail::named_by(*this, [&] { return adaptive_max_pool2d(x, output_size); });
}

std::string AdaptiveMaxPool2d::describe() const { return "AdaptiveMaxPool2d(output_size=" + to_string(output_size) + ")"; }

}  // namespace descent::nn
