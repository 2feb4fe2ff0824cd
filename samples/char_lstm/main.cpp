// A character language model with a 2-layer LSTM, on the same text, the same schedule and the same
// report as char_transformer (../char_common.hpp), so their figures sit side by side:
//   Embedding(V, 64) -> LSTM(64 -> 128, 2 layers, batch_first) -> Linear(128, V): 0.22M parameters
//   against the transformer's 0.43M (the recurrence runs step after step: a wider one is slow here).
//
//   char_lstm [--data-dir DIR] [--epochs N] [--steps N] [--batch-size N] [--lr X] [--seed N]
//             [--limit N] [--val-chars N] [--prompt TEXT] [--generate N] [--temperature X] [--top-k N]
//             [--save FILE.npz] [--load FILE.npz] [--export FILE.onnx]
//
// The last line is machine-readable: val_bpc=<v> unigram_bpc=<u> seconds=<s>
#include "../char_common.hpp"
#include "char_lstm.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const char* program = "char_lstm";
  const chars::Settings s = chars::parse(argc, argv, program);
  chars::Run run(program, s);
  Generator gen(s.seed);
  char_lstm::CharLSTM model(run.vocab.size(), 64, 128, gen);
  return run.train_and_sample(model, gen);
} catch (const std::exception& e) {
  std::fprintf(stderr, "char_lstm: %s\n", e.what());
  return 1;
}
