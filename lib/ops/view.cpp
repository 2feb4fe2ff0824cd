// Views: operations that share the input's buffer, differing only in shape, strides and first
// element. Each backward maps the gradient back to the input's layout.
#include <algorithm>
#include <optional>

#include "descent/autograd/function.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "detail/shape.hpp"
#include "kernels/copy.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// Strides that let `shape` address the elements of a tensor of shape `from` with strides
/// `strides` in row-major order, or nothing when a copy is needed (PyTorch's rule for view()).
std::optional<Strides> view_strides(const Shape& from, const Strides& strides, const Shape& shape) {
  if (numel(from) == 0 || from.empty()) return contiguous_strides(shape);
  Strides out(shape.size());
  auto view_axis = static_cast<std::ptrdiff_t>(shape.size()) - 1;
  std::ptrdiff_t chunk_stride = strides.back();
  std::size_t chunk = 1, view_chunk = 1;
  // Walk the axes from the last one in chunks whose elements are evenly spaced, and give each
  // chunk to the new axes that multiply to the same size.
  for (auto axis = static_cast<std::ptrdiff_t>(from.size()) - 1; axis >= 0; --axis) {
    const auto i = static_cast<std::size_t>(axis);
    chunk *= from[i];
    if (i > 0 && (from[i - 1] == 1 || strides[i - 1] == static_cast<std::ptrdiff_t>(chunk) * chunk_stride)) continue;
    while (view_axis >= 0 && (view_chunk < chunk || shape[static_cast<std::size_t>(view_axis)] == 1)) {
      out[static_cast<std::size_t>(view_axis)] = static_cast<std::ptrdiff_t>(view_chunk) * chunk_stride;
      view_chunk *= shape[static_cast<std::size_t>(view_axis--)];
    }
    if (view_chunk != chunk) return std::nullopt;
    if (i > 0) {
      chunk_stride = strides[i - 1];
      chunk = view_chunk = 1;
    }
  }
  if (view_axis != -1) return std::nullopt;
  return out;
}

/// Elements [start, start + length) of x along `axis`, sharing x's buffer. Not recorded.
Tensor narrow_view(const Tensor& x, std::size_t axis, std::size_t start, std::size_t length) {
  Shape shape = x.shape();
  shape[axis] = length;
  const auto offset = static_cast<std::ptrdiff_t>(start) * x.strides()[axis];
  char* data = static_cast<char*>(x.impl().data) + offset * static_cast<std::ptrdiff_t>(element_size(x.dtype()));
  return detail::make_view(x, data, shape, x.strides());
}

/// The gradient of narrow: g inside the slice of a zero tensor of the input's shape. Linear in g;
/// recorded under create_graph with narrow as its own backward.
Tensor narrow_backward(const Tensor& g, const Shape& shape, std::size_t axis, std::size_t start, std::size_t length) {
  Tensor gx = zeros(shape, g.dtype());
  kernels::copy(narrow_view(gx, axis, start, length), g);
  return record("narrow_backward", gx, {g}, [axis, start, length](const Tensor& gg) {
    return Grads{narrow(gg, static_cast<std::ptrdiff_t>(axis), static_cast<std::ptrdiff_t>(start), length)};
  });
}

/// d(narrow x)/dx = the gradient inside the slice, zero outside: a whole zero tensor, or added into
/// the slice of the input's gradient summed so far (the other pieces of a split, say).
class NarrowNode final : public autograd::Node {
 public:
  NarrowNode(Shape shape, std::size_t axis, std::size_t start, std::size_t length)
      : Node("narrow"), shape_(std::move(shape)), axis_(axis), start_(start), length_(length) {}
  Grads apply(const Tensor& g) override { return Grads{narrow_backward(g, shape_, axis_, start_, length_)}; }
  bool add_gradient_into(const Tensor& g, Tensor& sum) override {
    const Tensor part = narrow_view(sum, axis_, start_, length_);
    kernels::copy(part, part + g);
    return true;
  }
  void release_saved() override {}

 private:
  Shape shape_;
  std::size_t axis_, start_, length_;
};

}  // namespace

