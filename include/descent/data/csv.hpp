#pragma once
// Numeric CSV files with a header row, e.g. for tabular regression or classification data:
//
//   auto table = data::read_csv("houses.csv");                  // names + float64 (rows, cols)
//   auto [x, y] = data::read_csv("iris.csv", {"sepal_length", "sepal_width"}, {"label"}, float32);
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

/// A column chosen by its header name or by its 0-based index (negative counts from the end).
class CsvColumn {
 public:
  CsvColumn(const char* name) : name_(name) {}
  CsvColumn(std::string name) : name_(std::move(name)) {}
  template <std::integral I> CsvColumn(I index) : index_(static_cast<long long>(index)), by_index_(true) {}

  bool by_index() const { return by_index_; }
  const std::string& name() const { return name_; }
  long long index() const { return index_; }

 private:
  std::string name_;
  long long index_ = 0;
  bool by_index_ = false;
};

/// Features (rows, features.size()) and targets (rows, targets.size()) of `dtype` (float32,
/// float64 or int64) from chosen columns. int64 cells must hold whole numbers: integers are read
/// exactly (all of [-2^63, 2^63)), others ("2.0", "1e3") only below 2^53, where double is exact.
/// float32 cells beyond float32's range read as ±inf. Only those
/// columns are parsed, so others may hold text. Class labels of shape (rows,) are
/// `reshape(targets, {-1})`.
Batch read_csv(const std::filesystem::path& path, const std::vector<CsvColumn>& features,
               const std::vector<CsvColumn>& targets, Dtype dtype = float64, const CsvOptions& options = {});

/// Every column of CSV text in memory, like read_csv; `name` stands for the file in error messages.
CsvTable parse_csv(std::string_view text, const CsvOptions& options = {}, const std::string& name = "<memory>");

/// Chosen columns of CSV text in memory, like read_csv; `name` stands for the file in error messages.
Batch parse_csv(std::string_view text, const std::vector<CsvColumn>& features, const std::vector<CsvColumn>& targets,
                Dtype dtype = float64, const CsvOptions& options = {}, const std::string& name = "<memory>");

}  // namespace descent::data
