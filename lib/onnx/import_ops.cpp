// The op implementations of the import (import_graph.hpp): each ONNX op type written with descent's
// differentiable ops, so that gradients flow through an imported graph to its initializers. The
// semantics are those of opsets 13 to 17; what descent has no op for (a strided Slice, asymmetric
// pooling pads, auto_pad SAME) is an error naming the node.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <unordered_map>

#include "descent/error.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/conv.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/norm.hpp"
#include "descent/ops/pool.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/resample.hpp"
#include "descent/ops/shape.hpp"
#include "import_graph.hpp"

namespace descent::onnx::detail {

namespace {

constexpr const char* kOp = "onnx::import";
using Ints = std::vector<std::int64_t>;
using Outputs = std::vector<Tensor>;

std::ptrdiff_t axis_in(std::int64_t axis, std::size_t rank, const char* what) {
  const auto r = std::int64_t(rank);
  DESCENT_CHECK(axis >= -r && axis < r, kOp, what, " ", axis, " is out of range for rank ", rank);
  return std::ptrdiff_t(axis < 0 ? axis + r : axis);
}

Axes axes_in(const Ints& axes, std::size_t rank) {
  Axes out;
  for (auto a : axes) out.push_back(axis_in(a, rank, "axis"));
  return out;
}

Outputs one(Tensor t) { return {std::move(t)}; }

/// Variadic Max/Min: folded pairwise.
template <Tensor (*F)(const Tensor&, const Tensor&)> Outputs fold(const NodeArgs& a) {
  Tensor r = a.input(0);
  for (std::size_t i = 1; i < a.inputs.size(); ++i) r = F(r, a.input(i));
  return one(r);
}

template <Tensor (*F)(const Tensor&, const Tensor&)> Outputs binary(const NodeArgs& a) {
  return one(F(a.input(0), a.input(1)));
}

template <Tensor (*F)(const Tensor&)> Outputs unary(const NodeArgs& a) { return one(F(a.input(0))); }

Outputs identity(const NodeArgs& a) { return one(a.input(0)); }

/// x^y; a constant scalar exponent as pow(x, double): no gradient to it, and negative bases work.
Outputs pow_op(const NodeArgs& a) {
  const Tensor &x = a.input(0), &y = a.input(1);
  if (y.numel() == 1 && !y.requires_grad() && y.dim() <= x.dim()) {
    return one(pow(x, y.to(Dtype::float64).item<double>()));
  }
  return one(pow(x, y));
}

/// alpha·A'·B' + beta·C (A' = Aᵀ with transA, B' = Bᵀ with transB); linear's fused kernel for the
/// common x·Wᵀ + b.
Outputs gemm(const NodeArgs& a) {
  const double alpha = a.get_float("alpha", 1.0), beta = a.get_float("beta", 1.0);
  const bool ta = a.get_int("transA", 0) != 0, tb = a.get_int("transB", 0) != 0;
  const Tensor &A = a.input(0), &B = a.input(1);
  DESCENT_CHECK(A.dim() == 2 && B.dim() == 2, kOp, "Gemm expects matrices, got ", to_string(A.shape()), " and ",
                to_string(B.shape()));
  if (tb && !ta && alpha == 1.0 && beta == 1.0 && (!a.has_input(2) || a.input(2).dim() == 1))
    return one(linear(A, B, a.has_input(2) ? a.input(2) : Tensor()));
  Tensor y = matmul(ta ? transpose(A) : A, tb ? transpose(B) : B);
  if (alpha != 1.0) y = y * alpha;
  if (a.has_input(2)) y = y + (beta == 1.0 ? a.input(2) : a.input(2) * beta);
  return one(y);
}

Outputs leaky_relu_op(const NodeArgs& a) { return one(leaky_relu(a.input(0), a.get_float("alpha", 0.01))); }
Outputs softplus_op(const NodeArgs& a) { return one(softplus(a.input(0))); }

Outputs clip(const NodeArgs& a) {
  Tensor x = a.input(0);
  if (a.has_input(1)) x = clamp_min(x, a.input(1).to(Dtype::float64).item<double>());
  if (a.has_input(2)) x = clamp_max(x, a.input(2).to(Dtype::float64).item<double>());
  return one(x);
}

template <bool Log> Outputs softmax_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const auto axis = axis_in(a.get_int("axis", -1), x.dim(), "axis");
  return one(Log ? log_softmax(x, axis) : softmax(x, axis));
}

/// A reduction with its axes as an attribute (ReduceMean, ReduceMax, ...) or as input 1
/// (ReduceSum); no axes: all of them, unless noop_with_empty_axes.
template <Tensor (*Axes_)(const Tensor&, const Axes&, bool), Tensor (*All)(const Tensor&, AllAxes, bool)>
Outputs reduce(const NodeArgs& a, bool axes_input) {
  const Tensor& x = a.input(0);
  const bool keepdims = a.get_int("keepdims", 1) != 0;
  const Ints axes = axes_input ? (a.has_input(1) ? a.ints_of(1) : Ints{}) : a.get_ints("axes", {});
  if (axes.empty()) {
    if (a.get_int("noop_with_empty_axes", 0) != 0 || x.dim() == 0) return one(x);
    return one(keepdims ? All(x, all_axes, true) : All(x, all_axes, false));
  }
  return one(Axes_(x, axes_in(axes, x.dim()), keepdims));
}

Tensor sum_axes(const Tensor& x, const Axes& axes, bool k) { return sum(x, axes, k); }
Tensor sum_all(const Tensor& x, AllAxes, bool k) { return sum(x, all_axes, k); }
Tensor mean_axes(const Tensor& x, const Axes& axes, bool k) { return mean(x, axes, k); }
Tensor mean_all(const Tensor& x, AllAxes, bool k) { return mean(x, all_axes, k); }
Tensor max_axes(const Tensor& x, const Axes& axes, bool k) { return max(x, axes, k); }
Tensor max_all(const Tensor& x, AllAxes, bool k) { return max(x, all_axes, k); }
Tensor min_axes(const Tensor& x, const Axes& axes, bool k) { return min(x, axes, k); }
Tensor min_all(const Tensor& x, AllAxes, bool k) { return min(x, all_axes, k); }
Tensor lse_axes(const Tensor& x, const Axes& axes, bool k) { return logsumexp(x, axes, k); }
Tensor lse_all(const Tensor& x, AllAxes, bool k) {
  Axes every(x.dim());
  std::iota(every.begin(), every.end(), 0);
  return logsumexp(x, every, k);
}

/// The target shape: 0 copies the input's dimension (unless allowzero), -1 is inferred.
Outputs reshape_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const Ints shape = a.ints_of(1);
  const bool allow_zero = a.get_int("allowzero", 0) != 0;
  std::vector<std::ptrdiff_t> target;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allow_zero) {
      DESCENT_CHECK(i < x.dim(), kOp, "Reshape copies dimension ", i, " of an input of shape ", to_string(x.shape()));
      target.push_back(std::ptrdiff_t(x.size(std::ptrdiff_t(i))));
    } else {
      DESCENT_CHECK(shape[i] >= -1, kOp, "Reshape to a dimension of ", shape[i]);
      target.push_back(std::ptrdiff_t(shape[i]));
    }
  }
  return one(reshape(x, target));
}

