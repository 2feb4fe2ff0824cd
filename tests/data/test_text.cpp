// Text data: the byte vocabulary (encode, decode, save and load), sliding windows of (input, next
// token) pairs, the split by position, batches from a DataLoader, and reading text files.
#include "support/check.hpp"

#include <algorithm>
#include <memory>

#include "data/temp_dir.hpp"
#include "descent/data.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::TempDir;

namespace {

std::vector<std::int64_t> values(const Tensor& t) {
  BOOST_TEST_REQUIRE((t.dtype() == int64));
  return std::vector<std::int64_t>(t.data<std::int64_t>(), t.data<std::int64_t>() + t.numel());
}

using Ids = std::vector<std::int64_t>;

/// ids 0..n-1 (as int64): windows show their positions.
Tensor positions(std::size_t n) { return arange(0, static_cast<double>(n), 1, int64); }

}  // namespace

BOOST_AUTO_TEST_SUITE(char_vocabulary)

BOOST_AUTO_TEST_CASE(built_from_text_is_the_sorted_set_of_its_bytes) {
  const auto vocab = data::CharVocabulary::from_text("hello, world\n");
  BOOST_TEST(vocab.symbols() == std::string("\n ,dehlorw"));
  BOOST_TEST(vocab.size() == 10u);
  BOOST_TEST(vocab.id('\n') == 0);
  BOOST_TEST(vocab.id('w') == 9);
  BOOST_TEST(vocab.contains('o'));
  BOOST_TEST(!vocab.contains('x'));
  const Tensor ids = vocab.encode("hold");
  BOOST_TEST(to_string(ids.shape()) == to_string(Shape{4}));
  BOOST_TEST(values(ids) == (Ids{5, 7, 6, 3}));
  BOOST_TEST(vocab.decode(ids) == "hold");
  BOOST_TEST(vocab.decode(vocab.encode("hello, world\n")) == "hello, world\n");
  BOOST_TEST(vocab.encode("").numel() == 0u);
  // decode takes any shape, row by row
  BOOST_TEST(vocab.decode(reshape(vocab.encode("lower"), {1, 5})) == "lower");
}

BOOST_AUTO_TEST_CASE(all_bytes_encodes_anything_as_its_value) {
  const auto vocab = data::CharVocabulary::all_bytes();
  BOOST_TEST(vocab.size() == 256u);
  const std::string bytes("a\0\xff\x80", 4);
  BOOST_TEST(values(vocab.encode(bytes)) == (Ids{97, 0, 255, 128}));
  BOOST_TEST(vocab.decode(vocab.encode(bytes)) == bytes);
}

BOOST_AUTO_TEST_CASE(saved_and_loaded) {
  TempDir dir("text");
  const auto vocab = data::CharVocabulary::from_text(std::string("Ab\n\0\xe9", 5));
  vocab.save(dir / "vocab.txt");
  BOOST_TEST(testing::read_bytes(dir / "vocab.txt") == "descent-char-vocabulary 1\n5\n00 0a 41 62 e9\n");
  const auto loaded = data::CharVocabulary::load(dir / "vocab.txt");
  BOOST_TEST((loaded == vocab));
  BOOST_TEST(loaded.decode(vocab.encode("bA")) == "bA");
  const auto everything = data::CharVocabulary::all_bytes();
  everything.save(dir / "vocab.txt");  // replaces the file
  BOOST_TEST((data::CharVocabulary::load(dir / "vocab.txt") == everything));
  BOOST_TEST((data::CharVocabulary::parse(vocab.to_string()) == vocab));
  // a symbol order of one's own is kept
  const data::CharVocabulary custom("zyx");
  BOOST_TEST(data::CharVocabulary::parse(custom.to_string()).id('z') == 0);
}

