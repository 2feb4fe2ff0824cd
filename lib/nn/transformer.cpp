#include "descent/nn/transformer.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"
#include "descent/nn/init.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"

namespace descent::nn {

namespace {

std::ptrdiff_t as_signed(std::size_t n) { return static_cast<std::ptrdiff_t>(n); }

/// PyTorch's ModuleList as far as the transformer needs it: children named "0", "1", ... for the
/// state_dict names layers.0.self_attn.in_proj_weight; the layers are called one by one.
class LayerList : public Module {
 public:
  void push_back(std::shared_ptr<Module> layer) { add_child(std::to_string(named_children().size()), std::move(layer)); }
  Tensor forward(const Tensor&) override {
    throw Error("ModuleList: has no forward(); its layers are called one by one");
  }
  std::string describe() const override { return "ModuleList"; }
};

void check_activation(const char* op, const std::string& activation) {
  DESCENT_CHECK(activation == "relu" || activation == "gelu", op, "activation must be \"relu\" or \"gelu\", got \"",
                activation, "\"");
}

/// linear2(dropout(activation(linear1(x)))): the feed-forward block of both layers.
Tensor feed_forward(Linear& linear1, Dropout& dropout, Linear& linear2, const std::string& activation, const Tensor& x) {
  const Tensor h = linear1(x);
  return linear2(dropout(activation == "gelu" ? gelu(h) : relu(h)));
}

/// The output of attention `mha` of x over `memory` (self-attention when memory is x), no weights.
Tensor attend(MultiheadAttention& mha, const Tensor& x, const Tensor& memory, const Tensor& mask,
              const Tensor& key_padding_mask) {
  return std::get<0>(
      mha.forward(x, memory, memory, {.key_padding_mask = key_padding_mask, .need_weights = false, .attn_mask = mask}));
}

/// One block with its residual connection: norm(x + block(x)), or x + block(norm(x)) with norm_first.
template <class Block> Tensor residual(const Tensor& x, LayerNorm& norm, bool norm_first, const Block& block) {
  return norm_first ? x + block(norm(x)) : norm(x + block(x));
}

/// A new layer with the settings of `layer`, its parameter values and its mode (PyTorch's deepcopy).
template <class Layer> std::shared_ptr<Layer> copy_of(const Layer& layer, Generator& gen) {
  auto copy = std::make_shared<Layer>(layer.d_model, layer.nhead, layer.options, gen);
  NoGradGuard no_grad;
  const auto source = layer.state_dict(), target = copy->state_dict();
  for (std::size_t i = 0; i < source.size(); ++i) {
    Tensor t = target[i].second;
    t.copy_(source[i].second);
  }
  copy->train(layer.is_training());
  return copy;
}

std::string stack_description(const char* name, std::size_t num_layers, bool norm) {
  return std::string(name) + "(num_layers=" + std::to_string(num_layers) + (norm ? ", norm" : "") + ")";
}

std::string layer_settings(std::size_t d_model, std::size_t nhead, const TransformerLayerOptions& o) {
  std::ostringstream out;
  out << "d_model=" << d_model << ", nhead=" << nhead << ", dim_feedforward=" << o.dim_feedforward
      << ", dropout=" << o.dropout << ", activation=" << o.activation;
  if (o.layer_norm_eps != 1e-5) out << ", layer_norm_eps=" << o.layer_norm_eps;
  if (o.batch_first) out << ", batch_first=true";
  if (o.norm_first) out << ", norm_first=true";
  return out.str();
}

/// The layers of an encoder or a decoder, registered as "layers" and kept typed in `layers`.
template <class Layer>
void build_layers(LayerList& list, const std::function<std::shared_ptr<Layer>()>& make_layer, std::size_t num_layers,
                  std::vector<std::shared_ptr<Layer>>& layers, const char* op) {
  DESCENT_CHECK(as_signed(num_layers) > 0, op, "num_layers must be positive, got ", as_signed(num_layers));
  for (std::size_t i = 0; i < num_layers; ++i) {
    auto layer = make_layer();
    DESCENT_CHECK(layer != nullptr, op, "the layer factory returned no layer (layer ", i, ")");
    layers.push_back(layer);
    list.push_back(layer);
  }
}

}  // namespace

// --- TransformerEncoderLayer ---------------------------------------------------------------

TransformerEncoderLayer::TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, TransformerLayerOptions options,
                                                 Generator& gen)
    : d_model(d_model), nhead(nhead), options(options), gen_(&gen) {
  check_activation("TransformerEncoderLayer", options.activation);
  const Dtype dt = options.dtype;
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(
                                               d_model, nhead, MultiheadAttentionOptions{.dropout = options.dropout,
                                                                                         .batch_first = options.batch_first,
                                                                                         .dtype = dt},
                                               gen));
  linear1 = register_module("linear1", std::make_shared<Linear>(d_model, options.dim_feedforward, LinearOptions{.dtype = dt}, gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout, gen));
  linear2 = register_module("linear2", std::make_shared<Linear>(options.dim_feedforward, d_model, LinearOptions{.dtype = dt}, gen));
  const LayerNormOptions norm{.eps = options.layer_norm_eps, .dtype = dt};
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, norm));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, norm));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout, gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout, gen));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) { return forward(src, TransformerEncoderMasks{}); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const TransformerEncoderMasks& masks) {
  const auto sa = [&](const Tensor& x) {
    return (*dropout1)(attend(*self_attn, x, x, masks.src_mask, masks.src_key_padding_mask));
  };
  const auto ff = [&](const Tensor& x) {
    return (*dropout2)(feed_forward(*linear1, *dropout, *linear2, options.activation, x));
  };
  const Tensor x = residual(src, *norm1, options.norm_first, sa);
  return residual(x, *norm2, options.norm_first, ff);
}