Outputs transpose_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  Ints perm = a.get_ints("perm", {});
  if (perm.empty())
    for (std::size_t i = 0; i < x.dim(); ++i) perm.insert(perm.begin(), std::int64_t(i));
  DESCENT_CHECK(perm.size() == x.dim(), kOp, "Transpose's perm has ", perm.size(), " axes for a tensor of shape ",
                to_string(x.shape()));
  return one(permute(x, axes_in(perm, x.dim())));
}

Outputs concat_op(const NodeArgs& a) {
  std::vector<Tensor> parts;
  for (std::size_t i = 0; i < a.inputs.size(); ++i) parts.push_back(a.input(i));
  DESCENT_CHECK(!parts.empty(), kOp, "Concat of no inputs");
  return one(concat(parts, axis_in(a.get_int("axis", 0), parts[0].dim(), "axis")));
}

/// x's entries at the indices along an axis: index_select on the flattened indices, reshaped to
/// x.shape[:axis] + indices.shape + x.shape[axis+1:].
Outputs gather_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  DESCENT_CHECK(x.dim() > 0, kOp, "Gather from a 0-d tensor");
  const auto axis = axis_in(a.get_int("axis", 0), x.dim(), "axis");
  const Tensor& indices = a.input(1);
  Ints idx = a.ints_of(1);
  const auto n = std::int64_t(x.size(axis));
  for (auto& i : idx) {
    DESCENT_CHECK(i >= -n && i < n, kOp, "Gather index ", i, " is out of range for an axis of ", n);
    if (i < 0) i += n;
  }
  Tensor flat = index_select(x, axis, from_buffer<std::int64_t>(idx.data(), Shape{idx.size()}));
  std::vector<std::ptrdiff_t> shape;
  for (std::ptrdiff_t d = 0; d < axis; ++d) shape.push_back(std::ptrdiff_t(x.size(d)));
  for (auto d : indices.shape()) shape.push_back(std::ptrdiff_t(d));
  for (std::size_t d = std::size_t(axis) + 1; d < x.dim(); ++d) shape.push_back(std::ptrdiff_t(x.size(std::ptrdiff_t(d))));
  return one(reshape(flat, shape));
}

