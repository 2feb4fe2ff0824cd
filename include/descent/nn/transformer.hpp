#pragma once
// The Transformer of "Attention Is All You Need", as PyTorch's (torch 1.13): TransformerEncoderLayer,
// TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer, with PyTorch's
// sub-module names (self_attn, multihead_attn, linear1, dropout, linear2, norm1..3, dropout1..3,
// layers.0..., norm, encoder, decoder), defaults and masks, so a PyTorch state_dict loads (io::load)
// and computes the same. Masks are MultiheadAttention's (nn/attention.hpp): bool true = NOT allowed,
// floating ones added to the scores.
//
//   nn::TransformerEncoder encoder(nn::TransformerEncoderLayer(64, 4, {.dim_feedforward = 128}), 2);
//   Tensor y = encoder.forward(x, {.src_mask = nn::Transformer::generate_square_subsequent_mask(10)});
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "descent/nn/attention.hpp"
#include "descent/nn/dropout.hpp"
#include "descent/nn/linear.hpp"
#include "descent/nn/module.hpp"
#include "descent/nn/norm.hpp"
#include "descent/random.hpp"

namespace descent::nn {

struct TransformerLayerOptions {
  std::size_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  ///< of the feed-forward block: "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;  ///< (N, L, E) inputs and outputs instead of (L, N, E)
  bool norm_first = false;   ///< LayerNorm before each block (pre-norm) instead of after the residual
  Dtype dtype = float32;
};

/// The masks of an encoder (PyTorch's src_mask, called mask in TransformerEncoder.forward).
struct TransformerEncoderMasks {
  Tensor src_mask{};              ///< (S, S) or (N·nhead, S, S)
  Tensor src_key_padding_mask{};  ///< (N, S), or (S) unbatched
};

struct TransformerDecoderMasks {
  Tensor tgt_mask{};                 ///< (T, T) or (N·nhead, T, T)
  Tensor memory_mask{};              ///< (T, S) or (N·nhead, T, S)
  Tensor tgt_key_padding_mask{};     ///< (N, T), or (T) unbatched
  Tensor memory_key_padding_mask{};  ///< (N, S), or (S) unbatched
};

/// Self-attention then a feed-forward block (linear1, activation, dropout, linear2), each with
/// dropout, a residual connection and a LayerNorm (after the residual, or before the block with norm_first).
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, TransformerLayerOptions options = {},
                          Generator& gen = default_generator());
  Tensor forward(const Tensor& src) override;
  Tensor forward(const Tensor& src, const TransformerEncoderMasks& masks);
  std::string describe() const override;
  /// A new layer with the same settings, generator and parameter values (PyTorch's copy.deepcopy):
  /// its own initialisation is drawn from the generator, then overwritten.
  std::shared_ptr<TransformerEncoderLayer> clone() const;

  std::size_t d_model, nhead;
  TransformerLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 private:
  Generator* gen_;
};

/// Self-attention over the target, attention over the encoder's output (memory), then a
/// feed-forward block, each with dropout, a residual connection and a LayerNorm.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(std::size_t d_model, std::size_t nhead, TransformerLayerOptions options = {},
                          Generator& gen = default_generator());
  /// Refused: a decoder layer needs the memory too, forward(tgt, memory, masks).
  Tensor forward(const Tensor& tgt) override;
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderMasks& masks = {});
  std::string describe() const override;
  /// A new layer with the same settings, generator and parameter values (see TransformerEncoderLayer::clone).
  std::shared_ptr<TransformerDecoderLayer> clone() const;

  std::size_t d_model, nhead;
  TransformerLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;

 private:
  Generator* gen_;
};

/// num_layers encoder layers in turn (named layers.0, layers.1, ...), then `norm` if given.
class TransformerEncoder : public Module {
 public:
  /// num_layers copies of `layer` (its clone(): all start with its parameter values, as PyTorch's deepcopy).
  TransformerEncoder(const TransformerEncoderLayer& layer, std::size_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr);
  /// num_layers layers made by `make_layer` (each its own initialisation).
  TransformerEncoder(const std::function<std::shared_ptr<TransformerEncoderLayer>()>& make_layer,
                     std::size_t num_layers, std::shared_ptr<LayerNorm> norm = nullptr);
  Tensor forward(const Tensor& src) override;
  Tensor forward(const Tensor& src, const TransformerEncoderMasks& masks);
  std::string describe() const override;

  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  ///< null without a final norm
};

/// num_layers decoder layers in turn (layers.0, ...), each attending to the same memory, then `norm`.
class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerDecoderLayer& layer, std::size_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr);
  TransformerDecoder(const std::function<std::shared_ptr<TransformerDecoderLayer>()>& make_layer,
                     std::size_t num_layers, std::shared_ptr<LayerNorm> norm = nullptr);
  /// Refused: a decoder needs the memory too, forward(tgt, memory, masks).
  Tensor forward(const Tensor& tgt) override;
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderMasks& masks = {});
  std::string describe() const override;

  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> norm;  ///< null without a final norm
};

/// PyTorch's defaults: the base model of the paper.
struct TransformerOptions {
  std::size_t d_model = 512;
  std::size_t nhead = 8;
  std::size_t num_encoder_layers = 6;
  std::size_t num_decoder_layers = 6;
  std::size_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
  Dtype dtype = float32;
};

struct TransformerMasks {
  Tensor src_mask{}, tgt_mask{}, memory_mask{};
  Tensor src_key_padding_mask{}, tgt_key_padding_mask{}, memory_key_padding_mask{};
};

/// An encoder and a decoder, each with a final LayerNorm; every parameter of two or more dimensions
/// re-initialised with xavier_uniform_ (PyTorch's _reset_parameters).
class Transformer : public Module {
 public:
  explicit Transformer(TransformerOptions options = {}, Generator& gen = default_generator());
  /// Refused: a Transformer needs the source and the target, forward(src, tgt, masks).
  Tensor forward(const Tensor& src) override;
  /// src (S, N, E), tgt (T, N, E) (batch first with batch_first, or unbatched (S, E), (T, E)) -> (T, N, E).
  Tensor forward(const Tensor& src, const Tensor& tgt, const TransformerMasks& masks = {});
  std::string describe() const override;

  /// The causal mask of a sequence of `size`: -inf above the diagonal, 0 elsewhere (float).
  static Tensor generate_square_subsequent_mask(std::size_t size, Dtype dtype = float32);

  TransformerOptions options;
  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;
};

}  // namespace descent::nn
