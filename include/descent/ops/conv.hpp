#pragma once
// Convolutions with PyTorch's functional signatures (torch.nn.functional.conv1d / conv2d /
// conv_transpose2d): weights (out, in/groups, kh, kw) for a convolution and (in, out/groups, kh, kw)
// for a transposed one; inputs batched (N, C, H, W) or unbatched (C, H, W) (1-D: (N, C, L) or (C, L)).
// Computed as im2col + one GEMM per image (or chunk of small images) and group; every backward rule
// is differentiable again.
#include <cstddef>
#include <string>
#include <utility>

#include "descent/ops/size2.hpp"
#include "descent/tensor.hpp"

namespace descent {

/// A convolution's padding: zeros on both sides of each axis (one number or (h, w)), or "valid"
/// (none) or "same" (the output keeps the input's size; stride 1 only; an even kernel extent pads
/// one more after than before, as PyTorch does).
struct ConvPadding {
  ConvPadding(std::ptrdiff_t both) : size(both) {}  // NOLINT: implicit, as PyTorch's int-tuple-or-string
  ConvPadding(std::ptrdiff_t height, std::ptrdiff_t width) : size(height, width) {}
  ConvPadding(std::string mode) : size(0), mode(std::move(mode)) {}                        // NOLINT
  template <std::size_t N> ConvPadding(const char (&mode)[N]) : ConvPadding(std::string(mode)) {}  // NOLINT
  Size2 size;
  std::string mode;  ///< "same", "valid", or empty for `size`
};

/// 1-D convolution of x (N, C_in, L) or (C_in, L) with weight (C_out, C_in/groups, K); bias (C_out) optional.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), std::ptrdiff_t stride = 1,
              const ConvPadding& padding = 0, std::ptrdiff_t dilation = 1, std::ptrdiff_t groups = 1);

/// 2-D convolution of x (N, C_in, H, W) or (C_in, H, W) with weight (C_out, C_in/groups, kh, kw).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = 1,
              const ConvPadding& padding = 0, Size2 dilation = 1, std::ptrdiff_t groups = 1);

/// The adjoint of conv2d (its input gradient), with weight (C_in, C_out/groups, kh, kw): output size
/// (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1. PyTorch's argument order.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = 1,
                        Size2 padding = 0, Size2 output_padding = 0, std::ptrdiff_t groups = 1, Size2 dilation = 1);

}  // namespace descent
