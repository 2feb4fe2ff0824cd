// conv1d, conv2d and conv_transpose2d: argument checks, then three recorded primitives over one
// geometry (kernels/conv.hpp), each bilinear and each differentiated by the other two:
//   y  = conv(x, W)              dy/dx: conv_input_grad(·, W)     dy/dW: conv_weight_grad(x, ·)
//   dx = conv_input_grad(g, W)   d/dg:  conv(·, W)                d/dW:  conv_weight_grad(·, g)
//   dW = conv_weight_grad(x, g)  d/dx:  conv_input_grad(g, ·)     d/dg:  conv(x, ·)
// (PyTorch's convolution / convolution_backward rules in derivatives.yaml), so every derivative
// order is exact. conv_transpose2d is conv_input_grad; conv1d is conv2d with height 1.
#include "descent/ops/conv.hpp"

#include <vector>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/conv.hpp"

namespace descent {

namespace {

using autograd::record;
using kernels::ConvGeometry;
using Grads = std::vector<Tensor>;

Shape input_shape(const ConvGeometry& g) { return {g.n, g.c, g.h, g.w}; }
Shape output_shape(const ConvGeometry& g) { return {g.n, g.o, g.oh, g.ow}; }
Shape weight_shape(const ConvGeometry& g) { return {g.o, g.c / g.groups, g.kh, g.kw}; }

template <class T> const T* data_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
template <class T> T* data_or_null(Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
bool wants(const Tensor& t) { return t.defined() && t.requires_grad(); }

Tensor conv_input_grad_op(const Tensor& dy, const Tensor& w, const ConvGeometry& g);
Tensor conv_weight_grad_op(const Tensor& x, const Tensor& dy, const ConvGeometry& g);

// y = conv(x, w) + b. dy/dx = conv_input_grad(grad, w), dy/dw = conv_weight_grad(x, grad), dy/db = Σ grad
// over (n, h, w): recorded ops under create_graph, else one fused pass (each image unrolled once).
Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g) {
  const Tensor cx = detail::contiguous_values(x), cw = detail::contiguous_values(w);
  const Tensor cb = b.defined() ? detail::contiguous_values(b) : Tensor();
  Tensor y = empty(output_shape(g), x.dtype());
  detail::dispatch_floating("conv2d", x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::conv_forward(cx.data<T>(), cw.data<T>(), data_or_null<T>(cb), y.data<T>(), g);
  });
  const bool want_dx = wants(x), want_dw = wants(w), want_db = wants(b);
  autograd::trace_attributes(y, [&] {
    using V = std::vector<std::size_t>;
    return autograd::TraceAttributes{{"strides", V{g.sh, g.sw}}, {"pads", V{g.ph, g.pw}}, {"dilations", V{g.dh, g.dw}},
                                     {"group", g.groups}};
  });
  return record("conv2d", y, {x, w, b}, [sx = SavedTensor(x), sw = SavedTensor(w), g, want_dx, want_dw,
                                         want_db](const Tensor& grad) {
    if (autograd::is_grad_enabled())
      return Grads{want_dx ? conv_input_grad_op(grad, sw.unpack(), g) : Tensor(),
                   want_dw ? conv_weight_grad_op(sx.unpack(), grad, g) : Tensor(),
                   want_db ? sum(grad, {0, 2, 3}) : Tensor()};
    const Tensor dy = detail::contiguous_values(grad);
    const Tensor cx = detail::contiguous_values(sx.unpack()), cw = detail::contiguous_values(sw.unpack());
    Tensor dx = want_dx ? empty(input_shape(g), cx.dtype()) : Tensor();
    Tensor dw = want_dw ? empty(weight_shape(g), cx.dtype()) : Tensor();
    detail::dispatch_floating("conv2d", cx.dtype(), [&](auto e) {
      using T = decltype(e);
      kernels::conv_backward(cx.data<T>(), cw.data<T>(), dy.data<T>(), data_or_null<T>(dx), data_or_null<T>(dw), g);
    });
    return Grads{dx, dw, want_db ? sum(dy, {0, 2, 3}) : Tensor()};
  });
}

// dx = conv_input_grad(dy, w), linear in each: d/ddy = conv(grad, w), d/dw = conv_weight_grad(grad, dy).
Tensor conv_input_grad_op(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  const Tensor cdy = detail::contiguous_values(dy), cw = detail::contiguous_values(w);
  Tensor dx = empty(input_shape(g), dy.dtype());
  detail::dispatch_floating("conv_transpose2d", dy.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::conv_backward<T>(nullptr, cw.data<T>(), cdy.data<T>(), dx.data<T>(), nullptr, g);
  });
  const bool want_dy = wants(dy), want_dw = wants(w);
  return record("conv_transpose2d", dx, {dy, w},
                [sdy = SavedTensor(dy), sw = SavedTensor(w), g, want_dy, want_dw](const Tensor& grad) {
                  return Grads{want_dy ? conv_op(grad, sw.unpack(), Tensor(), g) : Tensor(),
                               want_dw ? conv_weight_grad_op(grad, sdy.unpack(), g) : Tensor()};
                });
}

