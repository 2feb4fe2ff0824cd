#include "descent/data/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "data/io.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"

namespace descent::data {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Splits a line into its cells (not trimmed).
void split(std::string_view line, char delimiter, std::vector<std::string_view>& cells) {
  cells.clear();
  for (;;) {
    const auto at = line.find(delimiter);
    if (at == std::string_view::npos) {
      cells.push_back(line);
      return;
    }
    cells.push_back(line.substr(0, at));
    line.remove_prefix(at + 1);
  }
}

/// The length of the UTF-8 sequence that `s` starts with, or 0 if it does not start with one
/// (RFC 3629: no overlong forms, surrogates or code points beyond U+10FFFF).
std::size_t utf8_length(std::string_view s) {
  const auto byte = [&](std::size_t i) -> unsigned { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  const unsigned lead = byte(0);
  std::size_t length = 0;
  unsigned low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  }
  if (length == 0 || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

/// A cell (or header name) in double quotes, as error messages show it: cut after 40 characters
/// (then "…"), with control bytes and bytes that are not UTF-8 written as \xNN, so that a binary
/// file or a megabyte-long cell still gives a one-line, readable message.
std::string quote(std::string_view text) {
  constexpr std::size_t shown = 40;
  std::string out = "\"";
  for (std::size_t characters = 0; !text.empty(); ++characters) {
    if (characters == shown) {
      out += "\u2026";  // …
      break;
    }
    const auto u = static_cast<unsigned char>(text.front());
    const std::size_t length = u >= 0x20 && u < 0x7f ? 1 : utf8_length(text);
    if (length > 0) {
      out += text.substr(0, length);
      text.remove_prefix(length);
    } else {
      constexpr char digits[] = "0123456789abcdef";
      out += std::string("\\x") + digits[u >> 4] + digits[u & 15];
      text.remove_prefix(1);
    }
  }
  return out + "\"";
}

/// Walks the lines of a text, numbering them from 1 and skipping blank ones.
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {
    if (rest_.starts_with("\xEF\xBB\xBF")) rest_.remove_prefix(3);  // UTF-8 byte-order mark
  }
  /// The next non-blank line (without its line ending), or false at the end of the text.
  bool next(std::string_view& line, std::size_t& number) {
    while (!rest_.empty()) {
      const auto end = rest_.find('\n');
      std::string_view raw = rest_.substr(0, end);
      rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
      ++number_;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      if (trim(raw).empty()) continue;
      line = raw;
      number = number_;
      return true;
    }
    return false;
  }

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

std::string column_label(std::size_t column, const std::vector<std::string>& names) {
  return detail::concat("column ", column + 1, " (", quote(names[column]), ")");
}

/// Columns to read, as one tensor of one dtype.
struct Part {
  const std::vector<CsvColumn>* columns;
  Dtype dtype;
};

/// A parsed file: the header and the chosen columns' values, row-major: chosen column k is read as
/// int64 into `integers` (exactly, not through double) or as double into `values`, at position slot[k]
/// of its row there.
struct Parsed {
  std::vector<std::string> names;
  std::vector<std::size_t> chosen;
  std::vector<bool> integer;
  std::vector<std::size_t> slot;
  std::size_t value_width = 0, integer_width = 0;
  /// Per part: its first chosen column, and whether it is a single column named or indexed alone.
  std::vector<std::size_t> part_begin;
  std::vector<bool> part_single;
  std::vector<double> values;
  std::vector<std::int64_t> integers;
  std::size_t rows = 0;
};

/// For a number that from_chars found beyond double's range: whether it is tiny (it underflows)
/// rather than huge, i.e. its first significant digit lies right of the decimal point once the
/// exponent is applied. `number` has from_chars' syntax: [-]digits[.digits][e[+-]digits].
bool is_tiny(std::string_view number) {
  const auto e = number.find_first_of("eE");
  long long exponent = 0;  // saturated far beyond any power of ten the digits themselves can add
  if (e != std::string_view::npos) {
    for (char c : number.substr(e + 1))
      if (c >= '0' && c <= '9') exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000'000'000LL);
    if (number.substr(e + 1).starts_with('-')) exponent = -exponent;
  }
  const std::string_view mantissa = number.substr(0, e);
  const auto first = mantissa.find_first_of("123456789");
  if (first == std::string_view::npos) return true;  // zero (never out of range)
  const auto point = std::min(mantissa.find('.'), mantissa.size());
  // The power of ten of the first significant digit: 2 for "123.4", -3 for "0.001".
  const long long power = first < point ? static_cast<long long>(point - first - 1)
                                        : -static_cast<long long>(first - point);
  return power + exponent < 0;
}

/// `cell` as a double (from_chars' syntax, and a leading '+'). Numbers beyond double's range read as
/// strtod, Python's float() and numpy.loadtxt read them: ±0 when tiny (1e-400), ±inf when huge (1e400).
/// Returns what is wrong, or "" when `value` was set.
std::string read_number(std::string_view cell, double& value) {
  const bool plus = cell.starts_with('+');  // from_chars rejects a leading '+'
  const std::string_view number = plus ? cell.substr(1) : cell;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error == std::errc::invalid_argument || end != number.data() + number.size() || (plus && number.starts_with('-')))
    return "cannot parse " + quote(cell) + " as a number";
  if (error == std::errc::result_out_of_range) {
    value = is_tiny(number) ? 0.0 : std::numeric_limits<double>::infinity();
    if (number.starts_with('-')) value = -value;
  }
  return {};
}

/// `cell` as an int64: integers exactly; other whole numbers ("2.0", "1e3") through double, below
/// 2^53 where double still holds every integer. Returns what is wrong, or "" when `value` was set.
std::string read_integer(std::string_view cell, std::int64_t& value) {
  const bool plus = cell.starts_with('+');
  const std::string_view digits = plus ? cell.substr(1) : cell;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end == digits.data() + digits.size() && !digits.empty() && !(plus && digits.starts_with('-'))) {
    if (error == std::errc()) return {};
    if (error == std::errc::result_out_of_range) return quote(cell) + " is out of int64's range [-2^63, 2^63)";
  }
  double number = 0;
  if (std::string problem = read_number(cell, number); !problem.empty()) return problem;
  if (!std::isfinite(number) || number != std::nearbyint(number))
    return quote(cell) + " is not a whole number (int64 was asked for)";
  if (std::abs(number) >= 0x1p53)  // 9007199254740993.0 rounds to 2^53 on its way through double
    return quote(cell) + " is 2^53 or more in magnitude but not written as an integer, so it would be rounded: "
                          "write its digits to read it as int64";
  value = static_cast<std::int64_t>(number);
  return {};
}

