#include "descent/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

#include "data/io.hpp"
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
  return detail::concat("column ", column + 1, " (\"", names[column], "\")");
}

/// A parsed file: the header and the chosen columns' values, row-major (rows, chosen.size()).
struct Parsed {
  std::vector<std::string> names;
  std::vector<std::size_t> chosen;
  std::vector<double> values;
  std::size_t rows = 0;
};

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
    DESCENT_CHECK(found == names.size(), op, file, ":1: column name \"", column.name(),
                  "\" is ambiguous: columns ", found + 1, " and ", c + 1, " both have it");
    found = c;
  }
  if (found == names.size()) {
    std::string known;
    for (std::size_t c = 0; c < names.size(); ++c) known += (c ? ", \"" : "\"") + names[c] + "\"";
    throw Error(detail::concat(op, ": ", file, ":1: no column named \"", column.name(), "\"; the header has ", known));
  }
  return found;
}

/// Parses the header and the chosen columns (all of them when `selection` is null).
/// `integral[k]` asks that chosen column k hold whole numbers.
/// `op` and `file` name the caller and the text in error messages.
Parsed parse(std::string_view text, const char* op, const std::string& file, const CsvOptions& options,
             const std::vector<CsvColumn>* selection, const std::vector<bool>& integral = {}) {
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
  if (selection) {
    for (const auto& column : *selection) out.chosen.push_back(resolve(column, out.names, op, file));
  } else {
    for (std::size_t c = 0; c < columns; ++c) out.chosen.push_back(c);
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
      const bool plus = cell.front() == '+';  // from_chars rejects a leading '+'
      const std::string_view digits = plus ? cell.substr(1) : cell;
      double value = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      DESCENT_CHECK(error == std::errc() && end == digits.data() + digits.size() && !(plus && digits.starts_with('-')),
                    op, file, ":", number, ": ", column_label(c, out.names), ": cannot parse \"", cell,
                    "\" as a number", error == std::errc::result_out_of_range ? " (out of range)" : "");
      if (!integral.empty() && integral[k]) {
        DESCENT_CHECK(std::isfinite(value) && value == std::nearbyint(value) && std::abs(value) < 0x1p63, op, file,
                      ":", number, ": ", column_label(c, out.names), ": \"", cell,
                      "\" is not a whole number (int64 was asked for)");
      }
      out.values.push_back(value);
    }
    ++out.rows;
  }
  // Zero examples is a truncated export, not a dataset: say so here, where the file is known.
  DESCENT_CHECK(out.rows > 0, op, file, ": no data rows after the header (", columns,
                columns == 1 ? " column)" : " columns)");
  return out;
}

/// Columns [begin, end) of the parsed values as a (rows, end - begin) tensor of `dtype`.
Tensor columns_tensor(const Parsed& parsed, std::size_t begin, std::size_t end, Dtype dtype) {
  const std::size_t width = parsed.chosen.size(), count = end - begin;
  Tensor out = empty({parsed.rows, count}, dtype);
  detail::dispatch(dtype, [&](auto e) {
    using T = decltype(e);
    T* d = out.data<T>();
    for (std::size_t r = 0; r < parsed.rows; ++r)
      for (std::size_t k = 0; k < count; ++k) *d++ = static_cast<T>(parsed.values[r * width + begin + k]);
  });
  return out;
}

/// Every column, as read_csv and parse_csv return them.
CsvTable all_columns(std::string_view text, const char* op, const std::string& file, const CsvOptions& options) {
  Parsed parsed = parse(text, op, file, options, nullptr);
  return {std::move(parsed.names), columns_tensor(parsed, 0, parsed.chosen.size(), float64)};
}

/// Chosen columns, as read_csv and parse_csv return them.
Batch chosen_columns(std::string_view text, const char* op, const std::string& file,
                     const std::vector<CsvColumn>& features, const std::vector<CsvColumn>& targets, Dtype dtype,
                     const CsvOptions& options) {
  DESCENT_CHECK(dtype == float32 || dtype == float64 || dtype == int64, op,
                "dtype must be float32, float64 or int64, got ", to_string(dtype));
  std::vector<CsvColumn> selection(features);
  selection.insert(selection.end(), targets.begin(), targets.end());
  const Parsed parsed = parse(text, op, file, options, &selection, std::vector<bool>(selection.size(), dtype == int64));
  return {columns_tensor(parsed, 0, features.size(), dtype),
          columns_tensor(parsed, features.size(), selection.size(), dtype)};
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

}  // namespace descent::data