BOOST_AUTO_TEST_CASE(errors) {
  const auto vocab = data::CharVocabulary::from_text("abc");
  check_error([&] { data::CharVocabulary::from_text(""); },
              "CharVocabulary::from_text: empty text: no bytes to build a vocabulary from");
  check_error([&] { vocab.encode("abcd"); },
              "CharVocabulary::encode: byte 'd' (0x64) at position 3 is not in the vocabulary of 3 symbols");
  check_error([&] { vocab.encode("a\nb"); }, "CharVocabulary::encode: byte 0x0a at position 1");
  check_error([&] { vocab.id('z'); }, "CharVocabulary: byte 'z' (0x7a) is not in the vocabulary of 3 symbols");
  check_error([&] { vocab.decode(tensor({0, 3}).to(int64)); },
              "CharVocabulary::decode: id 3 at position 1 is outside [0, 3) for a vocabulary of 3 symbols");
  check_error([&] { vocab.decode(tensor({0, -1}).to(int64)); }, "CharVocabulary::decode: id -1 at position 1");
  check_error([&] { vocab.decode(tensor({0, 1})); }, "CharVocabulary::decode: ids must be an int64 tensor, got float32");
  check_error([&] { data::CharVocabulary(""); }, "CharVocabulary: no symbols");
  check_error([&] { data::CharVocabulary("aba"); }, "CharVocabulary: byte 'a' (0x61) is given twice (symbols 0 and 2)");

  TempDir dir("text");
  check_error([&] { data::CharVocabulary::load(dir / "missing.txt"); },
              "CharVocabulary::load: cannot open " + (dir / "missing.txt").string() + " (no such file)");
  const auto bad = [&](const std::string& contents, const std::string& message) {
    const auto path = dir.write("bad.txt", contents);
    check_error([&] { data::CharVocabulary::load(path); }, "CharVocabulary::load: " + path.string() + ": " + message);
  };
  bad("", "not a descent character vocabulary");
  bad("hello\n", "not a descent character vocabulary (the first line must be \"descent-char-vocabulary 1\")");
  bad("descent-char-vocabulary 1\n2\n61 62", "line 3 does not end with a newline");
  bad("descent-char-vocabulary 1\nx\n61\n", "line 2 must be the number of symbols (1 to 256), got \"x\"");
  bad("descent-char-vocabulary 1\n0\n\n", "line 2 must be the number of symbols (1 to 256), got \"0\"");
  bad("descent-char-vocabulary 1\n3\n61 62\n", "line 3 must hold 3 bytes as two hexadecimal digits each");
  bad("descent-char-vocabulary 1\n2\n61 6g\n", "line 3: symbol 1 is not two hexadecimal digits");
  bad("descent-char-vocabulary 1\n2\n61,62\n", "line 3: symbol 0 is not two hexadecimal digits followed by a space");
  bad("descent-char-vocabulary 1\n2\n61 61\n", "CharVocabulary: byte 'a' (0x61) is given twice");
  bad("descent-char-vocabulary 1\n1\n61\nextra\n", "expected 3 lines (header, size, bytes), got 4");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_window_dataset)

