#pragma once
// Padding and interpolation, with PyTorch's functional signatures (torch.nn.functional.pad and
// interpolate) and index rules.
#include <optional>
#include <string>
#include <vector>

#include "descent/ops/size2.hpp"
#include "descent/tensor.hpp"

namespace descent {

/// Pads x's last axes: pads = {left, right} for the last axis, then {top, bottom} for the one before,
/// and so on (PyTorch's order, last axis first). mode "constant" fills with `value` (negative pads
/// crop); "reflect" mirrors without repeating the edge (pads < the axis' size); "replicate" repeats
/// the edge. As in PyTorch, reflect and replicate pad 1 to 3 axes of a tensor with 1 or 2 more.
Tensor pad(const Tensor& x, const std::vector<std::ptrdiff_t>& pads, const std::string& mode = "constant",
           double value = 0);

struct InterpolateOptions {
  Size2 size{};          ///< the output size (H, W) or (L) for a 3-D input; or
  Scale2 scale_factor{}; ///< output = floor(input · scale_factor), the factor used by the index rule
  std::string mode = "nearest";        ///< "nearest" (3-D or 4-D input) or "bilinear" (4-D)
  std::optional<bool> align_corners{}; ///< bilinear only (false when not given)
};

/// Resizes the spatial axes of (N, C, L) or (N, C, H, W) input, e.g.
/// interpolate(x, {.scale_factor = 2}) or interpolate(x, {.size = {5, 7}, .mode = "bilinear"}).
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

}  // namespace descent
