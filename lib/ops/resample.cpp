// pad and interpolate: argument checks as PyTorch's, then one kernel pass (kernels/resample.hpp).
// Both are linear maps of x, recorded with their adjoint as backward (ops/linear_map.hpp).
#include "descent/ops/resample.hpp"

#include <cmath>
#include <memory>

#include "descent/error.hpp"
#include "detail/dispatch.hpp"
#include "kernels/resample.hpp"
#include "ops/linear_map.hpp"

namespace descent {

using kernels::PadAxis;
using kernels::PadMode;
using kernels::ResampleAxis;

namespace {

/// "(1, 2)": an axis' pair of pads for messages.
std::string pair_of(std::ptrdiff_t before, std::ptrdiff_t after) { return to_string(Size2(before, after)); }

/// The walk of pad over every axis of x (the unpadded ones read straight through), and its adjoint.
/// The linear map pads with 0: a constant pad with `value` is that plus a constant (values()).
class PadMap final : public detail::LinearMap {
 public:
  PadMap(std::vector<PadAxis> axes, Shape in_shape, Shape out_shape)
      : LinearMap("pad", "pad_backward"), axes_(std::move(axes)), in_shape_(std::move(in_shape)),
        out_shape_(std::move(out_shape)) {
    const Strides s = contiguous_strides(in_shape_);
    strides_.assign(s.begin(), s.end());
  }
  Tensor apply(const Tensor& x) const override { return values(x, 0); }
  Tensor values(const Tensor& x, double value) const {
    return detail::written_by(name, out_shape_, x.dtype(), [&]<class T>(T* dst) {
      const T* src = x.data<T>();
      kernels::pad_walk(axes_, strides_, [&](std::size_t pos, std::ptrdiff_t at) { dst[pos] = src[at]; },
                        [&](std::size_t pos, std::size_t n) { std::fill(dst + pos, dst + pos + n, static_cast<T>(value)); });
    });
  }
  Tensor adjoint(const Tensor& g) const override {
    return detail::written_by(adjoint_name, in_shape_, g.dtype(), [&]<class T>(T* dst) {
      const T* src = g.data<T>();
      std::fill(dst, dst + numel(in_shape_), T(0));
      // d(pad x)/dx: each output read from x sends its gradient back there (reflected ones add up)
      kernels::pad_walk(axes_, strides_, [&](std::size_t pos, std::ptrdiff_t at) { dst[at] += src[pos]; },
                        [](std::size_t, std::size_t) {});
    });
  }

 private:
  std::vector<PadAxis> axes_;
  std::vector<std::ptrdiff_t> strides_;
  Shape in_shape_, out_shape_;
};

/// interpolate over planes of (h.in, w.in), and its adjoint.
class ResampleMap final : public detail::LinearMap {
 public:
  ResampleMap(std::size_t planes, ResampleAxis h, ResampleAxis w, Shape in_shape, Shape out_shape)
      : LinearMap("interpolate", "interpolate_backward"), planes_(planes), h_(h), w_(w),
        in_shape_(std::move(in_shape)), out_shape_(std::move(out_shape)) {}
  Tensor apply(const Tensor& x) const override {
    return detail::written_by(name, out_shape_, x.dtype(),
                              [&]<class T>(T* y) { kernels::interpolate_forward(x.data<T>(), y, planes_, h_, w_); });
  }
  Tensor adjoint(const Tensor& g) const override {
    return detail::written_by(adjoint_name, in_shape_, g.dtype(),
                              [&]<class T>(T* dx) { kernels::interpolate_adjoint(g.data<T>(), dx, planes_, h_, w_); });
  }

 private:
  std::size_t planes_;
  ResampleAxis h_, w_;
  Shape in_shape_, out_shape_;
};

PadMode pad_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::constant;
  if (mode == "reflect") return PadMode::reflect;
  DESCENT_CHECK(mode == "replicate", "pad", "unknown mode \"", mode, "\" (expected \"constant\", \"reflect\" or \"replicate\")");
  return PadMode::replicate;
}

}  // namespace

