#pragma once
// A GPT-style character model (the W6 network, tests/benchmarks/w6_transformer_lm.cpp, times it):
//   token + learned position embedding -> `layers` pre-norm blocks [LayerNorm -> causal multi-head
//   self-attention (q, k, v from one Linear(d, 3d), output Linear(d, d)) -> residual; LayerNorm ->
//   Linear(d, 4d) GELU Linear(4d, d) -> residual] -> LayerNorm -> Linear(d, vocab) logits.
// Written with the public API a user has: nn::Module, the layers and the fused attention op.
#include <cstdint>
#include <memory>
#include <string>

#include <descent/descent.hpp>

namespace gpt {

using namespace descent;

struct Config {
  std::size_t vocab = 96, context = 64, width = 128, heads = 4, layers = 2;
  double dropout = 0;  ///< on the attention probabilities and after each residual branch
};

class Block : public nn::Module {
 public:
  Block(const Config& c, Generator& gen) : heads_(c.heads), dropout_(c.dropout) {
    ln1 = register_module("ln1", std::make_shared<nn::LayerNorm>(Shape{c.width}));
    qkv = register_module("qkv", std::make_shared<nn::Linear>(c.width, 3 * c.width, nn::LinearOptions{}, gen));
    proj = register_module("proj", std::make_shared<nn::Linear>(c.width, c.width, nn::LinearOptions{}, gen));
    ln2 = register_module("ln2", std::make_shared<nn::LayerNorm>(Shape{c.width}));
    fc = register_module("fc", std::make_shared<nn::Linear>(c.width, 4 * c.width, nn::LinearOptions{}, gen));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(4 * c.width, c.width, nn::LinearOptions{}, gen));
    drop = register_module("drop", std::make_shared<nn::Dropout>(c.dropout, gen));
  }

  Tensor forward(const Tensor& x) override {
    const auto B = static_cast<std::ptrdiff_t>(x.size(0)), T = static_cast<std::ptrdiff_t>(x.size(1)),
               C = static_cast<std::ptrdiff_t>(x.size(2)), H = static_cast<std::ptrdiff_t>(heads_);
    // (B, T, 3C) viewed as (3, B, H, T, C/H): q, k and v are strided views the attention reads in place.
    const Tensor parts = permute(reshape((*qkv)(ln1->forward(x)), {B, T, 3, H, C / H}), {2, 0, 3, 1, 4});
    const auto part = [&](std::ptrdiff_t i) { return squeeze(narrow(parts, 0, i, 1), 0); };
    const double p = is_training() ? dropout_ : 0.0;
    const Tensor y = scaled_dot_product_attention(part(0), part(1), part(2), Tensor(), p, /*is_causal=*/true);
    const Tensor h = x + (*drop)((*proj)(reshape(transpose(y, 1, 2), {B, T, C})));
    return h + (*drop)((*fc2)(gelu((*fc)(ln2->forward(h)))));
  }

  std::shared_ptr<nn::LayerNorm> ln1, ln2;
  std::shared_ptr<nn::Linear> qkv, proj, fc, fc2;
  std::shared_ptr<nn::Dropout> drop;

 private:
  std::size_t heads_;
  double dropout_;
};

class GPT : public nn::Module {
 public:
  GPT(const Config& c, Generator& gen) : config(c) {
    tok = register_module("tok", std::make_shared<nn::Embedding>(c.vocab, c.width, nn::EmbeddingOptions{}, gen));
    pos = register_module("pos", std::make_shared<nn::Embedding>(c.context, c.width, nn::EmbeddingOptions{}, gen));
    for (std::size_t i = 0; i < c.layers; ++i)
      blocks.push_back(register_module("block" + std::to_string(i), std::make_shared<Block>(c, gen)));
    ln = register_module("ln", std::make_shared<nn::LayerNorm>(Shape{c.width}));
    head = register_module("head", std::make_shared<nn::Linear>(c.width, c.vocab, nn::LinearOptions{}, gen));
  }

  /// Token ids (B, T), T <= context -> logits (B, T, vocab).
  Tensor forward(const Tensor& ids) override {
    const std::size_t T = ids.size(ids.dim() - 1);
    Tensor x = (*tok)(ids) + (*pos)(arange(static_cast<double>(T), int64));
    for (auto& b : blocks) x = (*b)(x);
    return (*head)(ln->forward(x));
  }

  Config config;
  std::shared_ptr<nn::Embedding> tok, pos;
  std::vector<std::shared_ptr<Block>> blocks;
  std::shared_ptr<nn::LayerNorm> ln;
  std::shared_ptr<nn::Linear> head;
};

}  // namespace gpt
