#pragma once
// Scaled dot-product attention (PyTorch 2's torch.nn.functional.scaled_dot_product_attention), one
// fused op.
#include <optional>

#include "descent/random.hpp"
#include "descent/tensor.hpp"

namespace descent {

/// softmax(query·keyᵀ·scale + mask)·value over query (..., L, E), key (..., S, E), value (..., S, Ev)
/// with broadcast batch dimensions, giving (..., L, Ev). attn_mask broadcasts to (..., L, S): bool
/// (true = may attend) or of the query's dtype (added to the scores); is_causal masks key j > query
/// i (not with attn_mask); scale defaults to 1/√E; dropout_p > 0 drops attention probabilities
/// (the kept ones × 1/(1-p)) drawn from gen. A query row with every key masked out gives zeros and
/// zero gradients (PyTorch's math backend gives NaN).
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt, Generator& gen = default_generator());

}  // namespace descent
