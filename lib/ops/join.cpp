// Joins and gathers: new tensors holding copies of the inputs' values, for every dtype.
#include <algorithm>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "detail/shape.hpp"
#include "kernels/copy.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

Tensor concat(const std::vector<Tensor>& tensors, std::ptrdiff_t axis) {
  DESCENT_CHECK(!tensors.empty(), "concat", "expected at least one tensor");
  const Tensor& first = tensors[0];
  DESCENT_CHECK(first.dim() > 0, "concat", "cannot concatenate 0-d tensors (stack makes a new axis)");
  const auto a = normalize_axis("concat", axis, first.dim(), first.shape());
  Shape shape = first.shape();
  shape[a] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    DESCENT_CHECK(t.dtype() == first.dtype(), "concat", "dtype mismatch: tensor 0 is ", to_string(first.dtype()), " ",
                  to_string(first.shape()), ", tensor ", i, " is ", to_string(t.dtype()), " ", to_string(t.shape()));
    bool same = t.dim() == first.dim();
    for (std::size_t d = 0; same && d < t.dim(); ++d) same = d == a || t.shape()[d] == first.shape()[d];
    DESCENT_CHECK(same, "concat", "shapes ", to_string(first.shape()), " (tensor 0) and ", to_string(t.shape()),
                  " (tensor ", i, ") differ outside axis ", axis);
    shape[a] += t.shape()[a];
  }
  Tensor out = empty(shape, first.dtype());
  std::vector<std::size_t> sizes;
  std::ptrdiff_t offset = 0;
  for (const Tensor& t : tensors) {
    sizes.push_back(t.shape()[a]);
    kernels::copy(narrow(out, axis, offset, sizes.back()), t);  // into a view of its place
    offset += static_cast<std::ptrdiff_t>(sizes.back());
  }
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axis", a}}; });
  // d(concat)/d(tensor i) = the slice of the gradient where tensor i went
  return record("concat", out, tensors, [axis, sizes](const Tensor& g) {
    Grads grads;
    std::ptrdiff_t offset = 0;
    for (auto n : sizes) {
      grads.push_back(narrow(g, axis, offset, n));
      offset += static_cast<std::ptrdiff_t>(n);
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, std::ptrdiff_t axis) {
  DESCENT_CHECK(!tensors.empty(), "stack", "expected at least one tensor");
  const Tensor& first = tensors[0];
  const auto a = normalize_axis("stack", axis, first.dim() + 1, first.shape());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    DESCENT_CHECK(t.dtype() == first.dtype(), "stack", "dtype mismatch: tensor 0 is ", to_string(first.dtype()), " ",
                  to_string(first.shape()), ", tensor ", i, " is ", to_string(t.dtype()), " ", to_string(t.shape()));
    DESCENT_CHECK(t.shape() == first.shape(), "stack", "all tensors must have one shape, got ",
                  to_string(first.shape()), " (tensor 0) and ", to_string(t.shape()), " (tensor ", i, ")");
  }
  const auto new_axis = static_cast<std::ptrdiff_t>(a);
  Tensor out;
  {
    NoGradGuard no_grad;
    std::vector<Tensor> pieces;
    for (const Tensor& t : tensors) pieces.push_back(unsqueeze(t, new_axis));  // views
    out = concat(pieces, new_axis);
  }
  autograd::trace_attributes(out, [&] { return autograd::TraceAttributes{{"axis", a}}; });
  // d(stack)/d(tensor i) = the gradient at index i of the new axis
  return record("stack", out, tensors, [new_axis, count = tensors.size(), shape = detail::signed_shape(first.shape())](
                                           const Tensor& g) {
    Grads grads;
    for (std::size_t i = 0; i < count; ++i)
      grads.push_back(reshape(narrow(g, new_axis, static_cast<std::ptrdiff_t>(i), 1), shape));
    return grads;
  });
}

namespace {

/// The gradient of index_select along `axis`: g's slices added into zeros of x's shape at their
/// (normalised) indices. Linear in g; recorded under create_graph with index_select as its backward.
Tensor index_add_grad(const Tensor& g, const Shape& shape, std::size_t axis, const Tensor& indices,
                      const std::vector<std::size_t>& index) {
  std::size_t outer = 1, inner = 1;  // the elements before and after the axis
  for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::size_t size = shape[axis], count = index.size();
  Tensor gx = zeros(shape, g.dtype());
  const Tensor cg = detail::contiguous_values(g);
  detail::dispatch_floating("index_select", g.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* src = cg.data<T>();
    T* dst = gx.data<T>();
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t j = 0; j < count; ++j) {
        T* row = dst + (o * size + index[j]) * inner;
        const T* from = src + (o * count + j) * inner;
        for (std::size_t k = 0; k < inner; ++k) row[k] += from[k];
      }
  });
  return record("index_select_backward", gx, {g}, [axis, indices = SavedTensor(indices)](const Tensor& gg) {
    return Grads{index_select(gg, static_cast<std::ptrdiff_t>(axis), indices.unpack())};
  });
}

}  // namespace

Tensor index_select(const Tensor& x, std::ptrdiff_t axis, const Tensor& indices) {
  DESCENT_CHECK(indices.dtype() == int64 && indices.dim() == 1, "index_select",
                "indices must be a 1-D int64 tensor, got ", to_string(indices.dtype()), " ",
                to_string(indices.shape()));
  const auto a = normalize_axis("index_select", axis, x.dim(), x.shape());
  const std::size_t size = x.shape()[a], count = indices.numel();
  const auto n = static_cast<std::int64_t>(size);
  std::vector<std::size_t> index(count);
  const Tensor ci = detail::contiguous_values(indices);
  for (std::size_t j = 0; j < count; ++j) {
    const std::int64_t i = ci.data<std::int64_t>()[j];
    DESCENT_CHECK(i >= -n && i < n, "index_select", "index ", i, " is out of range for axis ", axis, " of size ", size,
                  " in shape ", to_string(x.shape()));
    index[j] = static_cast<std::size_t>(i < 0 ? i + n : i);
  }
  std::size_t outer = 1, inner = 1;  // the elements before and after the axis
  for (std::size_t d = 0; d < a; ++d) outer *= x.shape()[d];
  for (std::size_t d = a + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  Shape shape = x.shape();
  shape[a] = count;
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(shape, x.dtype());
  detail::dispatch(x.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* src = cx.data<T>();
    T* dst = out.data<T>();
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t j = 0; j < count; ++j)
        std::copy_n(src + (o * size + index[j]) * inner, inner, dst + (o * count + j) * inner);
  });
  // d(index_select x)/dx = the gradient's entries added back at their indices (repeats accumulate)
  return record("index_select", out, {x}, [shape = x.shape(), a, indices = SavedTensor(indices.detach()),
                                           index = std::move(index)](const Tensor& g) {
    return Grads{index_add_grad(g, shape, a, indices.unpack(), index)};
  });
}

}  // namespace descent
