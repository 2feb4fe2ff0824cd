#pragma once
// Pooling, with PyTorch's functional signatures, defaults and output sizes:
//   out = floor((in + 2·padding - dilation·(kernel - 1) - 1 [+ stride - 1 with ceil_mode]) / stride) + 1,
// and with ceil_mode the last window must start inside the input or the left padding.
// The 2-D ops take (N, C, H, W) or unbatched (C, H, W), the 1-D ones (N, C, L) or (C, L); a stride not
// given is the kernel size; padding is at most half the kernel. Each is one pass over the input, and
// its backward one pass over the gradient (max pooling scatters to its saved argmax).
#include <cstdint>
#include <optional>

#include "descent/ops/size2.hpp"
#include "descent/tensor.hpp"

namespace descent {

/// The maximum of each window (padding counts as -inf; dilation spaces the window's taps).
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1,
                  bool ceil_mode = false);
Tensor max_pool1d(const Tensor& x, std::int64_t kernel_size, std::optional<std::int64_t> stride = {}, std::int64_t padding = 0,
                  std::int64_t dilation = 1, bool ceil_mode = false);

/// The mean of each window; with count_include_pad the padding's zeros count in the divisor.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true);
Tensor avg_pool1d(const Tensor& x, std::int64_t kernel_size, std::optional<std::int64_t> stride = {}, std::int64_t padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);

/// Pools to `output_size`: window o covers [floor(o·in/out), ceil((o+1)·in/out)) on each axis.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
Tensor adaptive_max_pool2d(const Tensor& x, Size2 output_size);

}  // namespace descent