std::size_t resolve(const CsvColumn& column, const std::vector<std::string>& names, const char* op,
                    const std::string& file) {
  const auto n = static_cast<long long>(names.size());
  if (column.by_index()) {
    const long long i = column.index();
    DESCENT_CHECK(i >= -n && i < n, op, file, ":1: column index ", i, " out of range: the header has ", n,
                  " columns (indices are 0-based)");
    return static_cast<std::size_t>(i < 0 ? i + n : i);
  }
  std::size_t found = names.size();
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c] != column.name()) continue;
    DESCENT_CHECK(found == names.size(), op, file, ":1: column name ", quote(column.name()),
                  " is ambiguous: columns ", found + 1, " and ", c + 1, " both have it");
    found = c;
  }
  if (found == names.size()) {
    std::string known;
    for (std::size_t c = 0; c < names.size(); ++c) known += (c ? ", " : "") + quote(names[c]);
    throw Error(detail::concat(op, ": ", file, ":1: no column named ", quote(column.name()), "; the header has ", known));
  }
  return found;
}

/// The columns `column` selects: one, or a range (an index range, or "first:last" names that are not
/// themselves a header name). `ranged` tells which.
std::vector<std::size_t> resolve_all(const CsvColumn& column, const std::vector<std::string>& names, const char* op,
                                     const std::string& file, bool& ranged) {
  const auto n = static_cast<long long>(names.size());
  ranged = true;
  std::size_t first = 0, last = 0;  // [first, last)
  std::string what;
  if (column.is_range()) {
    const auto bound = [&](long long i, const char* which) {
      DESCENT_CHECK(i >= -n && i <= n, op, file, ":1: column range ", which, " ", i,
                    " out of range: the header has ", n, " columns (indices are 0-based)");
      return static_cast<std::size_t>(i < 0 ? i + n : i);
    };
    first = bound(column.index(), "begin");
    last = column.end() ? bound(*column.end(), "end") : names.size();
    what = detail::concat("range(", column.index(), column.end() ? detail::concat(", ", *column.end()) : "", ")");
  } else {
    const auto colon = column.by_index() ? std::string::npos : column.name().find(':');
    const bool exact = std::find(names.begin(), names.end(), column.name()) != names.end();
    if (colon == std::string::npos || exact) {
      ranged = false;
      return {resolve(column, names, op, file)};
    }
    const std::string from = column.name().substr(0, colon), to = column.name().substr(colon + 1);
    first = from.empty() ? 0 : resolve(from, names, op, file);
    last = to.empty() ? names.size() : resolve(to, names, op, file) + 1;  // inclusive, as pandas' .loc
    what = quote(column.name());
  }
  DESCENT_CHECK(first < last, op, file, ":1: column range ", what, " selects no columns (from column ", first + 1,
                " to column ", last, ")");
  std::vector<std::size_t> out(last - first);
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = first + k;
  return out;
}