// dw = conv_weight_grad(x, dy), linear in each: d/dx = conv_input_grad(dy, grad), d/ddy = conv(x, grad).
Tensor conv_weight_grad_op(const Tensor& x, const Tensor& dy, const ConvGeometry& g) {
  const Tensor cx = detail::contiguous_values(x), cdy = detail::contiguous_values(dy);
  Tensor dw = empty(weight_shape(g), x.dtype());
  detail::dispatch_floating("conv2d_weight_grad", x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::conv_backward<T>(cx.data<T>(), nullptr, cdy.data<T>(), nullptr, dw.data<T>(), g);
  });
  const bool want_dx = wants(x), want_dy = wants(dy);
  return record("conv2d_weight_grad", dw, {x, dy},
                [sx = SavedTensor(x), sdy = SavedTensor(dy), g, want_dx, want_dy](const Tensor& grad) {
                  return Grads{want_dx ? conv_input_grad_op(sdy.unpack(), grad, g) : Tensor(),
                               want_dy ? conv_op(sx.unpack(), grad, Tensor(), g) : Tensor()};
                });
}

// --- argument checks ------------------------------------------------------------------------------

/// How the user wrote a convolution's shapes (for messages): 1-D ops show one spatial number.
struct Shown {
  const char* op;
  Shape x, weight;
  bool one_d;
  std::string pair(std::ptrdiff_t h, std::ptrdiff_t w) const {
    return one_d ? std::to_string(w) : detail::concat("(", h, ", ", w, ")");
  }
};

void check_positive_pair(const Shown& s, const char* name, Size2 v) {
  DESCENT_CHECK(v.h > 0 && v.w > 0, s.op, name, " must be positive, got ", s.pair(v.h, v.w));
}

void check_dtypes(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_floating(op, x);
  detail::check_same_dtype(op, x, weight);
  if (bias.defined()) detail::check_same_dtype(op, x, bias);
}

void check_bias(const Shown& s, const Tensor& bias, std::size_t channels) {
  DESCENT_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == channels), s.op, "bias must have shape (",
                channels, ",) for weight ", to_string(s.weight), ", got ", to_string(bias.shape()));
}

void check_kernel(const Shown& s, const Shape& weight) {
  DESCENT_CHECK(weight[2] > 0 && weight[3] > 0, s.op, "weight ", to_string(s.weight), " has an empty kernel");
}

/// The output extent of one axis, or an error when the dilated kernel does not fit the padded input.
std::size_t output_extent(const Shown& s, std::size_t in, std::size_t pad_total, std::size_t k, std::size_t stride,
                          std::size_t dilation) {
  const std::size_t span = dilation * (k - 1) + 1;
  DESCENT_CHECK(in + pad_total >= span, s.op, "the kernel (extent ", span, " with dilation) is larger than the padded input (",
                in + pad_total, ") of input ", to_string(s.x), " with weight ", to_string(s.weight));
  return (in + pad_total - span) / stride + 1;
}

