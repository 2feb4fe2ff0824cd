#pragma once
// Shape operations. transpose, permute, narrow and reshape of a contiguous tensor are views:
// they share the values, not copy them.
#include <initializer_list>
#include <vector>

#include "descent/tensor.hpp"

namespace descent {

/// New shape with the same number of elements; one dimension may be -1 (inferred).
Tensor reshape(const Tensor& x, const std::vector<std::ptrdiff_t>& shape);
/// Merges axes start..end (inclusive) into one.
Tensor flatten(const Tensor& x, std::ptrdiff_t start = 0, std::ptrdiff_t end = -1);
/// Removes all axes of length 1, or the given one (which must have length 1).
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::ptrdiff_t axis);
/// Inserts an axis of length 1 at `axis` (in [-dim-1, dim]).
Tensor unsqueeze(const Tensor& x, std::ptrdiff_t axis);
/// Repeats x (without copying its values) to a shape it broadcasts to.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Swaps two axes (by default the last two: the matrix transpose). A view.
Tensor transpose(const Tensor& x, std::ptrdiff_t axis0 = -2, std::ptrdiff_t axis1 = -1);
/// Reorders the axes: result axis i is x's axis axes[i]. A view.
Tensor permute(const Tensor& x, const Axes& axes);
/// Joins tensors along an existing axis / along a new axis.
Tensor concat(const std::vector<Tensor>& tensors, std::ptrdiff_t axis = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::ptrdiff_t axis = 0);
/// Elements start..start+length-1 along an axis. A view.
Tensor narrow(const Tensor& x, std::ptrdiff_t axis, std::ptrdiff_t start, std::size_t length);
/// Views of consecutive slices along an axis (narrow), as torch.split / torch.chunk: split into
/// pieces of split_size (the last one shorter if it does not divide), or of the given sizes (which
/// must add up to the axis' length); chunk into `chunks` pieces of ceil(length / chunks), so fewer
/// when the last ones would be empty.
std::vector<Tensor> split(const Tensor& x, std::size_t split_size, std::ptrdiff_t axis = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<std::size_t>& sizes, std::ptrdiff_t axis = 0);
/// split(x, {3}) and split(x, {2, 1}): a braced list is always sizes, as torch.split(x, [3]).
inline std::vector<Tensor> split(const Tensor& x, std::initializer_list<std::size_t> sizes, std::ptrdiff_t axis = 0) {
  return split(x, std::vector<std::size_t>(sizes), axis);
}
std::vector<Tensor> chunk(const Tensor& x, std::size_t chunks, std::ptrdiff_t axis = 0);
/// The entries at `indices` (a 1-D int64 tensor; negative indices count from the end) along
/// an axis; index_select(x, 0, rows) gathers rows.
Tensor index_select(const Tensor& x, std::ptrdiff_t axis, const Tensor& indices);

}  // namespace descent
