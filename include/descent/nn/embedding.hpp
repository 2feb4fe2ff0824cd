#pragma once
// A lookup table of learned vectors, as PyTorch's nn.Embedding: forward(indices) gives the rows of
// `weight` (num_embeddings, embedding_dim) at int64 indices of any shape (ops/indexing.hpp).
#include <cstdint>
#include <optional>

#include "descent/nn/module.hpp"
#include "descent/random.hpp"

namespace descent::nn {

struct EmbeddingOptions {
  /// A row that gets no gradient (negative counts from the end), initialised to zeros.
  std::optional<std::int64_t> padding_idx = std::nullopt;
  Dtype dtype = float32;
};

class Embedding : public Module {
 public:
  /// PyTorch's initialisation: weight standard normal, the padding row zero.
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options = {},
            Generator& gen = default_generator());
  Tensor forward(const Tensor& indices) override;
  /// "Embedding(96, 128)", or "Embedding(96, 128, padding_idx=0)".
  std::string describe() const override;

  Tensor weight;
  std::optional<std::int64_t> padding_idx;  ///< made non-negative, as PyTorch stores it
};

}  // namespace descent::nn
