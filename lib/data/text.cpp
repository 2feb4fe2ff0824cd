#include "descent/data/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "data/io.hpp"
#include "detail/dispatch.hpp"

namespace descent::data {

namespace {

constexpr std::string_view vocabulary_magic = "descent-char-vocabulary 1";

/// 'a' (0x61) for a printable byte, 0x0a for another.
std::string describe_byte(unsigned char byte) {
  char out[16];
  if (byte >= 0x20 && byte < 0x7f)
    std::snprintf(out, sizeof out, "'%c' (0x%02x)", byte, byte);
  else
    std::snprintf(out, sizeof out, "0x%02x", byte);
  return out;
}

}  // namespace

// --- CharVocabulary ----------------------------------------------------------------------------

CharVocabulary::CharVocabulary(std::string symbols) : symbols_(std::move(symbols)) {
  DESCENT_CHECK(!symbols_.empty(), "CharVocabulary", "no symbols: a vocabulary needs at least one byte");
  ids_.fill(-1);
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const auto byte = static_cast<unsigned char>(symbols_[i]);
    DESCENT_CHECK(ids_[byte] < 0, "CharVocabulary", "byte ", describe_byte(byte), " is given twice (symbols ",
                  ids_[byte], " and ", i, ")");
    ids_[byte] = static_cast<std::int16_t>(i);
  }
}

CharVocabulary CharVocabulary::from_text(std::string_view text) {
  DESCENT_CHECK(!text.empty(), "CharVocabulary::from_text", "empty text: no bytes to build a vocabulary from");
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  std::string symbols;
  for (std::size_t b = 0; b < seen.size(); ++b)
    if (seen[b]) symbols.push_back(static_cast<char>(b));
  return CharVocabulary(std::move(symbols));
}

CharVocabulary CharVocabulary::all_bytes() {
  std::string symbols(256, '\0');
  for (std::size_t b = 0; b < symbols.size(); ++b) symbols[b] = static_cast<char>(b);
  return CharVocabulary(std::move(symbols));
}

std::int64_t CharVocabulary::id(char byte) const {
  DESCENT_CHECK(contains(byte), "CharVocabulary", "byte ", describe_byte(static_cast<unsigned char>(byte)),
                " is not in the vocabulary of ", size(), " symbols");
  return ids_[static_cast<unsigned char>(byte)];
}

Tensor CharVocabulary::encode(std::string_view text) const {
  Tensor out = empty({text.size()}, int64);
  std::int64_t* ids = out.data<std::int64_t>();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    DESCENT_CHECK(ids_[byte] >= 0, "CharVocabulary::encode", "byte ", describe_byte(byte), " at position ", i,
                  " is not in the vocabulary of ", size(), " symbols (build it from all the text, or use all_bytes())");
    ids[i] = ids_[byte];
  }
  return out;
}

std::string CharVocabulary::decode(const Tensor& ids) const {
  DESCENT_CHECK(ids.defined() && ids.dtype() == int64, "CharVocabulary::decode", "ids must be an int64 tensor, got ",
                ids.defined() ? descent::to_string(ids.dtype()) : std::string("an undefined tensor"));
  const Tensor values = detail::contiguous_values(ids);
  const std::int64_t* data = values.data<std::int64_t>();
  std::string text(values.numel(), '\0');
  for (std::size_t i = 0; i < text.size(); ++i) {
    DESCENT_CHECK(data[i] >= 0 && static_cast<std::size_t>(data[i]) < size(), "CharVocabulary::decode", "id ",
                  data[i], " at position ", i, " is outside [0, ", size(), ") for a vocabulary of ", size(), " symbols");
    text[i] = symbols_[static_cast<std::size_t>(data[i])];
  }
  return text;
}

std::string CharVocabulary::to_string() const {
  std::ostringstream out;
  out << vocabulary_magic << '\n' << size() << '\n';
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(symbols_[i]));
    out << hex << (i + 1 < symbols_.size() ? ' ' : '\n');
  }
  return out.str();
}

