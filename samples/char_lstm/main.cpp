// A character language model with a 2-layer LSTM, on the same text, the same schedule and the same
// report as char_transformer (../char_common.hpp), so their figures sit side by side:
//   Embedding(V, 64) -> LSTM(64 -> 128, 2 layers, batch_first) -> Linear(128, V): 0.22M parameters
//   against the transformer's 0.43M (the recurrence runs step after step: a wider one is slow here).
//
//   char_lstm [--data-dir DIR] [--epochs N] [--steps N] [--batch-size N] [--lr X] [--seed N]
//             [--limit N] [--val-chars N] [--prompt TEXT] [--generate N] [--temperature X] [--top-k N]
//             [--save FILE.npz] [--load FILE.npz]
//
// The last line is machine-readable: val_bpc=<v> unigram_bpc=<u> seconds=<s>
#include "../char_common.hpp"

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

int main(int argc, char** argv) try {
  const char* program = "char_lstm";
  const chars::Settings s = chars::parse(argc, argv, program);
  chars::Run run(program, s);
  Generator gen(s.seed);
  CharLSTM model(run.vocab.size(), 64, 128, gen);
  return run.train_and_sample(model, gen);
} catch (const std::exception& e) {
  std::fprintf(stderr, "char_lstm: %s\n", e.what());
  return 1;
}
