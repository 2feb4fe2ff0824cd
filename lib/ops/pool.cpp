// Pooling ops: argument checks and output sizes as PyTorch's (aten/src/ATen/native/Pool.h), then one
// kernel pass (kernels/pool.hpp). Each op is a linear map of x given its windows (max pooling: given
// its argmax, piecewise constant in x), recorded with its adjoint as backward (ops/linear_map.hpp).
#include "descent/ops/pool.hpp"

#include <memory>
#include <string>

#include "descent/error.hpp"
#include "detail/dispatch.hpp"
#include "kernels/pool.hpp"
#include "ops/linear_map.hpp"

namespace descent {

using kernels::PoolAxis;
using kernels::PoolGeometry;

namespace {

/// A pooling's settings; the 1-D ops use the w parts (h is a unit axis).
struct PoolArgs {
  Size2 kernel, stride, padding, dilation;
  bool ceil_mode = false, count_include_pad = true;
};

/// "3" for a 1-D op, "(2, 3)" for a 2-D one.
std::string show(Size2 s, std::size_t spatial) {
  return spatial == 1 ? std::to_string(s.w) : to_string(Size2(s.h, s.w));
}

/// The number of planes (product of the axes before the last `spatial`) after checking x's rank:
/// spatial + 1 (unbatched) or spatial + 2 (batched), with non-empty axes but for the batch.
std::size_t planes_of(const char* op, const Tensor& x, std::size_t spatial) {
  detail::check_floating(op, x);
  DESCENT_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2, op, "expected a ", spatial + 1, "-D (unbatched) or ",
                spatial + 2, "-D (batched) input, got shape ", to_string(x.shape()));
  std::size_t planes = 1;
  for (std::size_t a = 0; a < x.dim(); ++a) {
    DESCENT_CHECK(x.shape()[a] > 0 || (a == 0 && x.dim() == spatial + 2), op,
                  "expected sizes > 0 except for the batch axis, got shape ", to_string(x.shape()));
    if (a < x.dim() - spatial) planes *= x.shape()[a];
  }
  return planes;
}

/// x's shape with the last two axes set to (h, w) (the last one alone for a 1-D op).
Shape pooled_shape(const Tensor& x, std::size_t spatial, const PoolGeometry& g) {
  Shape out = x.shape();
  out.back() = g.w.out;
  if (spatial == 2) out[out.size() - 2] = g.h.out;
  return out;
}

/// PyTorch's pooling_output_shape: floor (or ceil) division, then with ceil_mode the last window must
/// start inside the input or the left padding. May be < 1 (checked by the caller, with every argument).
std::ptrdiff_t output_size(std::ptrdiff_t in, std::ptrdiff_t k, std::ptrdiff_t s, std::ptrdiff_t p, std::ptrdiff_t d,
                           bool ceil_mode) {
  const std::ptrdiff_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  std::ptrdiff_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;  // floor division
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

/// The windows of a regular pooling of x over its last `spatial` axes, every argument checked.
PoolGeometry regular_geometry(const char* op, const Tensor& x, std::size_t spatial, const PoolArgs& a) {
  PoolGeometry g;
  g.planes = planes_of(op, x, spatial);
  const Size2 stride = a.stride.given ? a.stride : a.kernel;
  DESCENT_CHECK(a.kernel.h > 0 && a.kernel.w > 0, op, "kernel_size must be > 0, got ", show(a.kernel, spatial));
  DESCENT_CHECK(stride.h > 0 && stride.w > 0, op, "stride must be > 0, got ", show(stride, spatial));
  DESCENT_CHECK(a.dilation.h > 0 && a.dilation.w > 0, op, "dilation must be > 0, got ", show(a.dilation, spatial));
  DESCENT_CHECK(a.padding.h >= 0 && a.padding.w >= 0, op, "padding must be >= 0, got ", show(a.padding, spatial));
  DESCENT_CHECK(a.padding.h <= a.kernel.h / 2 && a.padding.w <= a.kernel.w / 2, op, "padding ",
                show(a.padding, spatial), " must be at most half of kernel_size ", show(a.kernel, spatial));
  const std::ptrdiff_t in_h = spatial == 2 ? static_cast<std::ptrdiff_t>(x.shape()[x.dim() - 2]) : 1;
  const auto in_w = static_cast<std::ptrdiff_t>(x.shape().back());
  const std::ptrdiff_t out_h = output_size(in_h, a.kernel.h, stride.h, a.padding.h, a.dilation.h, a.ceil_mode);
  const std::ptrdiff_t out_w = output_size(in_w, a.kernel.w, stride.w, a.padding.w, a.dilation.w, a.ceil_mode);
  DESCENT_CHECK(out_h >= 1 && out_w >= 1, op, "input of shape ", to_string(x.shape()), " with kernel_size ",
                show(a.kernel, spatial), ", stride ", show(stride, spatial), ", padding ", show(a.padding, spatial),
                ", dilation ", show(a.dilation, spatial), " gives output size ",
                show(Size2(out_h, out_w), spatial),
                ": the kernel is larger than the padded input");
  const auto axis = [&](std::ptrdiff_t in, std::ptrdiff_t out, std::ptrdiff_t k, std::ptrdiff_t s, std::ptrdiff_t p,
                        std::ptrdiff_t d) {
    return PoolAxis{static_cast<std::size_t>(in), static_cast<std::size_t>(out), k, s, p, d, false, a.count_include_pad};
  };
  g.h = axis(in_h, out_h, a.kernel.h, stride.h, a.padding.h, a.dilation.h);
  g.w = axis(in_w, out_w, a.kernel.w, stride.w, a.padding.w, a.dilation.w);
  return g;
}

PoolGeometry adaptive_geometry(const char* op, const Tensor& x, Size2 output_size) {
  PoolGeometry g;
  g.planes = planes_of(op, x, 2);
  DESCENT_CHECK(output_size.given && output_size.h > 0 && output_size.w > 0, op, "output_size must be > 0, got ",
                show(output_size, 2));
  g.h = PoolAxis{x.shape()[x.dim() - 2], static_cast<std::size_t>(output_size.h)};
  g.w = PoolAxis{x.shape().back(), static_cast<std::size_t>(output_size.w)};
  g.h.adaptive = g.w.adaptive = true;
  return g;
}

/// Gathering each plane's values at saved indices (max pooling given its argmax), and its adjoint.
class IndexMap final : public detail::LinearMap {
 public:
  IndexMap(const char* name, const char* adjoint_name, Tensor idx, Shape in_shape, std::size_t planes)
      : LinearMap(name, adjoint_name), idx_(std::move(idx)), in_shape_(std::move(in_shape)), planes_(planes) {}
  Tensor apply(const Tensor& x) const override {
    return detail::written_by(name, idx_.shape(), x.dtype(), [&]<class T>(T* y) {
      kernels::gather_planes(x.data<T>(), idx_.data<std::int64_t>(), y, planes_, in_plane(), out_plane());
    });
  }
  Tensor adjoint(const Tensor& g) const override {
    return detail::written_by(adjoint_name, in_shape_, g.dtype(), [&]<class T>(T* dx) {
      kernels::scatter_planes(g.data<T>(), idx_.data<std::int64_t>(), dx, planes_, in_plane(), out_plane());
    });
  }

 private:
  std::size_t in_plane() const { return planes_ == 0 ? 0 : numel(in_shape_) / planes_; }
  std::size_t out_plane() const { return planes_ == 0 ? 0 : idx_.numel() / planes_; }
  Tensor idx_;  // int64, of the output's shape
  Shape in_shape_;
  std::size_t planes_;
};

/// Average pooling over given windows, and its adjoint.
class AvgPoolMap final : public detail::LinearMap {
 public:
  AvgPoolMap(const char* name, const char* adjoint_name, PoolGeometry g, Shape in_shape, Shape out_shape)
      : LinearMap(name, adjoint_name), g_(g), in_shape_(std::move(in_shape)), out_shape_(std::move(out_shape)) {}
  Tensor apply(const Tensor& x) const override {
    return detail::written_by(name, out_shape_, x.dtype(),
                              [&]<class T>(T* y) { kernels::avg_pool_forward(x.data<T>(), y, g_); });
  }
  Tensor adjoint(const Tensor& g) const override {
    return detail::written_by(adjoint_name, in_shape_, g.dtype(),
                              [&]<class T>(T* dx) { kernels::avg_pool_adjoint(g.data<T>(), dx, g_); });
  }

 private:
  PoolGeometry g_;
  Shape in_shape_, out_shape_;
};

/// The windows as a tracer sees them (ONNX's MaxPool / AveragePool attributes; the output size tells ceil_mode).
autograd::TraceAttributes pool_attributes(const PoolGeometry& g) {
  using V = std::vector<std::ptrdiff_t>;
  return {{"kernel_shape", V{g.h.kernel, g.w.kernel}}, {"strides", V{g.h.stride, g.w.stride}},
          {"pads", V{g.h.padding, g.w.padding}},        {"dilations", V{g.h.dilation, g.w.dilation}},
          {"adaptive", g.h.adaptive},                   {"count_include_pad", g.h.count_include_pad}};
}

/// Max pooling: the kernel finds values and argmax in one pass; recorded as the gather at the argmax.
Tensor max_pool(const char* op, const char* backward_name, const Tensor& x, const PoolGeometry& g, const Shape& out_shape) {
  const Tensor cx = detail::contiguous_values(x);
  Tensor y = empty(out_shape, x.dtype());
  Tensor idx = empty(out_shape, int64);
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::max_pool_forward(cx.data<T>(), y.data<T>(), idx.data<std::int64_t>(), g);
  });
  autograd::trace_attributes(y, [&] { return pool_attributes(g); });
  if (!detail::records(x)) return y;
  // d(max of a window)/dx = 1 at its argmax: the backward scatters g there, its own backward gathers
  return detail::record_linear(std::make_shared<IndexMap>(op, backward_name, std::move(idx), x.shape(), g.planes), x,
                               std::move(y), false);
}