Tensor reshape(const Tensor& x, const std::vector<std::ptrdiff_t>& shape) {
  Shape target(shape.size());
  std::ptrdiff_t inferred = -1;
  std::size_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      DESCENT_CHECK(inferred < 0, "reshape", "only one dimension can be -1, cannot reshape ", to_string(x.shape()),
                    " into ", to_string(shape));
      inferred = static_cast<std::ptrdiff_t>(i);
      continue;
    }
    DESCENT_CHECK(shape[i] >= 0, "reshape", "invalid dimension ", shape[i], " in ", to_string(shape), " for ",
                  to_string(x.shape()), " (dimensions are >= 0, or -1 for the one to infer)");
    target[i] = static_cast<std::size_t>(shape[i]);
    known *= target[i];
  }
  if (inferred >= 0) {
    DESCENT_CHECK(known != 0, "reshape", "cannot reshape ", to_string(x.shape()), " into ", to_string(shape),
                  ": the -1 is ambiguous when the other dimensions hold 0 elements");
    DESCENT_CHECK(x.numel() % known == 0, "reshape", "cannot reshape ", to_string(x.shape()), " (", x.numel(),
                  " elements) into ", to_string(shape), ": the other dimensions hold ", known,
                  " elements, which do not divide ", x.numel());
    target[static_cast<std::size_t>(inferred)] = x.numel() / known;
  }
  DESCENT_CHECK(numel(target) == x.numel(), "reshape", "cannot reshape ", to_string(x.shape()), " (", x.numel(),
                " elements) into ", to_string(target), " (", numel(target), " elements)");
  // A view whenever the strides allow one (always for contiguous x), otherwise a view of a copy.
  Tensor out;
  if (auto strides = view_strides(x.shape(), x.strides(), target)) {
    out = detail::make_view(x, x.impl().data, target, *strides);
  } else {
    const Tensor cx = detail::contiguous_values(x);
    out = detail::make_view(cx, cx.impl().data, target, contiguous_strides(target));
  }
  // d(reshape x)/dx = the gradient reshaped back
  return record("reshape", out, {x}, [shape = detail::signed_shape(x.shape())](const Tensor& g) {
    return Grads{reshape(g, shape)};
  });
}

Tensor flatten(const Tensor& x, std::ptrdiff_t start, std::ptrdiff_t end) {
  if (x.dim() == 0) return reshape(x, {1});
  const auto first = normalize_axis("flatten", start, x.dim(), x.shape());
  const auto last = normalize_axis("flatten", end, x.dim(), x.shape());
  DESCENT_CHECK(first <= last, "flatten", "start axis ", start, " comes after end axis ", end, " in shape ",
                to_string(x.shape()));
  std::vector<std::ptrdiff_t> shape;
  for (std::size_t i = 0; i < x.dim(); ++i) {
    if (i <= first || i > last) shape.push_back(static_cast<std::ptrdiff_t>(x.shape()[i]));
    else shape.back() *= static_cast<std::ptrdiff_t>(x.shape()[i]);
  }
  return reshape(x, shape);
}

// squeeze and unsqueeze only drop or add axes of length 1: reshape makes them views of any x.
Tensor squeeze(const Tensor& x) {
  std::vector<std::ptrdiff_t> shape;
  for (auto n : x.shape())
    if (n != 1) shape.push_back(static_cast<std::ptrdiff_t>(n));
  return shape.size() == x.dim() ? x : reshape(x, shape);
}

Tensor squeeze(const Tensor& x, std::ptrdiff_t axis) {
  const auto a = normalize_axis("squeeze", axis, x.dim(), x.shape());
  DESCENT_CHECK(x.shape()[a] == 1, "squeeze", "axis ", axis, " of shape ", to_string(x.shape()), " has size ",
                x.shape()[a], ", not 1");
  auto shape = detail::signed_shape(x.shape());
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(a));
  return reshape(x, shape);
}

Tensor unsqueeze(const Tensor& x, std::ptrdiff_t axis) {
  const auto a = normalize_axis("unsqueeze", axis, x.dim() + 1, x.shape());
  auto shape = detail::signed_shape(x.shape());
  shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(a), 1);
  return reshape(x, shape);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  bool ok = shape.size() >= x.dim();
  const std::size_t lead = ok ? shape.size() - x.dim() : 0;
  Strides strides(shape.size(), 0);
  for (std::size_t i = 0; ok && i < x.dim(); ++i) {
    ok = x.shape()[i] == shape[lead + i] || x.shape()[i] == 1;
    strides[lead + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  }
  DESCENT_CHECK(ok, "broadcast_to", "cannot broadcast ", to_string(x.shape()), " to ", to_string(shape));
  if (shape == x.shape()) return x;
  Tensor out = detail::make_view(x, x.impl().data, shape, strides);
  // d(broadcast x)/dx = the gradient summed over the repeated axes (done by the engine)
  return record("broadcast_to", out, {x}, [](const Tensor& g) { return Grads{g}; });
}

Tensor transpose(const Tensor& x, std::ptrdiff_t axis0, std::ptrdiff_t axis1) {
  const auto a = normalize_axis("transpose", axis0, x.dim(), x.shape());
  const auto b = normalize_axis("transpose", axis1, x.dim(), x.shape());
  Shape shape = x.shape();
  Strides strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  Tensor out = detail::make_view(x, x.impl().data, shape, strides);
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axes", std::vector<std::size_t>{a, b}}}; });
  // d(transpose x)/dx = the gradient transposed back
  return record("transpose", out, {x}, [a, b](const Tensor& g) {
    return Grads{transpose(g, static_cast<std::ptrdiff_t>(a), static_cast<std::ptrdiff_t>(b))};
  });
}