/// Slices with step 1 (narrow); starts and ends clamped as ONNX says.
Outputs slice_op(const NodeArgs& a) {
  Tensor x = a.input(0);
  const Ints starts = a.ints_of(1), ends = a.ints_of(2);
  Ints axes = a.has_input(3) ? a.ints_of(3) : Ints{};
  const Ints steps = a.has_input(4) ? a.ints_of(4) : Ints(starts.size(), 1);
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(std::int64_t(i));
  DESCENT_CHECK(ends.size() == starts.size() && axes.size() == starts.size() && steps.size() == starts.size(), kOp,
                "Slice's starts, ends, axes and steps differ in length");
  for (std::size_t i = 0; i < starts.size(); ++i) {
    DESCENT_CHECK(steps[i] == 1, kOp, "Slice with step ", steps[i], " is not supported (step 1 only)");
    const auto axis = axis_in(axes[i], x.dim(), "axis");
    const auto n = std::int64_t(x.size(axis));
    auto clamp_to = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    const std::int64_t s = clamp_to(starts[i]), e = clamp_to(ends[i]);
    x = narrow(x, axis, std::ptrdiff_t(s), std::size_t(std::max<std::int64_t>(e - s, 0)));
  }
  return one(x);
}

Outputs unsqueeze_op(const NodeArgs& a) {
  Tensor x = a.input(0);
  const Ints axes = a.ints_of(1);
  const std::size_t rank = x.dim() + axes.size();
  Axes sorted = axes_in(axes, rank);
  std::sort(sorted.begin(), sorted.end());
  for (auto axis : sorted) x = unsqueeze(x, axis);
  return one(x);
}

Outputs squeeze_op(const NodeArgs& a) {
  Tensor x = a.input(0);
  if (!a.has_input(1)) return one(squeeze(x));
  Axes axes = axes_in(a.ints_of(1), x.dim());
  std::sort(axes.rbegin(), axes.rend());
  for (auto axis : axes) {
    DESCENT_CHECK(x.size(axis) == 1, kOp, "Squeeze of axis ", axis, " of shape ", to_string(x.shape()));
    x = squeeze(x, axis);
  }
  return one(x);
}

/// (d0·…·d(axis-1), d(axis)·…·d(n-1)).
Outputs flatten_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const auto r = std::int64_t(x.dim());
  std::int64_t axis = a.get_int("axis", 1);
  DESCENT_CHECK(axis >= -r && axis <= r, kOp, "Flatten axis ", axis, " is out of range for rank ", r);
  if (axis < 0) axis += r;
  std::ptrdiff_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= std::ptrdiff_t(x.size(std::ptrdiff_t(d)));
  return one(reshape(x, {outer, inner}));
}

