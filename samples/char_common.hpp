#pragma once
// What the two character-model samples (char_transformer, char_lstm) share: their flags, the text
// (Debian's fortunes, /usr/share/games/fortunes/, as bytes), the training loop that prints train and
// validation loss in bits per character per epoch against the unigram baseline, and sampling text
// from a prompt with temperature and top-k.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "onnx_export.hpp"
#include "descent/descent.hpp"

namespace chars {

using namespace descent;
namespace fs = std::filesystem;

struct Settings {
  fs::path data_dir = "/usr/share/games/fortunes";
  int epochs = 6;
  std::size_t steps = 150;  // optimizer steps per epoch
  std::size_t batch_size = 32;
  std::size_t context = 64;
  double lr = 2e-3;
  std::uint64_t seed = 0;
  std::size_t limit = 0;    // 0: the whole text; else its first `limit` bytes (a quick run)
  std::size_t val_chars = 65536;  // characters of the validation text evaluated (0: all)
  std::string prompt = "The ";
  std::size_t generate = 400;  // characters to sample after training
  double temperature = 0.8;
  std::size_t top_k = 20;
  fs::path save, load;      // model checkpoints (.npz; the vocabulary beside it, FILE.vocab)
  fs::path export_onnx;     // the trained model as ONNX (token ids (batch, context) -> logits)
};

/// The usage line the character samples share.
inline const std::string flags =
    "[--data-dir DIR] [--epochs N] [--steps N] [--batch-size N] [--lr X] [--seed N] [--limit N] [--val-chars N] "
    "[--prompt TEXT] [--generate N] [--temperature X] [--top-k N] [--save FILE.npz] [--load FILE.npz] "
    "[--export FILE.onnx]";

/// The settings from the command line; a wrong flag or value is a usage error.
inline Settings parse(int argc, char** argv, const char* program) {
  Settings s;
  samples::parse_flags(
      argc, argv, program, flags,
      [&](const std::string& flag, const samples::Value& value) {
        if (flag == "--data-dir") s.data_dir = value.text;
        else if (flag == "--save") s.save = value.text;
        else if (flag == "--load") s.load = value.text;
        else if (flag == "--export") s.export_onnx = value.text;
        else if (flag == "--prompt") s.prompt = value.text;
        else if (flag == "--epochs") s.epochs = static_cast<int>(value.integer(0));
        else if (flag == "--steps") s.steps = static_cast<std::size_t>(value.integer(1));
        else if (flag == "--batch-size") s.batch_size = static_cast<std::size_t>(value.integer(1));
        else if (flag == "--limit") s.limit = static_cast<std::size_t>(value.integer(1));
        else if (flag == "--val-chars") s.val_chars = static_cast<std::size_t>(value.integer(0));
        else if (flag == "--seed") s.seed = static_cast<std::uint64_t>(value.integer(0));
        else if (flag == "--generate") s.generate = static_cast<std::size_t>(value.integer(0));
        else if (flag == "--top-k") s.top_k = static_cast<std::size_t>(value.integer(0));
        else if (flag == "--lr") s.lr = value.number(true);
        else s.temperature = value.number(true);  // --temperature
      },
      [](const std::string&) {});
  if (s.prompt.empty()) samples::usage(program, flags, "--prompt must not be empty");
  samples::check_can_export(s.export_onnx);
  return s;
}

/// log2 of e: nats to bits.
inline constexpr double bits_per_nat = 1.4426950408889634;

/// Bits per character of `ids` under the byte frequencies of `train` (add-one smoothed): what a
/// model that ignores context achieves, the baseline a sequence model must beat.
inline double unigram_bpc(const Tensor& train, const Tensor& ids, std::size_t vocab) {
  std::vector<double> count(vocab, 1.0);
  const auto* t = train.contiguous().data<std::int64_t>();
  for (std::size_t i = 0; i < train.numel(); ++i) count[static_cast<std::size_t>(t[i])] += 1;
  const double total = std::accumulate(count.begin(), count.end(), 0.0);
  const Tensor c = ids.contiguous();
  const auto* v = c.data<std::int64_t>();
  double bits = 0;
  for (std::size_t i = 0; i < c.numel(); ++i) bits -= std::log2(count[static_cast<std::size_t>(v[i])] / total);
  return bits / static_cast<double>(c.numel());
}

/// Cross-entropy of next-character logits (B, T, V) against targets (B, T), in nats.
inline Tensor next_char_loss(const Tensor& logits, const Tensor& targets) {
  const auto rows = static_cast<std::ptrdiff_t>(targets.numel()), V = static_cast<std::ptrdiff_t>(logits.size(2));
  return cross_entropy(reshape(logits, {rows, V}), reshape(targets, {rows}));
}

/// Mean loss in bits per character over every batch of `loader` (evaluation mode, no tape).
inline double evaluate_bpc(nn::Module& model, data::DataLoader& loader) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  double nats = 0;
  std::size_t n = 0;
  for (const auto& batch : loader) {
    nats += next_char_loss(model(batch.inputs), batch.targets).item<double>() * static_cast<double>(batch.targets.numel());
    n += batch.targets.numel();
  }
  model.train(was_training);
  return bits_per_nat * nats / static_cast<double>(n);
}

