#pragma once
// Multi-head attention, as PyTorch's nn.MultiheadAttention (torch 1.13): the same parameters
// (in_proj_weight (3E, E) and in_proj_bias (3E), or q_proj_weight / k_proj_weight / v_proj_weight
// when kdim or vdim differ from embed_dim; out_proj.weight, out_proj.bias), initialisation, masks
// and outputs, so a PyTorch state_dict loads (io::load) and computes the same.
//
//   nn::MultiheadAttention mha(64, 8, {.batch_first = true});
//   auto [out, weights] = mha.forward(x, x, x, {.key_padding_mask = pad});   // (N, L, E), (N, L, S)
//   Tensor y = mha(x);                                                       // self-attention, output only
#include <memory>
#include <tuple>

#include "descent/nn/linear.hpp"
#include "descent/nn/module.hpp"
#include "descent/random.hpp"

namespace descent::nn {

struct MultiheadAttentionOptions {
  double dropout = 0;  ///< dropout probability on the attention weights (training mode only)
  bool bias = true;    ///< in_proj_bias and out_proj.bias
  std::size_t kdim = 0;  ///< features of key (0: embed_dim)
  std::size_t vdim = 0;  ///< features of value (0: embed_dim)
  bool batch_first = false;  ///< (N, L, E) inputs and outputs instead of (L, N, E)
  Dtype dtype = float32;
};

/// The keywords of MultiheadAttention::forward. A bool mask is true where attention is NOT allowed
/// (PyTorch MHA's meaning); a floating mask (of the query's dtype) is added to the attention scores.
struct MultiheadAttentionForwardOptions {
  Tensor key_padding_mask{};  ///< (N, S), or (S) for unbatched input: keys to ignore
  bool need_weights = true;  ///< also return the attention weights
  Tensor attn_mask{};        ///< (L, S), or (N·num_heads, L, S) for a mask per batch entry and head
  bool average_attn_weights = true;  ///< weights averaged over the heads, else one map per head
};

class MultiheadAttention : public Module {
 public:
  /// PyTorch's initialisation: xavier_uniform_ on the input projections, zero biases, out_proj.weight
  /// as Linear's. embed_dim must be divisible by num_heads.
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, MultiheadAttentionOptions options = {},
                     Generator& gen = default_generator());

  /// Self-attention: the output of forward(x, x, x) without weights.
  Tensor forward(const Tensor& x) override;
  /// query (L, N, E) (or (N, L, E) with batch_first, or unbatched (L, E)), key (S, N, kdim), value
  /// (S, N, vdim) -> (attn_output (L, N, E), attn_weights): (N, L, S) averaged over heads, or
  /// (N, num_heads, L, S) without average_attn_weights ((L, S) / (num_heads, L, S) unbatched);
  /// undefined without need_weights. In training, the weights returned are after dropout (PyTorch's).
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const MultiheadAttentionForwardOptions& options = {});
  std::string describe() const override;

  std::size_t embed_dim, num_heads, head_dim, kdim, vdim;
  MultiheadAttentionOptions options;
  Tensor in_proj_weight;  ///< (3E, E), undefined when kdim or vdim differ from embed_dim
  Tensor q_proj_weight, k_proj_weight, v_proj_weight;  ///< (E, E), (E, kdim), (E, vdim) in that case
  Tensor in_proj_bias;    ///< (3E): the q, k and v biases; undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  Generator* gen_;
};

}  // namespace descent::nn