Outputs shape_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const auto r = std::int64_t(x.dim());
  auto bound = [r](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
  const std::int64_t start = bound(a.get_int("start", 0)), end = bound(a.get_int("end", r));
  Ints dims;
  for (std::int64_t d = start; d < end; ++d) dims.push_back(std::int64_t(x.size(std::ptrdiff_t(d))));
  return one(from_buffer<std::int64_t>(dims.data(), Shape{dims.size()}));
}

/// Broadcasts x and the shape against each other (numpy rules both ways, as ONNX's Expand).
Outputs expand_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const Ints shape = a.ints_of(1);
  const std::size_t rank = std::max(x.dim(), shape.size());
  Shape target(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t xs = i + x.dim() >= rank ? std::int64_t(x.size(std::ptrdiff_t(i + x.dim() - rank))) : 1;
    const std::int64_t s = i + shape.size() >= rank ? shape[i + shape.size() - rank] : 1;
    DESCENT_CHECK(s >= 0 && (xs == s || xs == 1 || s == 1), kOp, "Expand of shape ", to_string(x.shape()),
                  " to a dimension of ", s);
    target[i] = std::size_t(std::max(xs, s));
  }
  return one(broadcast_to(x, target));
}

Outputs constant_op(const NodeArgs& a) {
  if (const auto* v = a.attribute("value")) return one(tensor_from_proto(v->t(), a.where()));
  if (const auto* v = a.attribute("value_float")) return one(full({}, v->f(), Dtype::float32));
  if (const auto* v = a.attribute("value_int")) return one(full({}, double(v->i()), Dtype::int64));
  if (const auto* v = a.attribute("value_floats")) {
    std::vector<float> f(v->floats().begin(), v->floats().end());
    return one(from_buffer<float>(f.data(), Shape{f.size()}));
  }
  if (const auto* v = a.attribute("value_ints")) {
    Ints i(v->ints().begin(), v->ints().end());
    return one(from_buffer<std::int64_t>(i.data(), Shape{i.size()}));
  }
  throw Error(descent::detail::concat(kOp, ": Constant without a value, value_float(s) or value_int(s) attribute"));
}

/// A tensor of the shape input 0 holds, filled with the one value of the `value` attribute (float 0
/// by default): PyTorch's exporter makes an RNN's zero initial state so, for a dynamic batch.
Outputs constant_of_shape_op(const NodeArgs& a) {
  Shape shape;
  for (auto n : a.ints_of(0)) {
    DESCENT_CHECK(n >= 0, kOp, "ConstantOfShape with a negative dimension ", n);
    shape.push_back(std::size_t(n));
  }
  if (const auto* v = a.attribute("value")) {
    const Tensor value = tensor_from_proto(v->t(), a.where());
    DESCENT_CHECK(value.numel() == 1, kOp, "ConstantOfShape's value must have one element, got shape ",
                  to_string(value.shape()));
    return one(full(shape, value.to(Dtype::float64).item<double>(), value.dtype()));
  }
  return one(zeros(shape, Dtype::float32));
}

/// The spatial attributes of Conv, ConvTranspose and the pools, for 1 or 2 spatial axes.
struct Window {
  Ints kernel, strides, pads, dilations;
};

Window window(const NodeArgs& a, std::size_t spatial, const Ints& kernel) {
  DESCENT_CHECK(spatial == 1 || spatial == 2, kOp, "only 1-D and 2-D windows (3-D or 4-D inputs) are supported");
  Window w{kernel, a.get_ints("strides", Ints(spatial, 1)), a.get_ints("pads", Ints(2 * spatial, 0)),
           a.get_ints("dilations", Ints(spatial, 1))};
  const std::string auto_pad = a.get_string("auto_pad", "NOTSET");
  DESCENT_CHECK(auto_pad == "NOTSET" || auto_pad == "VALID", kOp, "auto_pad ", auto_pad,
                " is not supported (explicit pads only)");
  if (auto_pad == "VALID") w.pads.assign(2 * spatial, 0);
  DESCENT_CHECK(w.kernel.size() == spatial && w.strides.size() == spatial && w.pads.size() == 2 * spatial &&
                    w.dilations.size() == spatial,
                kOp, "kernel_shape, strides, pads or dilations do not match ", spatial, " spatial axes");
  for (std::size_t i = 0; i < spatial; ++i)
    DESCENT_CHECK(w.kernel[i] > 0 && w.strides[i] > 0 && w.dilations[i] > 0 && w.pads[i] >= 0 && w.pads[i + spatial] >= 0,
                  kOp, "kernel_shape, strides and dilations must be positive and pads not negative");
  return w;
}

