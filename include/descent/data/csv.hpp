#pragma once
// Numeric CSV files with a header row, e.g. for tabular regression or classification data:
//
//   auto table = data::read_csv("houses.csv");                  // names + float64 (rows, cols)
//   auto [x, y] = data::read_csv("iris.csv", {"sepal_length", "sepal_width"}, {"label"}, float32);
//   auto [x, y] = data::read_csv("digits.csv", {"pixel_0_0:pixel_7_7", float32}, {"label", int64});  // y: (rows,)
//
// Cells are numbers (std::from_chars syntax, locale independent; surrounding spaces allowed;
// "nan" and "inf" accepted); quoting is not supported. Numbers beyond double's range read as
// strtod, Python's float() and numpy.loadtxt read them: 1e-400 as 0 (-0 when negative), 1e400 as
// inf. CRLF line endings, a UTF-8 byte-order mark and blank lines are accepted. Errors name the
// file, the line (1-based, the header is line 1) and the column (1-based, with its name); a quoted
// cell is cut after 40 characters ("…") with control and non-UTF-8 bytes written as \xNN:
//   read_csv: data.csv:4: column 2 ("y"): cannot parse "abc" as a number
#include <concepts>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/tensor.hpp"

namespace descent::data {

struct CsvOptions {
  /// The character between cells (',' by default; ';' and tab are common too).
  char delimiter = ',';
};

struct CsvTable {
  /// The header's names (surrounding spaces and double quotes removed).
  std::vector<std::string> columns;
  /// float64 (rows, columns).
  Tensor values;
};

/// Every column of a numeric CSV file. A file with a header but no data rows is an error.
CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

/// A column chosen by its header name or by its 0-based index (negative counts from the end), or a
/// range of columns:
///   - "first:last", the columns from `first` to `last` by header name, both included (pandas'
///     df.loc[:, "first":"last"]); "first:" runs to the last column, ":last" from the first. A name
///     that is itself a header name (it holds a ':') is that one column.
///   - CsvColumn::range(begin, end): indices [begin, end), as Python's slice (df.iloc[:, begin:end]),
///     negative counting from the end; range(begin) runs to the last column.
/// A range must select at least one column.
class CsvColumn {
 public:
  CsvColumn(const char* name) : name_(name) {}
  CsvColumn(std::string name) : name_(std::move(name)) {}
  template <std::integral I> CsvColumn(I index) : index_(static_cast<long long>(index)), kind_(Kind::index) {}
  static CsvColumn range(long long begin, std::optional<long long> end = std::nullopt) {
    CsvColumn column(begin);
    column.kind_ = Kind::index_range;
    column.end_ = end;
    return column;
  }

  bool by_index() const { return kind_ != Kind::name; }
  /// Whether this is an index range (CsvColumn::range); name ranges are names holding a ':'.
  bool is_range() const { return kind_ == Kind::index_range; }
  const std::string& name() const { return name_; }
  long long index() const { return index_; }
  /// The end of an index range (unset: the last column, included).
  std::optional<long long> end() const { return end_; }

 private:
  enum class Kind { name, index, index_range };
  std::string name_;
  long long index_ = 0;
  std::optional<long long> end_;
  Kind kind_ = Kind::name;
};

/// Features (rows, features.size()) and targets (rows, targets.size()) of `dtype` (float32,
/// float64 or int64) from chosen columns (a range counts as its columns). int64 cells must hold
/// whole numbers: integers are read exactly (all of [-2^63, 2^63)), others ("2.0", "1e3") only below
/// 2^53, where double is exact. float32 cells beyond float32's range read as ±inf. Only those
/// columns are parsed, so others may hold text. Class labels of shape (rows,) are
/// `reshape(targets, {-1})`, or come from the CsvSelection form below.
Batch read_csv(const std::filesystem::path& path, const std::vector<CsvColumn>& features,
               const std::vector<CsvColumn>& targets, Dtype dtype = float64, const CsvOptions& options = {});

/// Columns read as one tensor of one dtype (float32, float64 or int64), as pandas selects them: a
/// lone column (a name or an index, not a range) gives (rows,), like df["label"]; several columns or
/// a range give (rows, columns), like df[["a", "b"]] and df.loc[:, "a":"b"].
///   {"label", int64}                  int64 (rows,)
///   {"pixel_0_0:pixel_7_7", float32}  float32 (rows, 64)
///   {{"x", "y", 5}, float64}          float64 (rows, 3)
///   {std::vector<CsvColumn>{"y"}, float64}  float64 (rows, 1) ({{"y"}, float64} would be ambiguous)
class CsvSelection {
 public:
  CsvSelection(CsvColumn column, Dtype dtype) : columns_{std::move(column)}, dtype_(dtype), one_column_(true) {}
  CsvSelection(std::vector<CsvColumn> columns, Dtype dtype) : columns_(std::move(columns)), dtype_(dtype) {}

  const std::vector<CsvColumn>& columns() const { return columns_; }
  Dtype dtype() const { return dtype_; }
  /// Whether it was given as one column (CsvSelection(column, dtype)) rather than a list of them.
  bool one_column() const { return one_column_; }

 private:
  std::vector<CsvColumn> columns_;
  Dtype dtype_;
  bool one_column_ = false;
};

/// Features and targets, each of its own dtype and shape (see CsvSelection), in one pass over the file:
///   auto [x, y] = data::read_csv("digits.csv", {"pixel_0_0:pixel_7_7", float32}, {"label", int64});
Batch read_csv(const std::filesystem::path& path, const CsvSelection& features, const CsvSelection& targets,
               const CsvOptions& options = {});

/// Every column of CSV text in memory, like read_csv; `name` stands for the file in error messages.
CsvTable parse_csv(std::string_view text, const CsvOptions& options = {}, const std::string& name = "<memory>");

/// Chosen columns of CSV text in memory, like read_csv; `name` stands for the file in error messages.
Batch parse_csv(std::string_view text, const std::vector<CsvColumn>& features, const std::vector<CsvColumn>& targets,
                Dtype dtype = float64, const CsvOptions& options = {}, const std::string& name = "<memory>");

/// Features and targets of their own dtypes from CSV text in memory, like read_csv.
Batch parse_csv(std::string_view text, const CsvSelection& features, const CsvSelection& targets,
                const CsvOptions& options = {}, const std::string& name = "<memory>");

}  // namespace descent::data