CharVocabulary CharVocabulary::parse(std::string_view contents, const std::string& name) {
  const char* op = "CharVocabulary::load";
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < contents.size();) {
    const std::size_t end = contents.find('\n', at);
    DESCENT_CHECK(end != std::string_view::npos, op, name, ": line ", lines.size() + 1, " does not end with a newline");
    lines.push_back(contents.substr(at, end - at));
    at = end + 1;
  }
  DESCENT_CHECK(!lines.empty() && lines[0] == vocabulary_magic, op, name,
                ": not a descent character vocabulary (the first line must be \"", vocabulary_magic, "\")");
  DESCENT_CHECK(lines.size() == 3, op, name, ": expected 3 lines (header, size, bytes), got ", lines.size());
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(lines[1].data(), lines[1].data() + lines[1].size(), count);
  DESCENT_CHECK(error == std::errc() && end == lines[1].data() + lines[1].size() && count >= 1 && count <= 256, op, name,
                ": line 2 must be the number of symbols (1 to 256), got \"", lines[1], "\"");
  const std::string_view hex = lines[2];
  DESCENT_CHECK(hex.size() == 3 * count - 1, op, name, ": line 3 must hold ", count,
                " bytes as two hexadecimal digits each, separated by spaces (", 3 * count - 1, " characters), got ",
                hex.size(), " characters");
  std::string symbols(count, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    unsigned value = 0;
    const char* first = hex.data() + 3 * i;
    const auto parsed = std::from_chars(first, first + 2, value, 16);
    DESCENT_CHECK(parsed.ec == std::errc() && parsed.ptr == first + 2 && (i + 1 == count || first[2] == ' '), op, name,
                  ": line 3: symbol ", i, " is not two hexadecimal digits followed by a space: \"",
                  hex.substr(3 * i, 3), "\"");
    symbols[i] = static_cast<char>(value);
  }
  try {
    return CharVocabulary(std::move(symbols));
  } catch (const Error& e) {
    throw Error(detail::concat(op, ": ", name, ": ", e.what()));
  }
}

void CharVocabulary::save(const std::filesystem::path& path) const {
  detail::write_file(path, to_string(), "CharVocabulary::save");
}

CharVocabulary CharVocabulary::load(const std::filesystem::path& path) {
  return parse(detail::read_bytes(path, "CharVocabulary::load"), path.string());
}

// --- TextWindowDataset -------------------------------------------------------------------------

TextWindowDataset::TextWindowDataset(const Tensor& ids, std::size_t context, std::size_t stride)
    : TextWindowDataset(
          [&] {
            DESCENT_CHECK(ids.defined() && ids.dtype() == int64 && ids.dim() == 1, "TextWindowDataset",
                          "ids must be an int64 tensor of shape (n), got ",
                          ids.defined() ? descent::to_string(ids.shape()) + " " + descent::to_string(ids.dtype())
                                        : std::string("an undefined tensor"));
            return detail::contiguous_values(ids).detach();
          }(),
          0, ids.defined() ? ids.numel() : 0, context, stride) {}

TextWindowDataset::TextWindowDataset(std::string_view text, const CharVocabulary& vocabulary, std::size_t context,
                                     std::size_t stride)
    : TextWindowDataset(vocabulary.encode(text), context, stride) {}

TextWindowDataset::TextWindowDataset(Tensor ids, std::size_t begin, std::size_t end, std::size_t context,
                                     std::size_t stride)
    : ids_(std::move(ids)), begin_(begin), end_(end), context_(context), stride_(stride) {
  DESCENT_CHECK(context > 0, "TextWindowDataset", "context must be positive, got 0");
  DESCENT_CHECK(stride > 0, "TextWindowDataset", "stride must be positive, got 0");
  DESCENT_CHECK(end - begin >= context + 1, "TextWindowDataset", "a text of ", end - begin,
                " tokens is too short for one window of context ", context, " (it needs context + 1 = ", context + 1,
                " tokens: the targets are the inputs shifted by one)");
}

std::size_t TextWindowDataset::size() const { return (num_tokens() - context_ - 1) / stride_ + 1; }