bool symmetric(const Window& w) {
  const std::size_t n = w.kernel.size();
  for (std::size_t i = 0; i < n; ++i)
    if (w.pads[i] != w.pads[i + n]) return false;
  return true;
}

Size2 size2(const Ints& v) { return v.size() == 1 ? Size2(1, v[0]) : Size2(v[0], v[1]); }

/// A 1-D op as a 2-D one on (N, C, 1, L).
Tensor as_2d(const Tensor& x) { return unsqueeze(x, 2); }

Outputs conv(const NodeArgs& a) {
  Tensor x = a.input(0), w = a.input(1);
  DESCENT_CHECK(x.dim() == w.dim() && (x.dim() == 3 || x.dim() == 4), kOp, "Conv of input ", to_string(x.shape()),
                " with weight ", to_string(w.shape()), " (1-D and 2-D only)");
  const std::size_t spatial = x.dim() - 2;
  Ints kernel;
  for (std::size_t i = 0; i < spatial; ++i) kernel.push_back(std::int64_t(w.size(std::ptrdiff_t(2 + i))));
  Window win = window(a, spatial, a.get_ints("kernel_shape", kernel));
  DESCENT_CHECK(win.kernel == kernel, kOp, "kernel_shape differs from the weight's ", to_string(w.shape()));
  if (!symmetric(win)) {  // pad first: descent's conv pads both sides alike
    std::vector<std::ptrdiff_t> p;
    for (std::size_t i = spatial; i-- > 0;) {
      p.push_back(std::ptrdiff_t(win.pads[i]));
      p.push_back(std::ptrdiff_t(win.pads[i + spatial]));
    }
    x = pad(x, p);
    win.pads.assign(2 * spatial, 0);
  }
  if (spatial == 1) {
    x = as_2d(x);
    w = unsqueeze(w, 2);
  }
  const Size2 pads = spatial == 1 ? Size2(0, win.pads[0]) : Size2(win.pads[0], win.pads[1]);
  Tensor y = conv2d(x, w, a.has_input(2) ? a.input(2) : Tensor(), size2(win.strides),
                    ConvPadding(std::ptrdiff_t(pads.h), std::ptrdiff_t(pads.w)), size2(win.dilations),
                    std::ptrdiff_t(a.get_int("group", 1)));
  return one(spatial == 1 ? squeeze(y, 2) : y);
}

Outputs conv_transpose(const NodeArgs& a) {
  const Tensor &x = a.input(0), &w = a.input(1);
  DESCENT_CHECK(x.dim() == 4 && w.dim() == 4, kOp, "ConvTranspose of input ", to_string(x.shape()), " with weight ",
                to_string(w.shape()), " (2-D only)");
  DESCENT_CHECK(!a.attribute("output_shape"), kOp, "ConvTranspose's output_shape is not supported (give pads)");
  const Window win = window(a, 2, a.get_ints("kernel_shape", {std::int64_t(w.size(2)), std::int64_t(w.size(3))}));
  DESCENT_CHECK(symmetric(win), kOp, "ConvTranspose with asymmetric pads is not supported");
  const Ints output_padding = a.get_ints("output_padding", {0, 0});
  DESCENT_CHECK(output_padding.size() == 2, kOp, "output_padding must have 2 values");
  return one(conv_transpose2d(x, w, a.has_input(2) ? a.input(2) : Tensor(), size2(win.strides),
                              Size2(win.pads[0], win.pads[1]), size2(output_padding),
                              std::ptrdiff_t(a.get_int("group", 1)), size2(win.dilations)));
}

