// Indexing: rows looked up by index (embedding), elements gathered and added along an axis
// (gather, scatter_add), one_hot, masked_fill and the triangles triu / tril. A lookup's gradient
// is an addition at the same indices and the other way round, so each backward is recorded with
// the other as its own backward: differentiable to any order. Loops in kernels/index.hpp.
#include <algorithm>
#include <cstdint>
#include <string>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/indexing.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/copy.hpp"
#include "kernels/index.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

void check_index_dtype(const char* op, const char* name, const Tensor& index) {
  DESCENT_CHECK(index.dtype() == int64, op, name, " must be an int64 tensor, got ", to_string(index.dtype()),
                " of shape ", to_string(index.shape()));
}

/// `index`'s values in row-major order, each checked to lie in [0, size); range() says of what,
/// for the error ("index 7 is out of range for <range()>").
template <class Range>
Tensor checked_index(const char* op, const Tensor& index, std::size_t size, Range range) {
  const Tensor ci = detail::contiguous_values(index);
  const std::int64_t* v = ci.data<std::int64_t>();
  const auto n = static_cast<std::int64_t>(size);
  for (std::size_t k = 0; k < ci.numel(); ++k)
    DESCENT_CHECK(v[k] >= 0 && v[k] < n, op, "index ", v[k], " is out of range for ", range());
  return ci;
}

// --- embedding -----------------------------------------------------------------------------------

Tensor embedding_grad(const Tensor& g, const Tensor& indices, std::size_t rows, std::int64_t padding);

/// weight's rows at (checked, contiguous) indices; with zero_padding the rows of index `padding`
/// come out as zeros (embedding_grad's gradient), without it they are weight's row (embedding).
Tensor lookup(const Tensor& weight, const Tensor& indices, std::int64_t padding, bool zero_padding) {
  const std::size_t rows = weight.shape()[0], width = weight.shape()[1];
  Shape shape = indices.shape();
  shape.push_back(width);
  const Tensor cw = detail::contiguous_values(weight);
  Tensor out = empty(shape, weight.dtype());
  detail::dispatch(weight.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::take_rows(cw.data<T>(), indices.data<std::int64_t>(), indices.numel(), width, out.data<T>(),
                       zero_padding ? padding : -1);
  });
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"indices", indices}}; });
  // d(embedding w)/dw = the gradient's rows added back at their indices, none to the padding row
  return record("embedding", out, {weight}, [rows, padding, indices = SavedTensor(indices)](const Tensor& g) {
    return Grads{embedding_grad(g, indices.unpack(), rows, padding)};
  });
}

/// The gradient of embedding: g's rows (g of shape indices.shape + (width)) added into zeros of
/// (rows, width) at their indices, the padding row left out, in one pass. Linear in g: its own
/// gradient is the lookup of gg at the same indices with the padding rows zeroed.
Tensor embedding_grad(const Tensor& g, const Tensor& indices, std::size_t rows, std::int64_t padding) {
  const std::size_t width = g.shape().back();
  Tensor gw = zeros({rows, width}, g.dtype());
  const Tensor cg = detail::contiguous_values(g);
  detail::dispatch_floating("embedding", g.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::add_rows(cg.data<T>(), indices.data<std::int64_t>(), indices.numel(), width, gw.data<T>(), padding);
  });
  return record("embedding_backward", gw, {g}, [padding, indices = SavedTensor(indices)](const Tensor& gg) {
    return Grads{lookup(gg, indices.unpack(), padding, true)};
  });
}

// --- gather and scatter_add ----------------------------------------------------------------------

/// The length of x's axis `axis` (1 for a 0-d x, whose only axis is the implicit one).
std::size_t axis_size(const Tensor& x, std::size_t axis) { return x.dim() == 0 ? 1 : x.shape()[axis]; }

/// The stride of `axis` in `strides` (0 for the empty strides of a 0-d tensor).
std::ptrdiff_t axis_stride(const Strides& strides, std::size_t axis) { return strides.empty() ? 0 : strides[axis]; }