Tensor permute(const Tensor& x, const Axes& axes) {
  DESCENT_CHECK(axes.size() == x.dim(), "permute", "axes ", to_string(axes), " do not match shape ",
                to_string(x.shape()), ": expected ", x.dim(), " axes");
  Shape shape(x.dim());
  Strides strides(x.dim());
  Axes inverse(x.dim(), -1);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto a = normalize_axis("permute", axes[i], x.dim(), x.shape());
    DESCENT_CHECK(inverse[a] < 0, "permute", "axes ", to_string(axes), " repeat axis ", a, " of shape ",
                  to_string(x.shape()));
    inverse[a] = static_cast<std::ptrdiff_t>(i);
    shape[i] = x.shape()[a];
    strides[i] = x.strides()[a];
  }
  Tensor out = detail::make_view(x, x.impl().data, shape, strides);
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axes", axes}}; });
  // d(permute x)/dx = the gradient permuted by the inverse permutation
  return record("permute", out, {x}, [inverse](const Tensor& g) { return Grads{permute(g, inverse)}; });
}

Tensor narrow(const Tensor& x, std::ptrdiff_t axis, std::ptrdiff_t start, std::size_t length) {
  const auto a = normalize_axis("narrow", axis, x.dim(), x.shape());
  const std::size_t size = x.shape()[a];
  const auto n = static_cast<std::ptrdiff_t>(size);
  DESCENT_CHECK(start >= -n && start <= n, "narrow", "start ", start, " out of range for axis ", axis, " of size ",
                size, " in shape ", to_string(x.shape()));
  const auto first = static_cast<std::size_t>(start < 0 ? start + n : start);
  DESCENT_CHECK(length <= size - first, "narrow", "start ", start, " and length ", length, " run past the end of axis ",
                axis, " of size ", size, " in shape ", to_string(x.shape()));
  Tensor out = narrow_view(x, a, first, length);
  autograd::trace_attributes(out,
                             [&] { return autograd::TraceAttributes{{"axis", a}, {"start", first}, {"length", length}}; });
  autograd::trace_op("narrow", out, {&x, 1});  // (attached directly, not through record())
  if (autograd::should_record({x})) autograd::attach(out, {x}, std::make_shared<NarrowNode>(x.shape(), a, first, length));
  return out;
}

// split and chunk: pieces of an axis as narrow views (each recorded as narrow, so differentiable).
std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes, std::ptrdiff_t axis) {
  const auto a = normalize_axis("split", axis, x.dim(), x.shape());
  std::ptrdiff_t total = 0;
  for (auto n : sizes) {
    // a negative int passed for a size_t arrives as a huge number: report it as the negative it was
    DESCENT_CHECK(static_cast<std::ptrdiff_t>(n) >= 0, "split", "sizes must be >= 0, got ",
                  static_cast<std::ptrdiff_t>(n));
    total += static_cast<std::ptrdiff_t>(n);
  }
  DESCENT_CHECK(total == static_cast<std::ptrdiff_t>(x.shape()[a]), "split", "sizes add up to ", total,
                ", not to the length ", x.shape()[a], " of axis ", axis, " in shape ", to_string(x.shape()));
  std::vector<Tensor> pieces;
  std::ptrdiff_t start = 0;
  for (auto n : sizes) {
    pieces.push_back(narrow(x, axis, start, n));
    start += static_cast<std::ptrdiff_t>(n);
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, std::size_t split_size, std::ptrdiff_t axis) {
  const auto a = normalize_axis("split", axis, x.dim(), x.shape());
  const std::size_t length = x.shape()[a];
  DESCENT_CHECK(static_cast<std::ptrdiff_t>(split_size) >= 0, "split", "split_size must be >= 0, got ",
                static_cast<std::ptrdiff_t>(split_size));
  DESCENT_CHECK(split_size > 0 || length == 0, "split", "split_size can be 0 only for an axis of length 0, got axis ",
                axis, " of length ", length, " in shape ", to_string(x.shape()));
  std::vector<std::size_t> sizes;
  for (std::size_t start = 0; start < length; start += split_size) sizes.push_back(std::min(split_size, length - start));
  if (sizes.empty()) sizes.push_back(0);  // an empty axis splits into one empty piece, as PyTorch
  return split(x, sizes, axis);
}

std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, std::ptrdiff_t axis) {
  DESCENT_CHECK(static_cast<std::ptrdiff_t>(chunks) > 0, "chunk", "chunks must be > 0, got ",
                static_cast<std::ptrdiff_t>(chunks));
  const std::size_t length = x.shape()[normalize_axis("chunk", axis, x.dim(), x.shape())];
  // an empty axis gives `chunks` empty pieces, as PyTorch
  if (length == 0) return split(x, std::vector<std::size_t>(chunks, 0), axis);
  return split(x, (length + chunks - 1) / chunks, axis);
}

}  // namespace descent