/// Continues `prompt` by `count` characters: each drawn from the model's next-character
/// distribution at `temperature`, restricted to the `top_k` likeliest (0: all), the model reading
/// at most its last `context` characters.
inline std::string generate(nn::Module& model, const data::CharVocabulary& vocab, const std::string& prompt,
                            std::size_t count, std::size_t context, double temperature, std::size_t top_k,
                            Generator& gen) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const Tensor encoded = vocab.encode(prompt);
  std::vector<std::int64_t> ids(encoded.data<std::int64_t>(), encoded.data<std::int64_t>() + encoded.numel());
  std::string out = prompt;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = std::min(context, ids.size());
    Tensor window = empty({1, n}, int64);
    std::copy(ids.end() - static_cast<std::ptrdiff_t>(n), ids.end(), window.data<std::int64_t>());
    const Tensor logits = model(window);  // (1, n, V): the last position predicts the next character
    const Tensor last = reshape(narrow(logits, 1, static_cast<std::ptrdiff_t>(n) - 1, 1), {-1}).to(float64);
    const std::vector<double> p(last.data<double>(), last.data<double>() + last.numel());
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    const std::size_t keep = top_k == 0 ? p.size() : std::min(top_k, p.size());
    std::vector<double> weight(keep);
    for (std::size_t j = 0; j < keep; ++j) weight[j] = std::exp((p[order[j]] - p[order[0]]) / temperature);
    double u = gen.uniform() * std::accumulate(weight.begin(), weight.end(), 0.0);
    std::size_t pick = 0;
    while (pick + 1 < keep && (u -= weight[pick]) > 0) ++pick;
    ids.push_back(static_cast<std::int64_t>(order[pick]));
    out += vocab.decode(full({1}, static_cast<double>(order[pick]), int64));
  }
  model.train(was_training);
  return out;
}


/// A training run: the text, its vocabulary, the loaders over training and validation windows, and
/// the loop that trains a model, reports bits per character and samples from it.
class Run {
 public:
  Run(const char* program, const Settings& s) : program_(program), s_(s), start_(std::chrono::steady_clock::now()) {
    // Fortune files separate fortunes by lines holding "%": those become empty lines.
    std::string text = data::read_text_files({s.data_dir}, {.separator_line = "%"});
    if (s.limit > 0 && s.limit < text.size()) text.resize(s.limit);
    vocab = s.load.empty() ? data::CharVocabulary::from_text(text) : data::CharVocabulary::load(vocabulary_path(s.load));
    // Every position starts a training window; validation (the last 10% of the text) is read once,
    // window after window.
    auto [train, val] = data::TextWindowDataset(vocab.encode(text), s.context).split(0.1);
    const std::size_t n = text.size(), n_val = val.num_tokens();
    train_ids = narrow(train.ids(), 0, static_cast<std::ptrdiff_t>(train.first_token()), train.num_tokens());
    // Validation reads its first --val-chars characters (all of them with 0), window after window.
    const std::size_t n_eval = s.val_chars == 0 ? n_val : std::min(n_val, s.val_chars + 1);
    val_ids = narrow(val.ids(), 0, static_cast<std::ptrdiff_t>(val.first_token()), n_eval);
    train_loader = std::make_unique<data::DataLoader>(std::make_shared<data::TextWindowDataset>(train),
                                                      data::DataLoaderOptions{.batch_size = s.batch_size, .shuffle = true},
                                                      s.seed);
    val_loader = std::make_unique<data::DataLoader>(
        std::make_shared<data::TextWindowDataset>(val_ids, s.context, s.context),
        data::DataLoaderOptions{.batch_size = s.batch_size});
    unigram = unigram_bpc(train_ids, narrow(val_ids, 0, 1, n_eval - 1), vocab.size());
    std::printf("%s: %zu bytes of text from %s (the last %zu for validation, %zu of them evaluated), %zu distinct; "
                "unigram baseline %.3f bits/char\n",
                program, n, s.data_dir.c_str(), n_val, n_eval - 1, vocab.size(), unigram);
  }

