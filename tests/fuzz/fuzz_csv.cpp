// libFuzzer target: CSV text, through data::parse_csv (read_csv runs the same code on a file's
// bytes). Every column, chosen columns by name and index, name and index ranges, each result dtype
// (per selection too) and two delimiters.
// Bad input must end in descent::Error; anything else escaping, a crash or a sanitizer report fails.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "descent/data/csv.hpp"
#include "descent/error.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  try {
    data::parse_csv(text);
  } catch (const Error&) {
  }
  try {
    data::parse_csv(text, {"x", 1}, {-1}, int64);
  } catch (const Error&) {
  }
  try {
    data::parse_csv(text, {0}, {"y"}, float32, {.delimiter = ';'});
  } catch (const Error&) {
  }
  try {
    data::parse_csv(text, {"x:y", float32}, {data::CsvColumn::range(1, -1), int64});
  } catch (const Error&) {
  }
  try {
    data::parse_csv(text, {{":x", data::CsvColumn::range(-2)}, float64}, {"y", int64});
  } catch (const Error&) {
  }
  return 0;
}