/// Parses the header and the columns of `parts` (all of them, as float64, when `parts` is null).
/// `op` and `file` name the caller and the text in error messages.
Parsed parse(std::string_view text, const char* op, const std::string& file, const CsvOptions& options,
             const std::vector<Part>* parts) {
  Lines lines(text);
  std::string_view line;
  std::size_t number = 0;
  DESCENT_CHECK(lines.next(line, number), op, file, ": empty file, expected a header row of column names");

  Parsed out;
  std::vector<std::string_view> cells;
  split(line, options.delimiter, cells);
  for (auto cell : cells) {
    cell = trim(cell);
    if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"') cell = cell.substr(1, cell.size() - 2);
    out.names.emplace_back(cell);
  }
  const std::size_t columns = out.names.size();
  const auto choose = [&](std::size_t c, bool integer) {
    out.chosen.push_back(c);
    out.integer.push_back(integer);
    out.slot.push_back(integer ? out.integer_width++ : out.value_width++);
  };
  if (parts) {
    for (const Part& part : *parts) {
      out.part_begin.push_back(out.chosen.size());
      bool ranged = false;
      for (const auto& column : *part.columns)
        for (std::size_t c : resolve_all(column, out.names, op, file, ranged)) choose(c, part.dtype == int64);
      out.part_single.push_back(part.columns->size() == 1 && !ranged);
    }
  } else {
    for (std::size_t c = 0; c < columns; ++c) choose(c, false);
  }

  while (lines.next(line, number)) {
    split(line, options.delimiter, cells);
    if (cells.size() != columns) {
      const bool missing = cells.size() < columns;
      throw Error(detail::concat(op, ": ", file, ":", number, ": ", cells.size(), " cells, expected ", columns,
                                 " like the header: ",
                                 missing ? column_label(cells.size(), out.names) + " is missing"
                                         : detail::concat("column ", columns + 1, " has no header")));
    }
    for (std::size_t k = 0; k < out.chosen.size(); ++k) {
      const std::size_t c = out.chosen[k];
      std::string_view cell = trim(cells[c]);
      DESCENT_CHECK(!cell.empty(), op, file, ":", number, ": ", column_label(c, out.names),
                    ": empty cell, expected a number");
      const std::string problem = out.integer[k] ? read_integer(cell, out.integers.emplace_back())
                                                 : read_number(cell, out.values.emplace_back());
      DESCENT_CHECK(problem.empty(), op, file, ":", number, ": ", column_label(c, out.names), ": ", problem);
    }
    ++out.rows;
  }
  // Zero examples is a truncated export, not a dataset: say so here, where the file is known.
  DESCENT_CHECK(out.rows > 0, op, file, ": no data rows after the header (", columns,
                columns == 1 ? " column)" : " columns)");
  return out;
}