Tensor pad(const Tensor& x, const std::vector<std::ptrdiff_t>& pads, const std::string& mode, double value) {
  detail::check_floating("pad", x);
  const PadMode m = pad_mode(mode);
  const std::size_t padded = pads.size() / 2;
  DESCENT_CHECK(pads.size() % 2 == 0 && padded <= x.dim(), "pad", "pads of length ", pads.size(),
                " for input shape ", to_string(x.shape()), " (expected pairs (before, after), at most one per axis)");
  DESCENT_CHECK(m == PadMode::constant || (padded >= 1 && padded <= 3 && (x.dim() == padded + 1 || x.dim() == padded + 2)),
                "pad", "mode \"", mode, "\" pads the last 1 to 3 axes of a tensor with 1 or 2 more axes, got ",
                pads.size(), " pads for input shape ", to_string(x.shape()));
  std::vector<PadAxis> axes(x.dim());
  Shape out_shape = x.shape();
  for (std::size_t a = 0; a < x.dim(); ++a) {
    const auto in = static_cast<std::ptrdiff_t>(x.shape()[a]);
    axes[a] = PadAxis{in, in, 0, m};
    const std::size_t from_end = x.dim() - 1 - a;
    if (from_end >= padded) continue;
    const std::ptrdiff_t before = pads[2 * from_end], after = pads[2 * from_end + 1];
    if (m == PadMode::reflect)
      DESCENT_CHECK(before >= 0 && after >= 0 && before < in && after < in, "pad", "reflect padding ",
                    pair_of(before, after), " of axis ", a, " must be >= 0 and < its size ", in, " (input shape ",
                    to_string(x.shape()), ")");
    if (m == PadMode::replicate)
      DESCENT_CHECK(before >= 0 && after >= 0 && in > 0, "pad", "replicate padding ", pair_of(before, after), " of axis ",
                    a, " must be >= 0, of a non-empty axis (input shape ", to_string(x.shape()), ")");
    const std::ptrdiff_t out = in + before + after;
    DESCENT_CHECK(out >= 0, "pad", "padding ", pair_of(before, after), " of axis ", a, " of input shape ",
                  to_string(x.shape()), " gives a negative size ", out);
    axes[a].out = out;
    axes[a].before = before;
    out_shape[a] = static_cast<std::size_t>(out);
  }
  const auto map = std::make_shared<PadMap>(std::move(axes), x.shape(), out_shape);
  // d(pad x)/dx: the pad with 0 (value is a constant)
  return detail::record_linear(map, x, map->values(detail::contiguous_values(x), value), false);
}

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
  const char* op = "interpolate";
  detail::check_floating(op, x);
  const bool bilinear = o.mode == "bilinear";
  DESCENT_CHECK(bilinear || o.mode == "nearest", op, "unknown mode \"", o.mode, "\" (expected \"nearest\" or \"bilinear\")");
  DESCENT_CHECK(bilinear || !o.align_corners, op, "align_corners can only be set with mode \"bilinear\"");
  DESCENT_CHECK(x.dim() == 4 || (!bilinear && x.dim() == 3), op, "mode \"", o.mode, "\" expects a ",
                bilinear ? "4-D (N, C, H, W)" : "3-D (N, C, L) or 4-D (N, C, H, W)", " input, got shape ",
                to_string(x.shape()));
  DESCENT_CHECK(o.size.given != o.scale_factor.given, op, "give exactly one of size and scale_factor");
  const std::size_t spatial = x.dim() - 2;
  DESCENT_CHECK(spatial == 2 || !(o.size.pair || o.scale_factor.pair), op, "size or scale_factor has 2 values for the ",
                "1 spatial axis of input shape ", to_string(x.shape()));
  const bool align = o.align_corners.value_or(false);
  const auto axis = [&](std::size_t in, std::int64_t size, double scale) {
    std::int64_t out = size;
    if (o.scale_factor.given) {
      DESCENT_CHECK(std::isfinite(scale) && scale > 0, op, "scale_factor must be a finite number > 0, got ",
                    to_string(o.scale_factor));
      out = static_cast<std::int64_t>(std::floor(static_cast<double>(in) * scale));
    }
    DESCENT_CHECK(in > 0 && out > 0, op, "input and output sizes must be > 0: input shape ", to_string(x.shape()),
                  ", output size ", out);
    return ResampleAxis{in, static_cast<std::size_t>(out), bilinear, align, o.scale_factor.given ? scale : 0};
  };
  const ResampleAxis h = spatial == 2 ? axis(x.shape()[2], o.size.h, o.scale_factor.h) : ResampleAxis{};
  const ResampleAxis w = axis(x.shape().back(), o.size.w, o.scale_factor.w);
  Shape out_shape = x.shape();
  out_shape.back() = w.out;
  if (spatial == 2) out_shape[2] = h.out;
  // d(interpolate x)/dx: each output's weights on its taps; the backward adds g back with them
  return detail::apply_linear(
      std::make_shared<ResampleMap>(x.shape()[0] * x.shape()[1], h, w, x.shape(), std::move(out_shape)), x);
}

}  // namespace descent
