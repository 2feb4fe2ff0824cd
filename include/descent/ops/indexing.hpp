#pragma once
// Indexing operations, as PyTorch's: rows looked up by index (embedding), elements gathered and
// added along an axis (gather, scatter_add), one_hot, masked_fill and the triangles triu / tril.
// Indices are int64 tensors and masks boolean ones; an index out of range is an error naming it.
#include <cstdint>
#include <optional>

#include "descent/tensor.hpp"

namespace descent {

/// The rows of `weight` (num_embeddings, embedding_dim) at `indices` (int64, any shape):
/// shape indices.shape + (embedding_dim). Repeated indices accumulate their gradients; the row
/// `padding_idx` (negative counts from the end) gets none (torch.nn.functional.embedding).
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);

/// x with `value` where `mask` (boolean) is true; x and mask broadcast together (torch.masked_fill).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
/// The same with a 0-d tensor value, differentiable with respect to it.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);

/// The upper / lower triangle of the matrices in x's last two axes (x.dim() >= 2), zeros elsewhere:
/// triu keeps column - row >= diagonal, tril column - row <= diagonal.
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);

/// out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (and alike for the others): index (int64)
/// has x's number of axes and index.size(d) <= x.size(d) for d != axis; out has index's shape.
Tensor gather(const Tensor& x, std::ptrdiff_t axis, const Tensor& index);
/// A copy of x with src[i][j][k] added at [index[i][j][k]][j][k] for axis 0 (and alike for the
/// others; repeats accumulate): index.size(d) <= src.size(d) for every d and <= x.size(d) for
/// d != axis. Out of place, as torch.scatter_add.
Tensor scatter_add(const Tensor& x, std::ptrdiff_t axis, const Tensor& index, const Tensor& src);

/// int64 one-hot rows of `indices` (int64, any shape): shape indices.shape + (num_classes);
/// num_classes -1 means max(indices) + 1 (torch.nn.functional.one_hot). Not differentiable.
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);

}  // namespace descent