/// index's shape against x's (and src's): as many axes, index.size(d) <= x.size(d) for d != axis
/// and <= src.size(d) for every d. Returns the checked, contiguous index.
Tensor checked_gather_index(const char* op, const Tensor& x, std::size_t axis, const Tensor& index,
                            const Tensor* src = nullptr) {
  check_index_dtype(op, "index", index);
  DESCENT_CHECK(index.dim() == x.dim(), op, "index of shape ", to_string(index.shape()),
                " must have as many axes as the input of shape ", to_string(x.shape()));
  for (std::size_t d = 0; d < x.dim(); ++d)
    DESCENT_CHECK(d == axis || index.shape()[d] <= x.shape()[d], op, "index of shape ", to_string(index.shape()),
                  " is larger than the input of shape ", to_string(x.shape()), " along axis ", d,
                  " (only the indexed axis ", axis, " may be)");
  if (src) {
    DESCENT_CHECK(src->dim() == x.dim(), op, "src of shape ", to_string(src->shape()),
                  " must have as many axes as the input of shape ", to_string(x.shape()));
    for (std::size_t d = 0; d < x.dim(); ++d)
      DESCENT_CHECK(index.shape()[d] <= src->shape()[d], op, "index of shape ", to_string(index.shape()),
                    " is larger than src of shape ", to_string(src->shape()), " along axis ", d);
  }
  return checked_index(op, index, axis_size(x, axis), [&] {
    return detail::concat("axis ", axis, " of size ", axis_size(x, axis), " (input of shape ", to_string(x.shape()),
                          ")");
  });
}

Tensor scattered(const Tensor& x, std::size_t axis, const Tensor& index, const Tensor& src);

/// x's elements at (checked, contiguous) index along `axis`, in a new tensor of `shape`: index's,
/// or larger (zeros beyond index's part: the src gradient of scatter_add, src being larger).
Tensor gathered(const Tensor& x, std::size_t axis, const Tensor& index, const Shape& shape) {
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = shape == index.shape() ? empty(shape, x.dtype()) : zeros(shape, x.dtype());
  Strides from = contiguous_strides(x.shape());
  const std::ptrdiff_t step = axis_stride(from, axis);
  if (!from.empty()) from[axis] = 0;  // the index supplies that term
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* xv = cx.data<T>();
    const std::int64_t* iv = index.data<std::int64_t>();
    T* o = out.data<T>();
    kernels::for_each_offset(index.shape(), from, contiguous_strides(shape),
                             [&](std::size_t k, std::ptrdiff_t a, std::ptrdiff_t b) { o[b] = xv[a + iv[k] * step]; });
  });
  // d(gather x)/dx = the gradient (index's part of it) added back at the indices into zeros
  return record("gather", out, {x}, [axis, x_shape = x.shape(), index = SavedTensor(index)](const Tensor& g) {
    return Grads{scattered(zeros(x_shape, g.dtype()), axis, index.unpack(), g)};
  });
}

/// A copy of x with src's elements (index's part of src) added at (checked, contiguous) index.
Tensor scattered(const Tensor& x, std::size_t axis, const Tensor& index, const Tensor& src) {
  const Tensor cs = detail::contiguous_values(src);
  Tensor out = empty(x.shape(), x.dtype());
  kernels::copy(out, x);
  Strides to = contiguous_strides(x.shape());
  const std::ptrdiff_t step = axis_stride(to, axis);
  if (!to.empty()) to[axis] = 0;  // the index supplies that term
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* sv = cs.data<T>();
    const std::int64_t* iv = index.data<std::int64_t>();
    T* o = out.data<T>();
    kernels::for_each_offset(index.shape(), to, contiguous_strides(src.shape()),
                             [&](std::size_t k, std::ptrdiff_t a, std::ptrdiff_t b) { o[a + iv[k] * step] += sv[b]; });
  });
  // d(scatter_add)/dx = g; d(scatter_add)/dsrc = g gathered at the indices (zero beyond index's part)
  return record("scatter_add", out, {x, src}, [axis, src_shape = src.shape(), index = SavedTensor(index),
                                               dx = x.requires_grad(), dsrc = src.requires_grad()](const Tensor& g) {
    return Grads{dx ? g : Tensor(), dsrc ? gathered(g, axis, index.unpack(), src_shape) : Tensor()};
  });
}

/// An axis of x for gather / scatter_add (0 or -1 for a 0-d x, as PyTorch).
std::size_t gather_axis(const char* op, std::ptrdiff_t axis, const Tensor& x) {
  return normalize_axis(op, axis, x.dim() == 0 ? 1 : x.dim(), x.shape());
}

// --- triu / tril ---------------------------------------------------------------------------------