Tensor avg_pool(const char* op, const char* backward_name, const Tensor& x, const PoolGeometry& g, const Shape& out_shape) {
  // d(window mean)/dx = 1/divisor over the window: the backward spreads g, its own backward averages again
  const auto map = std::make_shared<AvgPoolMap>(op, backward_name, g, x.shape(), out_shape);
  Tensor y = map->apply(detail::contiguous_values(x));
  autograd::trace_attributes(y, [&] { return pool_attributes(g); });
  return detail::record_linear(map, x, std::move(y), false);
}

/// A 1-D pooling's arguments as a 2-D one's over a unit first axis.
PoolArgs args_1d(std::int64_t k, std::optional<std::int64_t> s, std::int64_t p, std::int64_t d, bool ceil_mode,
                 bool count_include_pad) {
  return {Size2(1, k), Size2(1, s.value_or(k)), Size2(0, p), Size2(1, d), ceil_mode, count_include_pad};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode) {
  const PoolGeometry g = regular_geometry("max_pool2d", x, 2, {kernel_size, stride, padding, dilation, ceil_mode});
  return max_pool("max_pool2d", "max_pool2d_backward", x, g, pooled_shape(x, 2, g));
}

Tensor max_pool1d(const Tensor& x, std::int64_t kernel_size, std::optional<std::int64_t> stride, std::int64_t padding,
                  std::int64_t dilation, bool ceil_mode) {
  const PoolGeometry g =
      regular_geometry("max_pool1d", x, 1, args_1d(kernel_size, stride, padding, dilation, ceil_mode, true));
  return max_pool("max_pool1d", "max_pool1d_backward", x, g, pooled_shape(x, 1, g));
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride, Size2 padding, bool ceil_mode,
                  bool count_include_pad) {
  const PoolGeometry g =
      regular_geometry("avg_pool2d", x, 2, {kernel_size, stride, padding, 1, ceil_mode, count_include_pad});
  return avg_pool("avg_pool2d", "avg_pool2d_backward", x, g, pooled_shape(x, 2, g));
}

Tensor avg_pool1d(const Tensor& x, std::int64_t kernel_size, std::optional<std::int64_t> stride, std::int64_t padding,
                  bool ceil_mode, bool count_include_pad) {
  const PoolGeometry g =
      regular_geometry("avg_pool1d", x, 1, args_1d(kernel_size, stride, padding, 1, ceil_mode, count_include_pad));
  return avg_pool("avg_pool1d", "avg_pool1d_backward", x, g, pooled_shape(x, 1, g));
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  const PoolGeometry g = adaptive_geometry("adaptive_avg_pool2d", x, output_size);
  return avg_pool("adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", x, g, pooled_shape(x, 2, g));
}

Tensor adaptive_max_pool2d(const Tensor& x, Size2 output_size) {
  const PoolGeometry g = adaptive_geometry("adaptive_max_pool2d", x, output_size);
  return max_pool("adaptive_max_pool2d", "adaptive_max_pool2d_backward", x, g, pooled_shape(x, 2, g));
}

}  // namespace descent
