// Shape operations. Views share the input's buffer: only their shape, strides and first element
// differ. Each backward rule maps the gradient back to the input's layout.
#include "descent/ops/shape.hpp"

#include "descent/autograd/function.hpp"
#include "detail/dispatch.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {
std::vector<std::ptrdiff_t> signed_shape(const Shape& shape) { return {shape.begin(), shape.end()}; }
}  // namespace

Tensor reshape(const Tensor& x, const std::vector<std::ptrdiff_t>& shape) {
  Shape target(shape.size());
  std::ptrdiff_t inferred = -1;
  std::size_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      DESCENT_CHECK(inferred < 0, "reshape", "only one dimension can be -1, cannot reshape ", to_string(x.shape()));
      inferred = static_cast<std::ptrdiff_t>(i);
      continue;
    }
    DESCENT_CHECK(shape[i] >= 0, "reshape", "invalid dimension ", shape[i], " for ", to_string(x.shape()));
    target[i] = static_cast<std::size_t>(shape[i]);
    known *= target[i];
  }
  if (inferred >= 0) {
    DESCENT_CHECK(known != 0 && x.numel() % known == 0, "reshape", "cannot reshape ", to_string(x.shape()),
                  " into a shape with ", known, " elements times -1");
    target[static_cast<std::size_t>(inferred)] = x.numel() / known;
  }
  DESCENT_CHECK(numel(target) == x.numel(), "reshape", "cannot reshape ", to_string(x.shape()), " (", x.numel(),
                " elements) into ", to_string(target), " (", numel(target), " elements)");
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = detail::make_view(cx, cx.impl().data, target, contiguous_strides(target));
  // d(reshape x)/dx = the gradient reshaped back
  return record("reshape", out, {x}, [shape = signed_shape(x.shape())](const Tensor& g) {
    return Grads{reshape(g, shape)};
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  DESCENT_CHECK(broadcast_shapes("broadcast_to", x.shape(), shape) == shape, "broadcast_to", "cannot broadcast ",
                to_string(x.shape()), " to ", to_string(shape));
  const std::size_t lead = shape.size() - x.dim();
  Strides strides(shape.size(), 0);
  for (std::size_t i = 0; i < x.dim(); ++i)
    strides[lead + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  Tensor out = detail::make_view(x, x.impl().data, shape, strides);
  // d(broadcast x)/dx = the gradient summed over the repeated axes (done by the engine)
  return record("broadcast_to", out, {x}, [](const Tensor& g) { return Grads{g}; });
}

}  // namespace descent
