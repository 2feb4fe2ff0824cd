#pragma once
// Text for character-level language models: a byte vocabulary, sliding windows of (input, next
// token) pairs as a Dataset, and a reader for text files (fortune files included).
//
//   std::string text = data::read_text_files({"/usr/share/games/fortunes"}, {.separator_line = "%"});
//   auto vocab = data::CharVocabulary::from_text(text);        // the bytes that occur, sorted
//   vocab.save("vocab.txt");                                    // keep it with the model's weights
//   data::TextWindowDataset all(vocab.encode(text), 64);        // every window of 64 tokens
//   auto [train, validation] = all.split(0.1);                 // the last 10% of the text validates
//   data::DataLoader loader(std::make_shared<data::TextWindowDataset>(train), {.batch_size = 32, .shuffle = true});
//   // batch.inputs and batch.targets: int64 (32, 64), targets = inputs shifted by one token
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/tensor.hpp"

namespace descent::data {

/// A vocabulary of bytes (characters of ASCII text; UTF-8 text is seen byte by byte): symbol k is
/// the k-th smallest byte of the set, so ids are stable for a given set of bytes.
class CharVocabulary {
 public:
  /// The sorted set of bytes that occur in `text`; an empty text is an error.
  static CharVocabulary from_text(std::string_view text);
  /// All 256 bytes, id = byte value: encodes anything.
  static CharVocabulary all_bytes();
  /// The given bytes as symbols, in this order (each at most once; at least one).
  explicit CharVocabulary(std::string symbols);

  /// The number of symbols.
  std::size_t size() const { return symbols_.size(); }
  /// The symbols, by id.
  const std::string& symbols() const { return symbols_; }
  bool contains(char byte) const { return ids_[static_cast<unsigned char>(byte)] >= 0; }
  /// The id of a byte; throws if it is not a symbol.
  std::int64_t id(char byte) const;

  /// The ids of the bytes of `text`, an int64 tensor of shape (text.size()). A byte outside the
  /// vocabulary is an error naming it and its position.
  Tensor encode(std::string_view text) const;
  /// The bytes of int64 ids of any shape (row-major); an id outside [0, size()) is an error.
  std::string decode(const Tensor& ids) const;

  /// The vocabulary as a small text file (bytes in hexadecimal, see to_string()), written
  /// atomically (temporary file + rename, as checkpoints are).
  void save(const std::filesystem::path& path) const;
  /// Reads what save() wrote; errors name the file.
  static CharVocabulary load(const std::filesystem::path& path);
  /// The file's contents: "descent-char-vocabulary 1\n<size>\n<hex bytes separated by spaces>\n".
  std::string to_string() const;
  /// The in-memory twin of load(): `name` is the file named by errors.
  static CharVocabulary parse(std::string_view contents, const std::string& name = "<memory>");

  bool operator==(const CharVocabulary& other) const { return symbols_ == other.symbols_; }

 private:
  std::string symbols_;
  std::array<std::int16_t, 256> ids_;  ///< -1: not a symbol
};

/// Sliding windows over a 1-D sequence of int64 token ids, for next-token prediction: example i is
///   inputs  = ids[i * stride     .. i * stride + context)
///   targets = ids[i * stride + 1 .. i * stride + context + 1)
/// both int64 of shape (context); a DataLoader batches them to (batch, context). stride = 1 (the
/// default) gives every window, as sampling a random offset does (nanoGPT); stride = context gives
/// non-overlapping windows (char-rnn). Only whole windows are used: the last one ends at most
/// stride - 1 tokens before the end of the text (no padding), so there are
/// (tokens - context - 1) / stride + 1 examples, and a text of fewer than context + 1 tokens is an
/// error. Copies of a dataset, and the parts of split(), share the ids (no copy of the text).
class TextWindowDataset : public Dataset {
 public:
  /// `ids`: int64 of shape (n); its values are kept (not its autograd history).
  TextWindowDataset(const Tensor& ids, std::size_t context, std::size_t stride = 1);
  /// The text encoded with `vocabulary`.
  TextWindowDataset(std::string_view text, const CharVocabulary& vocabulary, std::size_t context,
                    std::size_t stride = 1);

  std::size_t size() const override;
  Batch get(std::size_t index) const override;
  /// One memcpy per window and part.
  Batch get_batch(const std::vector<std::size_t>& indices) const override;

  /// Splits the tokens by position: the first part for training, the last
  /// round(validation_fraction * tokens) tokens for validation (windows never cross the cut), with
  /// this context and stride; both share the ids. Each part must hold one window.
  std::pair<TextWindowDataset, TextWindowDataset> split(double validation_fraction) const;

  std::size_t context() const { return context_; }
  std::size_t stride() const { return stride_; }
  /// The tokens windows are taken from: [first_token(), first_token() + num_tokens()) of ids().
  std::size_t first_token() const { return begin_; }
  std::size_t num_tokens() const { return end_ - begin_; }
  /// All the ids (shared by the parts of a split).
  const Tensor& ids() const { return ids_; }

 private:
  TextWindowDataset(Tensor ids, std::size_t begin, std::size_t end, std::size_t context, std::size_t stride);
  const std::int64_t* window(std::size_t index) const;

  Tensor ids_;
  std::size_t begin_ = 0, end_ = 0, context_ = 0, stride_ = 1;
};

struct ReadTextOptions {
  /// A line holding only this (fortune files: "%", between two fortunes) becomes an empty line;
  /// empty: lines are kept as they are.
  std::string separator_line{};
  /// Files of a directory whose names end in one of these are skipped (fortune's .dat indexes).
  std::vector<std::string> skip_suffixes = {".dat"};
};

/// The bytes of text files, one after the other. Each path is a file or a directory (its regular
/// files, not recursively, in name order, without those named by skip_suffixes); a file reached
/// twice (fortune's name.u8 links to name) is read once. A file not ending in a newline gets one.
/// Errors name the path: missing, unreadable, a directory without files, no bytes at all.
std::string read_text_files(const std::vector<std::filesystem::path>& paths, const ReadTextOptions& options = {});

}  // namespace descent::data