Tensor triangle(const char* op, const Tensor& x, std::int64_t diagonal, bool upper) {
  DESCENT_CHECK(x.dim() >= 2, op, "expected a tensor with at least 2 axes (matrices in the last two), got shape ",
                to_string(x.shape()));
  const std::size_t rows = x.size(-2), cols = x.size(-1);
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(x.shape(), x.dtype());
  if (x.numel() > 0)
    detail::dispatch(x.dtype(), [&](auto e) {
      using T = decltype(e);
      kernels::triangle(cx.data<T>(), out.data<T>(), x.numel() / (rows * cols), rows, cols, diagonal, upper);
    });
  // d(triu x)/dx = triu of the gradient (the same elements kept), tril alike
  return record(op, out, {x}, [diagonal, upper](const Tensor& g) {
    return Grads{upper ? triu(g, diagonal) : tril(g, diagonal)};
  });
}

}  // namespace

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
  check_index_dtype("embedding", "indices", indices);
  DESCENT_CHECK(weight.dim() == 2, "embedding", "weight must be 2-D (num_embeddings, embedding_dim), got shape ",
                to_string(weight.shape()));
  const std::size_t rows = weight.shape()[0];
  const auto n = static_cast<std::int64_t>(rows);
  std::int64_t padding = -1;  // none
  if (padding_idx) {
    DESCENT_CHECK(*padding_idx >= -n && *padding_idx < n, "embedding", "padding_idx ", *padding_idx,
                  " is out of range for ", rows, " embeddings (weight of shape ", to_string(weight.shape()), ")");
    padding = *padding_idx < 0 ? *padding_idx + n : *padding_idx;
  }
  const Tensor index = checked_index("embedding", indices, rows, [&] {
    return detail::concat(rows, " embeddings (weight of shape ", to_string(weight.shape()), ")");
  });
  return lookup(weight, index.detach(), padding, false);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  return masked_fill(x, mask, detail::scalar_like(x, value));
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  DESCENT_CHECK(mask.dtype() == boolean, "masked_fill", "mask must be a bool tensor, got ", to_string(mask.dtype()),
                " of shape ", to_string(mask.shape()));
  DESCENT_CHECK(value.dim() == 0, "masked_fill", "value must be a 0-d tensor, got shape ", to_string(value.shape()));
  const Shape shape = broadcast_shapes("masked_fill", x.shape(), mask.shape());
  // The value in x's dtype (recorded: a float32 value fills a float64 x and gets its gradient).
  const Tensor v = is_floating(x.dtype()) ? value.to(x.dtype()) : value.detach().to(x.dtype());
  Tensor out = empty(shape, x.dtype());
  {
    NoGradGuard no_grad;
    kernels::copy(out, broadcast_to(x, shape));
  }
  const Tensor cm = detail::contiguous_values(mask);
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::fill_where(out.data<T>(), shape, cm, *v.data<T>());
  });
  // d(masked_fill)/dx = g where the mask is false; d(masked_fill)/dvalue = g where it is true (summed)
  return record("masked_fill", out, {x, v}, [mask = SavedTensor(mask.detach()), dx = x.requires_grad(),
                                             dv = v.requires_grad()](const Tensor& g) {
    const Tensor zero = detail::scalar_like(g, 0), m = mask.unpack();
    return Grads{dx ? where(m, zero, g) : Tensor(), dv ? sum(where(m, g, zero)) : Tensor()};
  });
}

Tensor triu(const Tensor& x, std::int64_t diagonal) { return triangle("triu", x, diagonal, true); }
Tensor tril(const Tensor& x, std::int64_t diagonal) { return triangle("tril", x, diagonal, false); }

Tensor gather(const Tensor& x, std::ptrdiff_t axis, const Tensor& index) {
  const std::size_t a = gather_axis("gather", axis, x);
  const Tensor ci = checked_gather_index("gather", x, a, index);
  return gathered(x, a, ci.detach(), index.shape());
}

Tensor scatter_add(const Tensor& x, std::ptrdiff_t axis, const Tensor& index, const Tensor& src) {
  detail::check_same_dtype("scatter_add", x, src);
  const std::size_t a = gather_axis("scatter_add", axis, x);
  const Tensor ci = checked_gather_index("scatter_add", x, a, index, &src);
  return scattered(x, a, ci.detach(), src);
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes) {
  check_index_dtype("one_hot", "indices", indices);
  DESCENT_CHECK(num_classes >= -1, "one_hot", "num_classes must be -1 (one more than the largest index) or >= 0, got ",
                num_classes);
  const Tensor ci = detail::contiguous_values(indices);
  const std::int64_t* v = ci.data<std::int64_t>();
  const std::size_t count = ci.numel();
  for (std::size_t k = 0; k < count; ++k)
    DESCENT_CHECK(v[k] >= 0, "one_hot", "class index ", v[k], " is negative");
  if (num_classes == -1) {
    DESCENT_CHECK(count > 0, "one_hot", "cannot infer the number of classes from an empty tensor of shape ",
                  to_string(indices.shape()), " (pass num_classes)");
    num_classes = *std::max_element(v, v + count) + 1;
  }
  for (std::size_t k = 0; k < count; ++k)
    DESCENT_CHECK(v[k] < num_classes, "one_hot", "class index ", v[k], " is out of range for num_classes ",
                  num_classes);
  const auto classes = static_cast<std::size_t>(num_classes);
  Shape shape = indices.shape();
  shape.push_back(classes);
  Tensor out = zeros(shape, int64);
  kernels::one_hot_rows(v, count, classes, out.data<std::int64_t>());
  return out;
}

}  // namespace descent