const std::int64_t* TextWindowDataset::window(std::size_t index) const {
  DESCENT_CHECK(index < size(), "TextWindowDataset", "index ", index, " out of range for a dataset of ", size(),
                " windows");
  return ids_.data<std::int64_t>() + begin_ + index * stride_;
}

Batch TextWindowDataset::get(std::size_t index) const {
  const std::int64_t* start = window(index);
  return {from_buffer(start, {context_}), from_buffer(start + 1, {context_})};
}

Batch TextWindowDataset::get_batch(const std::vector<std::size_t>& indices) const {
  DESCENT_CHECK(!indices.empty(), "get_batch", "no indices: a batch needs at least one example");
  Batch batch{empty({indices.size(), context_}, int64), empty({indices.size(), context_}, int64)};
  std::int64_t* inputs = batch.inputs.data<std::int64_t>();
  std::int64_t* targets = batch.targets.data<std::int64_t>();
  const std::size_t bytes = context_ * sizeof(std::int64_t);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::int64_t* start = window(indices[k]);
    std::memcpy(inputs + k * context_, start, bytes);
    std::memcpy(targets + k * context_, start + 1, bytes);
  }
  return batch;
}

std::pair<TextWindowDataset, TextWindowDataset> TextWindowDataset::split(double validation_fraction) const {
  DESCENT_CHECK(validation_fraction > 0 && validation_fraction < 1, "TextWindowDataset::split",
                "invalid validation_fraction ", validation_fraction, " (must be in (0, 1))");
  const auto held_out = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(num_tokens())));
  const std::size_t cut = end_ - held_out;
  const std::size_t needed = context_ + 1;
  DESCENT_CHECK(cut - begin_ >= needed && held_out >= needed, "TextWindowDataset::split", "split(",
                validation_fraction, ") of ", num_tokens(), " tokens gives ", cut - begin_, " training and ", held_out,
                " validation tokens, but each part needs context + 1 = ", needed, " for one window");
  return {TextWindowDataset(ids_, begin_, cut, context_, stride_), TextWindowDataset(ids_, cut, end_, context_, stride_)};
}

// --- read_text_files ---------------------------------------------------------------------------

namespace {

/// `bytes` with every line equal to `separator` made empty.
std::string blank_separator_lines(const std::string& bytes, const std::string& separator) {
  if (separator.empty()) return bytes;
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size();) {
    std::size_t end = bytes.find('\n', at);
    const bool newline = end != std::string::npos;
    if (!newline) end = bytes.size();
    const std::string_view line(bytes.data() + at, end - at);
    if (line != separator) out += line;
    if (newline) out += '\n';
    at = end + 1;
  }
  return out;
}

bool has_suffix(const std::string& name, const std::vector<std::string>& suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](const std::string& suffix) {
    return !suffix.empty() && name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  });
}

}  // namespace

std::string read_text_files(const std::vector<std::filesystem::path>& paths, const ReadTextOptions& options) {
  const char* op = "read_text_files";
  DESCENT_CHECK(!paths.empty(), op, "no paths given");
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);  // read_bytes reports a missing or unreadable file
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.is_regular_file(ec) && !has_suffix(entry.path().filename().string(), options.skip_suffixes))
        found.push_back(entry.path());
    DESCENT_CHECK(!ec, op, "cannot list ", path.string(), " (", ec.message(), ")");
    DESCENT_CHECK(!found.empty(), op, path.string(), " is a directory without files to read");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  std::string text;
  std::set<std::filesystem::path> read;
  for (const auto& file : files) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(file, ec);
    if (!ec && !read.insert(canonical).second) continue;  // a link to a file already read
    std::string bytes = blank_separator_lines(detail::read_bytes(file, op), options.separator_line);
    if (!bytes.empty() && bytes.back() != '\n') bytes += '\n';
    text += bytes;
  }
  DESCENT_CHECK(!text.empty(), op, "the files hold no text (", files.size(), files.size() == 1 ? " file" : " files",
                ", all empty)");
  return text;
}

}  // namespace descent::data