  /// Trains `model` (logits (B, T, V) from ids (B, T)) and samples from it; returns main's exit code.
  int train_and_sample(nn::Module& model, Generator& gen) {
    if (!s_.load.empty()) {
      io::load(model, s_.load);
      std::printf("loaded %s\n", s_.load.c_str());
    }
    std::printf("%zu parameters; %d epochs of %zu steps, batch %zu x %zu characters\n", model.num_parameters(),
                s_.epochs, s_.steps, s_.batch_size, s_.context);
    optim::AdamW opt(model.parameters(), {.lr = s_.lr, .weight_decay = 0.01});
    // A linear warm-up over the first 5% of the steps, then a cosine decay to 0 (per batch).
    const auto total = static_cast<std::int64_t>(std::max<std::size_t>(s_.steps * s_.epochs, 1));
    const std::int64_t warmup = std::max<std::int64_t>(total / 20, 1);
    optim::LinearLR warm(opt, {.start_factor = 0.01, .end_factor = 1.0, .total_iters = warmup});
    optim::CosineAnnealingLR decay(opt, std::max<std::int64_t>(total - warmup, 1));
    optim::SequentialLR schedule(opt, {&warm, &decay}, {warmup});
    double val = evaluate_bpc(model, *val_loader);
    std::printf("epoch 0: val %.3f bits/char\n", val);
    auto batch = train_loader->begin();
    for (int epoch = 1; epoch <= s_.epochs; ++epoch) {
      double nats = 0;
      for (std::size_t step = 0; step < s_.steps; ++step, ++batch) {
        if (batch == train_loader->end()) batch = train_loader->begin();
        opt.zero_grad();
        Tensor loss = next_char_loss(model(batch->inputs), batch->targets);
        loss.backward();
        optim::clip_grad_norm(model.parameters(), 1.0);
        opt.step();
        schedule.step();
        nats += loss.item<double>();
      }
      val = evaluate_bpc(model, *val_loader);
      std::printf("epoch %d: train %.3f  val %.3f bits/char (unigram %.3f)  lr %.2e  %.1f s\n", epoch,
                  bits_per_nat * nats / static_cast<double>(s_.steps), val, unigram, schedule.get_last_lr()[0],
                  seconds());
      std::fflush(stdout);
    }
    if (s_.generate > 0) {
      std::printf("--- sampled (temperature %.2f, top-k %zu) ---\n%s\n---\n", s_.temperature, s_.top_k,
                  generate(model, vocab, s_.prompt, s_.generate, s_.context, s_.temperature, s_.top_k, gen).c_str());
    }
    if (!s_.save.empty()) {
      io::save(model, s_.save);
      vocab.save(vocabulary_path(s_.save));
      std::printf("saved %s and %s\n", s_.save.c_str(), vocabulary_path(s_.save).c_str());
    }
    if (!s_.export_onnx.empty()) samples::export_onnx(model, {zeros({2, s_.context}, int64)}, s_.export_onnx);
    std::printf("val_bpc=%.4f unigram_bpc=%.4f seconds=%.1f\n", val, unigram, seconds());
    return 0;
  }

  data::CharVocabulary vocab = data::CharVocabulary::all_bytes();
  Tensor train_ids, val_ids;
  std::unique_ptr<data::DataLoader> train_loader, val_loader;
  double unigram = 0;

 private:
  static fs::path vocabulary_path(const fs::path& model) { return model.string() + ".vocab"; }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  const char* program_;
  Settings s_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace chars