/// The geometry of conv(x, weight) for a 4-D x and weight (1-D ops pass height 1).
ConvGeometry conv_geometry(const Shown& s, const Shape& x, const Shape& weight, Size2 stride, const ConvPadding& padding,
                           Size2 dilation, std::ptrdiff_t groups) {
  check_positive_pair(s, "stride", stride);
  check_positive_pair(s, "dilation", dilation);
  DESCENT_CHECK(groups > 0, s.op, "groups must be positive, got ", groups);
  const auto gr = static_cast<std::size_t>(groups);
  DESCENT_CHECK(weight[0] % gr == 0, s.op, "groups ", groups, " must divide the output channels of weight ",
                to_string(s.weight));
  DESCENT_CHECK(x[1] == weight[1] * gr, s.op, "expected input ", to_string(s.x), " to have ", weight[1] * gr,
                " channels (weight ", to_string(s.weight), ", groups ", groups, "), got ", x[1]);
  check_kernel(s, weight);
  ConvGeometry g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3], g.o = weight[0], g.kh = weight[2], g.kw = weight[3];
  g.sh = std::size_t(stride.h), g.sw = std::size_t(stride.w), g.dh = std::size_t(dilation.h);
  g.dw = std::size_t(dilation.w), g.groups = gr;
  std::size_t total_h, total_w;  // padding before + after
  if (padding.mode.empty()) {
    DESCENT_CHECK(padding.size.h >= 0 && padding.size.w >= 0, s.op, "padding must be non-negative, got ",
                  s.pair(padding.size.h, padding.size.w));
    g.ph = std::size_t(padding.size.h), g.pw = std::size_t(padding.size.w);
    total_h = 2 * g.ph, total_w = 2 * g.pw;
  } else if (padding.mode == "valid") {
    total_h = total_w = 0;
  } else {
    DESCENT_CHECK(padding.mode == "same", s.op, "padding must be a number, \"same\" or \"valid\", got \"",
                  padding.mode, "\"");
    DESCENT_CHECK(g.sh == 1 && g.sw == 1, s.op, "padding \"same\" needs stride 1, got ", s.pair(stride.h, stride.w));
    // PyTorch's rule: dilation·(k − 1) in all, half before, the odd one after.
    total_h = g.dh * (g.kh - 1), total_w = g.dw * (g.kw - 1);
    g.ph = total_h / 2, g.pw = total_w / 2;
  }
  g.oh = output_extent(s, g.h, total_h, g.kh, g.sh, g.dh);
  g.ow = output_extent(s, g.w, total_w, g.kw, g.sw, g.dw);
  return g;
}