BOOST_AUTO_TEST_CASE(windows_and_next_token_targets) {
  data::TextWindowDataset windows(positions(10), 4);  // stride 1: every window
  BOOST_TEST(windows.size() == 6u);                    // 10 - 4 - 1 + 1
  BOOST_TEST(windows.context() == 4u);
  BOOST_TEST(windows.stride() == 1u);
  const data::Batch first = windows.get(0);
  BOOST_TEST(to_string(first.inputs.shape()) == to_string(Shape{4}));
  BOOST_TEST(values(first.inputs) == (Ids{0, 1, 2, 3}));
  BOOST_TEST(values(first.targets) == (Ids{1, 2, 3, 4}));
  const data::Batch last = windows.get(5);
  BOOST_TEST(values(last.inputs) == (Ids{5, 6, 7, 8}));
  BOOST_TEST(values(last.targets) == (Ids{6, 7, 8, 9}));  // the last token is only a target
  // exactly context + 1 tokens: one window
  BOOST_TEST(data::TextWindowDataset(positions(5), 4).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stride_drops_the_last_partial_window) {
  // 11 tokens, context 3, stride 3: windows at 0, 3, 6; the one at 9 would need tokens 9..12
  data::TextWindowDataset windows(positions(11), 3, 3);
  BOOST_TEST(windows.size() == 3u);
  BOOST_TEST(values(windows.get(2).inputs) == (Ids{6, 7, 8}));
  BOOST_TEST(values(windows.get(2).targets) == (Ids{7, 8, 9}));
  // 13 tokens: the window at 9 fits exactly (targets 10..12)
  data::TextWindowDataset exact(positions(13), 3, 3);
  BOOST_TEST(exact.size() == 4u);
  BOOST_TEST(values(exact.get(3).targets) == (Ids{10, 11, 12}));
  // stride larger than context: windows skip tokens
  data::TextWindowDataset sparse(positions(12), 2, 5);
  BOOST_TEST(sparse.size() == 2u);
  BOOST_TEST(values(sparse.get(1).inputs) == (Ids{5, 6}));
}

BOOST_AUTO_TEST_CASE(from_a_string_and_a_vocabulary) {
  const std::string text = "abcabd";
  const auto vocab = data::CharVocabulary::from_text(text);
  data::TextWindowDataset windows(text, vocab, 2);
  BOOST_TEST(windows.size() == 4u);
  BOOST_TEST(vocab.decode(windows.get(3).inputs) == "ab");
  BOOST_TEST(vocab.decode(windows.get(3).targets) == "bd");
  check_error([&] { data::TextWindowDataset(text, data::CharVocabulary::from_text("abc"), 2); },
              "CharVocabulary::encode: byte 'd' (0x64) at position 5");
}

BOOST_AUTO_TEST_CASE(split_by_position_shares_the_ids) {
  data::TextWindowDataset all(positions(20), 3);
  const auto [train, validation] = all.split(0.25);  // the last 5 tokens validate
  BOOST_TEST(train.first_token() == 0u);
  BOOST_TEST(train.num_tokens() == 15u);
  BOOST_TEST(validation.first_token() == 15u);
  BOOST_TEST(validation.num_tokens() == 5u);
  BOOST_TEST(train.size() == 12u);
  BOOST_TEST(validation.size() == 2u);
  BOOST_TEST(values(train.get(11).targets) == (Ids{12, 13, 14}));  // never crosses the cut
  BOOST_TEST(values(validation.get(0).inputs) == (Ids{15, 16, 17}));
  BOOST_TEST(values(validation.get(1).targets) == (Ids{17, 18, 19}));
  BOOST_TEST(train.ids().is_same(all.ids()));  // no copy of the text
  BOOST_TEST(validation.ids().is_same(all.ids()));
  // a part can be split again
  const auto [train2, held_out] = train.split(0.4);  // 6 of its 15 tokens
  BOOST_TEST(train2.num_tokens() == 9u);
  BOOST_TEST(held_out.first_token() == 9u);
  BOOST_TEST(held_out.size() == 3u);
  BOOST_TEST(values(held_out.get(0).inputs) == (Ids{9, 10, 11}));
}

BOOST_AUTO_TEST_CASE(errors) {
  check_error([&] { data::TextWindowDataset(positions(4), 4); },
              "TextWindowDataset: a text of 4 tokens is too short for one window of context 4 (it needs context + 1 = "
              "5 tokens: the targets are the inputs shifted by one)");
  check_error([&] { data::TextWindowDataset(positions(0), 1); }, "TextWindowDataset: a text of 0 tokens is too short");
  check_error([&] { data::TextWindowDataset(positions(4), 0); }, "TextWindowDataset: context must be positive, got 0");
  check_error([&] { data::TextWindowDataset(positions(4), 2, 0); }, "TextWindowDataset: stride must be positive, got 0");
  check_error([&] { data::TextWindowDataset(positions(4).to(float32), 2); },
              "TextWindowDataset: ids must be an int64 tensor of shape (n), got (4,) float32");
  check_error([&] { data::TextWindowDataset(reshape(positions(4), {2, 2}), 2); },
              "TextWindowDataset: ids must be an int64 tensor of shape (n), got (2,2) int64");
  check_error([&] { data::TextWindowDataset(Tensor(), 2); }, "got an undefined tensor");
  data::TextWindowDataset windows(positions(10), 4);
  check_error([&] { windows.get(6); }, "TextWindowDataset: index 6 out of range for a dataset of 6 windows");
  check_error([&] { windows.get_batch({0, 7}); }, "TextWindowDataset: index 7 out of range");
  check_error([&] { windows.split(0); }, "TextWindowDataset::split: invalid validation_fraction 0 (must be in (0, 1))");
  check_error([&] { windows.split(1); }, "invalid validation_fraction 1");
  check_error([&] { windows.split(0.2); },
              "TextWindowDataset::split: split(0.2) of 10 tokens gives 8 training and 2 validation tokens, but each part "
              "needs context + 1 = 5 for one window");
  check_error([&] { windows.split(0.8); }, "gives 2 training and 8 validation tokens");
}

BOOST_AUTO_TEST_CASE(data_loader_batches_the_windows) {
  auto windows = std::make_shared<data::TextWindowDataset>(positions(12), 3, 2);  // windows at 0, 2, 4, 6, 8
  BOOST_TEST(windows->size() == 5u);
  data::DataLoader loader(windows, {.batch_size = 2});
  BOOST_TEST(loader.size() == 3u);
  std::vector<data::Batch> batches(loader.begin(), loader.end());
  BOOST_TEST_REQUIRE(batches.size() == 3u);
  BOOST_TEST(to_string(batches[0].inputs.shape()) == to_string(Shape{2, 3}));
  BOOST_TEST(to_string(batches[0].targets.shape()) == to_string(Shape{2, 3}));
  BOOST_TEST(values(batches[0].inputs) == (Ids{0, 1, 2, 2, 3, 4}));
  BOOST_TEST(values(batches[0].targets) == (Ids{1, 2, 3, 3, 4, 5}));
  BOOST_TEST(values(batches[2].inputs) == (Ids{8, 9, 10}));  // the last batch holds one window
  BOOST_TEST(values(batches[2].targets) == (Ids{9, 10, 11}));
  // the fast get_batch gives what stacking get() gives
  const data::Batch gathered = windows->get_batch({4, 1});
  BOOST_TEST(values(gathered.inputs) == (Ids{8, 9, 10, 2, 3, 4}));
  BOOST_TEST(values(gathered.targets) == (Ids{9, 10, 11, 3, 4, 5}));
  // shuffled: every window once per pass
  data::DataLoader shuffled(windows, {.batch_size = 2, .shuffle = true}, 7);
  std::vector<std::int64_t> starts;
  for (const data::Batch& batch : shuffled)
    for (std::size_t row = 0; row < batch.inputs.shape()[0]; ++row) starts.push_back(batch.inputs.data<std::int64_t>()[row * 3]);
  std::sort(starts.begin(), starts.end());
  BOOST_TEST(starts == (Ids{0, 2, 4, 6, 8}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(read_text_files)

BOOST_AUTO_TEST_CASE(files_and_directories_of_fortunes) {
  TempDir dir("text");
  std::filesystem::create_directories(dir / "fortunes");
  dir.write("fortunes/b", "second\n%\nthird\n");
  dir.write("fortunes/a", "first\n%\n");
  dir.write("fortunes/a.dat", std::string("\0\0\0\x02index", 9));  // strfile's index: skipped
  std::filesystem::create_symlink(dir / "fortunes" / "a", dir / "fortunes" / "a.u8");  // read once
  BOOST_TEST(data::read_text_files({dir / "fortunes"}) == "first\n%\nsecond\n%\nthird\n");
  BOOST_TEST(data::read_text_files({dir / "fortunes"}, {.separator_line = "%"}) == "first\n\nsecond\n\nthird\n");
  // files in the order given, each ending with a newline; a '%' inside a line stays
  const auto plain = dir.write("plain.txt", "100% sure");
  BOOST_TEST(data::read_text_files({plain, dir / "fortunes" / "b"}, {.separator_line = "%"}) == "100% sure\nsecond\n\nthird\n");
  BOOST_TEST(data::read_text_files({dir / "fortunes"}, {.skip_suffixes = {}}).size() ==
             std::string("first\n%\n").size() + 10 + std::string("second\n%\nthird\n").size());
}

BOOST_AUTO_TEST_CASE(errors) {
  TempDir dir("text");
  check_error([&] { data::read_text_files({}); }, "read_text_files: no paths given");
  check_error([&] { data::read_text_files({dir / "missing"}); },
              "read_text_files: cannot open " + (dir / "missing").string() + " (no such file)");
  std::filesystem::create_directories(dir / "empty");
  check_error([&] { data::read_text_files({dir / "empty"}); },
              "read_text_files: " + (dir / "empty").string() + " is a directory without files to read");
  dir.write("empty/only.dat", "x");
  check_error([&] { data::read_text_files({dir / "empty"}); }, "is a directory without files to read");
  const auto nothing = dir.write("nothing.txt", "");
  check_error([&] { data::read_text_files({nothing}); }, "read_text_files: the files hold no text (1 file, all empty)");
}

BOOST_AUTO_TEST_SUITE_END()