std::string TransformerEncoderLayer::describe() const {
  return "TransformerEncoderLayer(" + layer_settings(d_model, nhead, options) + ")";
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoderLayer::clone() const { return copy_of(*this, *gen_); }

// --- TransformerDecoderLayer ---------------------------------------------------------------

TransformerDecoderLayer::TransformerDecoderLayer(std::size_t d_model, std::size_t nhead, TransformerLayerOptions options,
                                                 Generator& gen)
    : d_model(d_model), nhead(nhead), options(options), gen_(&gen) {
  check_activation("TransformerDecoderLayer", options.activation);
  const Dtype dt = options.dtype;
  const MultiheadAttentionOptions attention{.dropout = options.dropout, .batch_first = options.batch_first, .dtype = dt};
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, attention, gen));
  multihead_attn = register_module("multihead_attn", std::make_shared<MultiheadAttention>(d_model, nhead, attention, gen));
  linear1 = register_module("linear1", std::make_shared<Linear>(d_model, options.dim_feedforward, LinearOptions{.dtype = dt}, gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout, gen));
  linear2 = register_module("linear2", std::make_shared<Linear>(options.dim_feedforward, d_model, LinearOptions{.dtype = dt}, gen));
  const LayerNormOptions norm{.eps = options.layer_norm_eps, .dtype = dt};
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, norm));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, norm));
  norm3 = register_module("norm3", std::make_shared<LayerNorm>(Shape{d_model}, norm));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout, gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout, gen));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(options.dropout, gen));
}

Tensor TransformerDecoderLayer::forward(const Tensor&) {
  throw Error("TransformerDecoderLayer: needs the encoder's output too: call forward(tgt, memory, masks)");
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderMasks& masks) {
  DESCENT_CHECK(memory.defined(), "TransformerDecoderLayer", "memory (the encoder's output) is undefined");
  const auto sa = [&](const Tensor& x) {
    return (*dropout1)(attend(*self_attn, x, x, masks.tgt_mask, masks.tgt_key_padding_mask));
  };
  const auto mha = [&](const Tensor& x) {
    return (*dropout2)(attend(*multihead_attn, x, memory, masks.memory_mask, masks.memory_key_padding_mask));
  };
  const auto ff = [&](const Tensor& x) {
    return (*dropout3)(feed_forward(*linear1, *dropout, *linear2, options.activation, x));
  };
  const Tensor x = residual(tgt, *norm1, options.norm_first, sa);
  const Tensor y = residual(x, *norm2, options.norm_first, mha);
  return residual(y, *norm3, options.norm_first, ff);
}

std::string TransformerDecoderLayer::describe() const {
  return "TransformerDecoderLayer(" + layer_settings(d_model, nhead, options) + ")";
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoderLayer::clone() const { return copy_of(*this, *gen_); }

// --- TransformerEncoder / TransformerDecoder ------------------------------------------------

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& layer, std::size_t num_layers,
                                       std::shared_ptr<LayerNorm> norm)
    : TransformerEncoder([&layer] { return layer.clone(); }, num_layers, std::move(norm)) {}

TransformerEncoder::TransformerEncoder(const std::function<std::shared_ptr<TransformerEncoderLayer>()>& make_layer,
                                       std::size_t num_layers, std::shared_ptr<LayerNorm> norm)
    : norm(std::move(norm)) {
  build_layers(*register_module("layers", std::make_shared<LayerList>()), make_layer, num_layers, layers,
               "TransformerEncoder");
  if (this->norm) register_module("norm", this->norm);
}

Tensor TransformerEncoder::forward(const Tensor& src) { return forward(src, TransformerEncoderMasks{}); }

Tensor TransformerEncoder::forward(const Tensor& src, const TransformerEncoderMasks& masks) {
  Tensor x = src;
  for (const auto& layer : layers) x = layer->forward(x, masks);
  return norm ? (*norm)(x) : x;
}

