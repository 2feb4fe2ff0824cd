#pragma once
// char_lstm's network: Embedding(V, 64) -> LSTM(64 -> 128, 2 layers, batch_first) -> Linear(128, V)
// (test_onnx_export exports it too).
#include <memory>

#include <descent/descent.hpp>

namespace char_lstm {

using namespace descent;

/// Ids (B, T) -> next-character logits (B, T, V).
class CharLSTM : public nn::Module {
 public:
  CharLSTM(std::size_t vocab, std::size_t embedding, std::size_t hidden, Generator& gen) {
    embed = register_module("embed", std::make_shared<nn::Embedding>(vocab, embedding, nn::EmbeddingOptions{}, gen));
    lstm = register_module("lstm", std::make_shared<nn::LSTM>(embedding, hidden,
                                                              nn::LSTMOptions{.num_layers = 2, .batch_first = true}, gen));
    head = register_module("head", std::make_shared<nn::Linear>(hidden, vocab, nn::LinearOptions{}, gen));
  }
  Tensor forward(const Tensor& ids) override { return (*head)((*lstm)((*embed)(ids))); }

  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
};

}  // namespace char_lstm
