// A GPT-style character language model (gpt.hpp: the W6 network, width 128, 2 pre-norm blocks of
// 4-head causal self-attention, context 64) trained on Debian's fortunes (the fortune files in
// /usr/share/games/fortunes/, as bytes): AdamW with a linear warm-up then a cosine decay of the
// learning rate (SequentialLR of LinearLR and CosineAnnealingLR, stepped per batch), gradients
// clipped to norm 1. Prints the training and validation loss in bits per character after each
// epoch against the unigram baseline (the byte frequencies alone), then samples text from a prompt.
//
//   char_transformer [--data-dir DIR] [--epochs N] [--steps N] [--batch-size N] [--lr X] [--seed N]
//                    [--limit N] [--val-chars N] [--prompt TEXT] [--generate N] [--temperature X] [--top-k N]
//                    [--save FILE.npz] [--load FILE.npz] [--export FILE.onnx]
//
// The last 10% of the text is the validation set (its first --val-chars characters, 65536 by default,
// are evaluated after each epoch). The last line is machine-readable:
//   val_bpc=<v> unigram_bpc=<u> seconds=<s>
// --save writes the model (io::save) and its vocabulary beside it (FILE.npz.vocab); --load reads both
// before training, and with --epochs 0 the program only evaluates and generates.
#include "../char_common.hpp"
#include "gpt.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const char* program = "char_transformer";
  const chars::Settings s = chars::parse(argc, argv, program);
  chars::Run run(program, s);
  Generator gen(s.seed);
  gpt::GPT model({.vocab = run.vocab.size(), .context = s.context, .width = 128, .heads = 4, .layers = 2}, gen);
  return run.train_and_sample(model, gen);
} catch (const std::exception& e) {
  std::fprintf(stderr, "char_transformer: %s\n", e.what());
  return 1;
}