/// An unbatched input (one fewer dimension) as a batch of one, and back.
Tensor batched(const Tensor& x, bool is_batched) { return is_batched ? x : unsqueeze(x, 0); }
Tensor unbatched(const Tensor& y, bool is_batched) { return is_batched ? y : squeeze(y, 0); }

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride, const ConvPadding& padding,
              Size2 dilation, std::ptrdiff_t groups) {
  const Shown s{"conv2d", x.shape(), weight.shape(), false};
  DESCENT_CHECK(x.dim() == 3 || x.dim() == 4, "conv2d", "expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
                to_string(x.shape()));
  DESCENT_CHECK(weight.dim() == 4, "conv2d", "expected a 4-D weight (out, in/groups, kh, kw), got shape ",
                to_string(weight.shape()));
  check_dtypes("conv2d", x, weight, bias);
  const bool is_batched = x.dim() == 4;
  const Tensor xb = batched(x, is_batched);
  const ConvGeometry g = conv_geometry(s, xb.shape(), weight.shape(), stride, padding, dilation, groups);
  check_bias(s, bias, g.o);
  return unbatched(conv_op(xb, weight, bias, g), is_batched);
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::ptrdiff_t stride,
              const ConvPadding& padding, std::ptrdiff_t dilation, std::ptrdiff_t groups) {
  const Shown s{"conv1d", x.shape(), weight.shape(), true};
  DESCENT_CHECK(x.dim() == 2 || x.dim() == 3, "conv1d", "expected a 2-D (C, L) or 3-D (N, C, L) input, got shape ",
                to_string(x.shape()));
  DESCENT_CHECK(weight.dim() == 3, "conv1d", "expected a 3-D weight (out, in/groups, k), got shape ",
                to_string(weight.shape()));
  DESCENT_CHECK(!padding.mode.empty() || padding.size.h == padding.size.w, "conv1d",
                "padding must be one number, got (", padding.size.h, ", ", padding.size.w, ")");
  check_dtypes("conv1d", x, weight, bias);
  const bool is_batched = x.dim() == 3;
  // Height 1: (N, C, L) -> (N, C, 1, L), weight (O, C/g, K) -> (O, C/g, 1, K).
  const Tensor xb = unsqueeze(batched(x, is_batched), 2), wb = unsqueeze(weight, 2);
  const ConvPadding pad2 = padding.mode.empty() ? ConvPadding(0, padding.size.w) : padding;
  const ConvGeometry g = conv_geometry(s, xb.shape(), wb.shape(), {1, stride}, pad2, {1, dilation}, groups);
  check_bias(s, bias, g.o);
  return unbatched(squeeze(conv_op(xb, wb, bias, g), 2), is_batched);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
                        Size2 output_padding, std::ptrdiff_t groups, Size2 dilation) {
  const Shown s{"conv_transpose2d", x.shape(), weight.shape(), false};
  DESCENT_CHECK(x.dim() == 3 || x.dim() == 4, s.op, "expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
                to_string(x.shape()));
  DESCENT_CHECK(weight.dim() == 4, s.op, "expected a 4-D weight (in, out/groups, kh, kw), got shape ",
                to_string(weight.shape()));
  check_dtypes(s.op, x, weight, bias);
  check_positive_pair(s, "stride", stride);
  check_positive_pair(s, "dilation", dilation);
  DESCENT_CHECK(groups > 0, s.op, "groups must be positive, got ", groups);
  DESCENT_CHECK(padding.h >= 0 && padding.w >= 0 && output_padding.h >= 0 && output_padding.w >= 0, s.op,
                "padding and output_padding must be non-negative, got ", s.pair(padding.h, padding.w), " and ",
                s.pair(output_padding.h, output_padding.w));
  DESCENT_CHECK((output_padding.h < stride.h || output_padding.h < dilation.h) &&
                    (output_padding.w < stride.w || output_padding.w < dilation.w),
                s.op, "output_padding ", s.pair(output_padding.h, output_padding.w),
                " must be smaller than either stride ", s.pair(stride.h, stride.w), " or dilation ",
                s.pair(dilation.h, dilation.w));
  const bool is_batched = x.dim() == 4;
  const Tensor xb = batched(x, is_batched);
  const auto gr = static_cast<std::size_t>(groups);
  const Shape& w = weight.shape();
  DESCENT_CHECK(w[0] % gr == 0, s.op, "groups ", groups, " must divide the input channels of weight ",
                to_string(w));
  DESCENT_CHECK(xb.size(1) == w[0], s.op, "expected input ", to_string(x.shape()), " to have ", w[0],
                " channels (weight ", to_string(w), "), got ", xb.size(1));
  // The convolution whose input gradient this is: its input is our output, its output our input.
  ConvGeometry g;
  g.n = xb.size(0), g.o = w[0], g.oh = xb.size(2), g.ow = xb.size(3), g.c = w[1] * gr, g.kh = w[2], g.kw = w[3];
  g.sh = std::size_t(stride.h), g.sw = std::size_t(stride.w), g.ph = std::size_t(padding.h);
  g.pw = std::size_t(padding.w), g.dh = std::size_t(dilation.h), g.dw = std::size_t(dilation.w), g.groups = gr;
  check_kernel(s, w);
  const auto extent = [&](std::size_t in, std::size_t st, std::size_t pad, std::size_t k, std::size_t d,
                          std::ptrdiff_t out_pad) {
    const auto out = in == 0 ? 0
                             : static_cast<std::ptrdiff_t>((in - 1) * st + d * (k - 1) + 1) + out_pad -
                                   2 * static_cast<std::ptrdiff_t>(pad);
    DESCENT_CHECK(out > 0, s.op, "input ", to_string(x.shape()), " with weight ", to_string(w),
                  ", padding ", s.pair(padding.h, padding.w), " gives an empty output (size ", out, ")");
    return static_cast<std::size_t>(out);
  };
  g.h = extent(g.oh, g.sh, g.ph, g.kh, g.dh, output_padding.h);
  g.w = extent(g.ow, g.sw, g.pw, g.kw, g.dw, output_padding.w);
  check_bias(s, bias, g.c);
  Tensor y = conv_input_grad_op(xb, weight, g);
  if (bias.defined()) y = y + reshape(bias, {1, -1, 1, 1});
  return unbatched(y, is_batched);
}

}  // namespace descent