template <bool Max> Outputs pool(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  DESCENT_CHECK(x.dim() == 3 || x.dim() == 4, kOp, "pooling of shape ", to_string(x.shape()), " (1-D and 2-D only)");
  const std::size_t spatial = x.dim() - 2;
  DESCENT_CHECK(a.attribute("kernel_shape"), kOp, "kernel_shape is required");
  const Window win = window(a, spatial, a.get_ints("kernel_shape", {}));
  DESCENT_CHECK(symmetric(win), kOp, "pooling with asymmetric pads is not supported");
  DESCENT_CHECK(a.get_int("storage_order", 0) == 0, kOp, "storage_order 1 is not supported");
  DESCENT_CHECK(Max || win.dilations == Ints(spatial, 1), kOp, "AveragePool with dilations is not supported");
  const bool ceil_mode = a.get_int("ceil_mode", 0) != 0;
  const Tensor x2 = spatial == 1 ? as_2d(x) : x;
  const Size2 pads = spatial == 1 ? Size2(0, win.pads[0]) : Size2(win.pads[0], win.pads[1]);
  Tensor y = Max ? max_pool2d(x2, size2(win.kernel), size2(win.strides), pads, size2(win.dilations), ceil_mode)
                 : avg_pool2d(x2, size2(win.kernel), size2(win.strides), pads, ceil_mode,
                              a.get_int("count_include_pad", 0) != 0);
  return one(spatial == 1 ? squeeze(y, 2) : y);
}

template <bool Max> Outputs global_pool(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  DESCENT_CHECK(x.dim() >= 3, kOp, "global pooling of shape ", to_string(x.shape()));
  Axes spatial;
  for (std::size_t d = 2; d < x.dim(); ++d) spatial.push_back(std::ptrdiff_t(d));
  return one(Max ? max(x, spatial, true) : mean(x, spatial, true));
}

/// With the running statistics (inference form; training_mode = 1 is refused).
Outputs batch_norm_op(const NodeArgs& a) {
  DESCENT_CHECK(a.get_int("training_mode", 0) == 0, kOp, "BatchNormalization in training mode is not supported");
  return one(batch_norm(a.input(0), a.input(3), a.input(4), a.input(1), a.input(2), false, 0.1,
                        a.get_float("epsilon", 1e-5)));
}

Outputs layer_norm_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const auto axis = axis_in(a.get_int("axis", -1), x.dim(), "axis");
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  return one(layer_norm(x, normalized, a.input(1), a.has_input(2) ? a.input(2) : Tensor(), a.get_float("epsilon", 1e-5)));
}

/// Split into node.output_size() parts along an axis: the sizes of input 1 (opset 13), or equal parts.
Outputs split_op(const NodeArgs& a) {
  const Tensor& x = a.input(0);
  const auto axis = axis_in(a.get_int("axis", 0), x.dim(), "axis");
  const auto parts = static_cast<std::size_t>(a.node.output_size());
  Ints sizes = a.has_input(1) ? a.ints_of(1) : a.get_ints("split", {});
  if (sizes.empty()) {
    DESCENT_CHECK(parts > 0 && x.size(axis) % parts == 0, kOp, "Split of length ", x.size(axis), " into ", parts,
                  " equal parts");
    sizes.assign(parts, std::int64_t(x.size(axis) / parts));
  }
  DESCENT_CHECK(sizes.size() == parts, kOp, "Split gives ", sizes.size(), " sizes for ", parts, " outputs");
  Outputs out;
  std::int64_t start = 0;
  for (auto n : sizes) {
    DESCENT_CHECK(n >= 0 && start + n <= std::int64_t(x.size(axis)), kOp, "Split sizes exceed the axis' length ",
                  x.size(axis));
    out.push_back(narrow(x, axis, start, n));
    start += n;
  }
  DESCENT_CHECK(start == std::int64_t(x.size(axis)), kOp, "Split sizes sum to ", start, ", not the axis' length ",
                x.size(axis));
  return out;
}

