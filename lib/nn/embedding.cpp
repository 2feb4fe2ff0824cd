#include "descent/nn/embedding.hpp"

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/indexing.hpp"
#include "descent/ops/shape.hpp"
#include "nn/layer_error.hpp"

namespace descent::nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options,
                     Generator& gen) {
  // A negative int passed for a size_t arrives as a huge number: report it as the negative it was.
  const auto rows = static_cast<std::ptrdiff_t>(num_embeddings), width = static_cast<std::ptrdiff_t>(embedding_dim);
  DESCENT_CHECK(rows >= 0 && width >= 0, "Embedding", "num_embeddings and embedding_dim must be >= 0, got ",
                "num_embeddings=", rows, " embedding_dim=", width);
  DESCENT_CHECK(is_floating(options.dtype), "Embedding", "dtype must be float32 or float64, got ",
                to_string(options.dtype));
  if (options.padding_idx) {
    const std::int64_t p = *options.padding_idx, n = rows;
    DESCENT_CHECK(p >= -n && p < n, "Embedding", "padding_idx ", p, " is out of range for ", n, " embeddings");
    padding_idx = p < 0 ? p + n : p;
  }
  Tensor w = randn({num_embeddings, embedding_dim}, gen, options.dtype);
  if (padding_idx) {
    NoGradGuard no_grad;
    narrow(w, 0, *padding_idx, 1).copy_(zeros({}, options.dtype));
  }
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) {
  return detail::named_by(*this, [&] { return embedding(indices, weight, padding_idx); });
}

std::string Embedding::describe() const {
  return "Embedding(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) +
         (padding_idx ? ", padding_idx=" + std::to_string(*padding_idx) : "") + ")";
}

}  // namespace descent::nn