std::string TransformerEncoder::describe() const {
  return stack_description("TransformerEncoder", layers.size(), norm != nullptr);
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& layer, std::size_t num_layers,
                                       std::shared_ptr<LayerNorm> norm)
    : TransformerDecoder([&layer] { return layer.clone(); }, num_layers, std::move(norm)) {}

TransformerDecoder::TransformerDecoder(const std::function<std::shared_ptr<TransformerDecoderLayer>()>& make_layer,
                                       std::size_t num_layers, std::shared_ptr<LayerNorm> norm)
    : norm(std::move(norm)) {
  build_layers(*register_module("layers", std::make_shared<LayerList>()), make_layer, num_layers, layers,
               "TransformerDecoder");
  if (this->norm) register_module("norm", this->norm);
}

Tensor TransformerDecoder::forward(const Tensor&) {
  throw Error("TransformerDecoder: needs the encoder's output too: call forward(tgt, memory, masks)");
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderMasks& masks) {
  Tensor x = tgt;
  for (const auto& layer : layers) x = layer->forward(x, memory, masks);
  return norm ? (*norm)(x) : x;
}

std::string TransformerDecoder::describe() const {
  return stack_description("TransformerDecoder", layers.size(), norm != nullptr);
}

// --- Transformer -------------------------------------------------------------------------------

Transformer::Transformer(TransformerOptions options, Generator& gen) : options(options) {
  const TransformerLayerOptions layer{.dim_feedforward = options.dim_feedforward,
                                      .dropout = options.dropout,
                                      .activation = options.activation,
                                      .layer_norm_eps = options.layer_norm_eps,
                                      .batch_first = options.batch_first,
                                      .norm_first = options.norm_first,
                                      .dtype = options.dtype};
  const LayerNormOptions norm{.eps = options.layer_norm_eps, .dtype = options.dtype};
  const Shape features{options.d_model};
  encoder = register_module("encoder", std::make_shared<TransformerEncoder>(
                                           TransformerEncoderLayer(options.d_model, options.nhead, layer, gen),
                                           options.num_encoder_layers, std::make_shared<LayerNorm>(features, norm)));
  decoder = register_module("decoder", std::make_shared<TransformerDecoder>(
                                           TransformerDecoderLayer(options.d_model, options.nhead, layer, gen),
                                           options.num_decoder_layers, std::make_shared<LayerNorm>(features, norm)));
  for (Tensor p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p, 1, gen);
}

Tensor Transformer::forward(const Tensor&) {
  throw Error("Transformer: needs a source and a target: call forward(src, tgt, masks)");
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const TransformerMasks& masks) {
  DESCENT_CHECK((src.dim() == 2 || src.dim() == 3) && tgt.dim() == src.dim(), "Transformer",
                "expected src and tgt both 3-D (batched) or both 2-D (unbatched), got src ", to_string(src.shape()),
                " and tgt ", to_string(tgt.shape()));
  const std::ptrdiff_t batch_axis = options.batch_first ? 0 : 1;
  DESCENT_CHECK(src.dim() == 2 || src.size(batch_axis) == tgt.size(batch_axis), "Transformer",
                "the batch number of src and tgt must be equal, got src ", to_string(src.shape()), " and tgt ",
                to_string(tgt.shape()), options.batch_first ? " (batch_first)" : "");
  DESCENT_CHECK(src.size(-1) == options.d_model && tgt.size(-1) == options.d_model, "Transformer",
                "the feature number of src and tgt must be equal to d_model (", options.d_model, "), got src ",
                to_string(src.shape()), " and tgt ", to_string(tgt.shape()));
  const Tensor memory = encoder->forward(src, {masks.src_mask, masks.src_key_padding_mask});
  return decoder->forward(tgt, memory,
                          {masks.tgt_mask, masks.memory_mask, masks.tgt_key_padding_mask, masks.memory_key_padding_mask});
}

std::string Transformer::describe() const {
  std::ostringstream out;
  out << "Transformer(d_model=" << options.d_model << ", nhead=" << options.nhead
      << ", num_encoder_layers=" << options.num_encoder_layers << ", num_decoder_layers=" << options.num_decoder_layers
      << ")";
  return out.str();
}

Tensor Transformer::generate_square_subsequent_mask(std::size_t size, Dtype dtype) {
  DESCENT_CHECK(is_floating(dtype), "generate_square_subsequent_mask", "expected a floating dtype, got ",
                to_string(dtype));
  xt::xarray<double> mask = xt::zeros<double>({size, size});
  for (std::size_t i = 0; i < size; ++i)
    for (std::size_t j = i + 1; j < size; ++j) mask(i, j) = -std::numeric_limits<double>::infinity();
  return tensor(mask, dtype);
}

}  // namespace descent::nn