Outputs where_op(const NodeArgs& a) {
  DESCENT_CHECK(a.input(0).dtype() == Dtype::boolean, kOp, "Where's condition must be bool, got ",
                to_string(a.input(0).dtype()));
  return one(where(a.input(0), a.input(1), a.input(2)));
}

struct OpEntry {
  OpImpl impl;
  std::size_t outputs = 1;  ///< how many of its outputs descent computes
};

const std::unordered_map<std::string, OpEntry>& table() {
  static const std::unordered_map<std::string, OpEntry> ops = {
      {"Add", {binary<add>}},
      {"Sub", {binary<sub>}},
      {"Mul", {binary<mul>}},
      {"Div", {binary<div>}},
      {"Pow", {pow_op}},
      {"Max", {fold<maximum>}},
      {"Min", {fold<minimum>}},
      {"MatMul", {binary<matmul>}},
      {"Gemm", {gemm}},
      {"Neg", {unary<neg>}},
      {"Exp", {unary<exp>}},
      {"Log", {unary<log>}},
      {"Sqrt", {unary<sqrt>}},
      {"Abs", {unary<abs>}},
      {"Erf", {unary<erf>}},
      {"Relu", {unary<relu>}},
      {"Sigmoid", {unary<sigmoid>}},
      {"Tanh", {unary<tanh>}},
      {"LeakyRelu", {leaky_relu_op}},
      {"Softplus", {softplus_op}},
      {"Clip", {clip}},
      {"Softmax", {softmax_op<false>}},
      {"LogSoftmax", {softmax_op<true>}},
      {"ReduceSum", {[](const NodeArgs& a) { return reduce<sum_axes, sum_all>(a, true); }}},
      {"ReduceMean", {[](const NodeArgs& a) { return reduce<mean_axes, mean_all>(a, false); }}},
      {"ReduceMax", {[](const NodeArgs& a) { return reduce<max_axes, max_all>(a, false); }}},
      {"ReduceMin", {[](const NodeArgs& a) { return reduce<min_axes, min_all>(a, false); }}},
      {"ReduceLogSumExp", {[](const NodeArgs& a) { return reduce<lse_axes, lse_all>(a, false); }}},
      {"Reshape", {reshape_op}},
      {"Transpose", {transpose_op}},
      {"Concat", {concat_op}},
      {"Gather", {gather_op}},
      {"Slice", {slice_op}},
      {"Unsqueeze", {unsqueeze_op}},
      {"Squeeze", {squeeze_op}},
      {"Flatten", {flatten_op}},
      {"Expand", {expand_op}},
      {"Shape", {shape_op}},
      {"Constant", {constant_op}},
      {"Identity", {identity}},
      {"Dropout", {identity}},  // inference: the input itself; its mask is not computed
      {"Conv", {conv}},
      {"ConvTranspose", {conv_transpose}},
      {"MaxPool", {pool<true>}},
      {"AveragePool", {pool<false>}},
      {"GlobalAveragePool", {global_pool<false>}},
      {"GlobalMaxPool", {global_pool<true>}},
      {"BatchNormalization", {batch_norm_op}},
      {"LayerNormalization", {layer_norm_op}},
      {"Split", {split_op, std::size_t(1) << 20}},
      {"Where", {where_op}},
      {"ConstantOfShape", {constant_of_shape_op}},
      {"LSTM", {import_recurrent<RecurrentMode::lstm>, 3}},
      {"GRU", {import_recurrent<RecurrentMode::gru>, 2}},
      {"RNN", {import_recurrent<RecurrentMode::rnn_tanh>, 2}},
  };
  return ops;
}

}  // namespace

OpImpl find_op(const std::string& op_type) {
  const auto it = table().find(op_type);
  return it == table().end() ? nullptr : it->second.impl;
}

std::size_t supported_outputs(const std::string& op_type) {
  const auto it = table().find(op_type);
  return it == table().end() ? 0 : it->second.outputs;
}

}  // namespace descent::onnx::detail