/// Chosen columns [begin, end) of the parsed values, all read alike, as a (rows, end - begin) tensor of `dtype`.
Tensor columns_tensor(const Parsed& parsed, std::size_t begin, std::size_t end, Dtype dtype) {
  const std::size_t count = end - begin;
  const bool integer = count > 0 && parsed.integer[begin];
  const std::size_t width = integer ? parsed.integer_width : parsed.value_width;
  const std::size_t first = count > 0 ? parsed.slot[begin] : 0;  // a part's columns have consecutive slots
  Tensor out = empty({parsed.rows, count}, dtype);
  const auto copy = [&](const auto& values) {
    detail::dispatch(dtype, [&](auto e) {
      using T = decltype(e);
      T* d = out.data<T>();
      for (std::size_t r = 0; r < parsed.rows; ++r)
        for (std::size_t k = 0; k < count; ++k) *d++ = static_cast<T>(values[r * width + first + k]);
    });
  };
  if (integer) copy(parsed.integers);
  else copy(parsed.values);
  return out;
}

/// Every column, as read_csv and parse_csv return them.
CsvTable all_columns(std::string_view text, const char* op, const std::string& file, const CsvOptions& options) {
  Parsed parsed = parse(text, op, file, options, nullptr);
  return {std::move(parsed.names), columns_tensor(parsed, 0, parsed.chosen.size(), float64)};
}

void check_dtype(Dtype dtype, const char* op) {
  DESCENT_CHECK(dtype == float32 || dtype == float64 || dtype == int64, op,
                "dtype must be float32, float64 or int64, got ", to_string(dtype));
}

/// Features and targets of their own dtypes; a part given as one column (`single`) reads as (rows,).
Batch two_parts(std::string_view text, const char* op, const std::string& file, const CsvOptions& options,
                const std::vector<Part>& parts, const bool single[2]) {
  for (const Part& part : parts) check_dtype(part.dtype, op);
  const Parsed parsed = parse(text, op, file, options, &parts);
  Tensor out[2];
  for (std::size_t p = 0; p < 2; ++p) {
    const std::size_t end = p + 1 < parsed.part_begin.size() ? parsed.part_begin[p + 1] : parsed.chosen.size();
    out[p] = columns_tensor(parsed, parsed.part_begin[p], end, parts[p].dtype);
    if (single[p] && parsed.part_single[p]) out[p] = reshape(out[p], {-1});
  }
  return {out[0], out[1]};
}

/// Chosen columns of one dtype, as read_csv and parse_csv return them.
Batch chosen_columns(std::string_view text, const char* op, const std::string& file,
                     const std::vector<CsvColumn>& features, const std::vector<CsvColumn>& targets, Dtype dtype,
                     const CsvOptions& options) {
  const bool single[2] = {false, false};
  return two_parts(text, op, file, options, {{&features, dtype}, {&targets, dtype}}, single);
}

/// Selections of their own dtypes, as read_csv and parse_csv return them.
Batch selected_columns(std::string_view text, const char* op, const std::string& file, const CsvSelection& features,
                       const CsvSelection& targets, const CsvOptions& options) {
  const bool single[2] = {features.one_column(), targets.one_column()};
  return two_parts(text, op, file, options,
                   {{&features.columns(), features.dtype()}, {&targets.columns(), targets.dtype()}}, single);
}

}  // namespace

CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  return all_columns(detail::read_bytes(path, "read_csv"), "read_csv", path.string(), options);
}

Batch read_csv(const std::filesystem::path& path, const std::vector<CsvColumn>& features,
               const std::vector<CsvColumn>& targets, Dtype dtype, const CsvOptions& options) {
  return chosen_columns(detail::read_bytes(path, "read_csv"), "read_csv", path.string(), features, targets, dtype,
                        options);
}

CsvTable parse_csv(std::string_view text, const CsvOptions& options, const std::string& name) {
  return all_columns(text, "parse_csv", name, options);
}

Batch parse_csv(std::string_view text, const std::vector<CsvColumn>& features, const std::vector<CsvColumn>& targets,
                Dtype dtype, const CsvOptions& options, const std::string& name) {
  return chosen_columns(text, "parse_csv", name, features, targets, dtype, options);
}

Batch read_csv(const std::filesystem::path& path, const CsvSelection& features, const CsvSelection& targets,
               const CsvOptions& options) {
  return selected_columns(detail::read_bytes(path, "read_csv"), "read_csv", path.string(), features, targets, options);
}

Batch parse_csv(std::string_view text, const CsvSelection& features, const CsvSelection& targets,
                const CsvOptions& options, const std::string& name) {
  return selected_columns(text, "parse_csv", name, features, targets, options);
}

}  // namespace descent::data
