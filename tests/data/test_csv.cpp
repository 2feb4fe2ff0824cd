// CSV reader: good files in their common variants, and errors naming file, line and column.
#include "support/check.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include "data/temp_dir.hpp"
#include "descent/data/csv.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;
using descent::testing::TempDir;

using descent::testing::error_of;

namespace {

/// A (n,1) column of values ({{1}, {2}} is ambiguous for C++ initializer lists).
xt::xarray<double> column(std::initializer_list<double> values) {
  auto out = xt::xarray<double>::from_shape({values.size(), 1});
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(reads_names_and_float64_values) {
  TempDir dir("csv");
  const auto file = dir.write("data.csv", "x,y,z\n1,2,3\n4.5,-5,6e-1\n");
  const auto table = data::read_csv(file);
  BOOST_TEST((table.columns == std::vector<std::string>{"x", "y", "z"}));
  BOOST_TEST(to_string(table.values.dtype()) == "float64");
  check_values(table.values, {{1, 2, 3}, {4.5, -5, 0.6}}, 0, 0);
}

BOOST_AUTO_TEST_CASE(spaces_crlf_bom_blank_lines_and_number_forms) {
  TempDir dir("csv");
  const auto file = dir.write("messy.csv",
                              "\xEF\xBB\xBF a , \"b\" ,c\r\n"
                              " 1 ,\t+2.5, -3\r\n"
                              "\r\n"
                              "1e3,.5,  7.  \r\n"
                              "nan,inf,-inf\r\n"
                              "\r\n   \r\n\n");
  const auto table = data::read_csv(file);
  BOOST_TEST((table.columns == std::vector<std::string>{"a", "b", "c"}));
  check_values(table.values, {{1, 2.5, -3}, {1000, 0.5, 7}, {NAN, INFINITY, -INFINITY}}, 0, 0);
}

BOOST_AUTO_TEST_CASE(parse_csv_reads_text_in_memory) {
  const auto table = data::parse_csv("x;y\n1;2\n3;4\n", {.delimiter = ';'});
  BOOST_TEST((table.columns == std::vector<std::string>{"x", "y"}));
  check_values(table.values, {{1, 2}, {3, 4}}, 0, 0);
  const auto [x, y] = data::parse_csv("a,b,label\n1,2,0\n3,4,1\n", {"b", 0}, {-1}, int64);
  check_values(x, {{2, 1}, {4, 3}}, 0, 0);
  check_values(y, column({0, 1}), 0, 0);
  // Errors name the text like a file.
  BOOST_TEST(error_of([] { data::parse_csv("x\nabc\n", {}, "table.csv"); }) ==
             "parse_csv: table.csv:2: column 1 (\"x\"): cannot parse \"abc\" as a number");
  check_error([] { data::parse_csv(""); }, "parse_csv: <memory>: empty file");
}

BOOST_AUTO_TEST_CASE(no_trailing_newline_and_header_only) {
  TempDir dir("csv");
  check_values(data::read_csv(dir.write("a.csv", "v\n1\n2")).values, column({1, 2}));
  const auto header_only = dir.write("b.csv", "p,q\n\n");
  BOOST_TEST(error_of([&] { data::read_csv(header_only); }) ==
             "read_csv: " + header_only.string() + ": no data rows after the header (2 columns)");
  check_error([&] { data::read_csv(header_only, {"p"}, {"q"}); }, "b.csv: no data rows after the header (2 columns)");
}

BOOST_AUTO_TEST_CASE(other_delimiters) {
  TempDir dir("csv");
  const auto semi = data::read_csv(dir.write("semi.csv", "a;b\n1.5;2\n"), {.delimiter = ';'});
  BOOST_TEST((semi.columns == std::vector<std::string>{"a", "b"}));
  check_values(semi.values, {{1.5, 2}});
  check_values(data::read_csv(dir.write("tab.tsv", "a\tb\n 3\t4 \n"), {.delimiter = '\t'}).values, {{3, 4}});
}

BOOST_AUTO_TEST_CASE(selects_features_and_targets_by_name_and_index) {
  TempDir dir("csv");
  const auto file = dir.write("iris.csv",
                              "id,sepal,petal,species,label\n"
                              "a1,5.1,1.4,setosa,0\n"
                              "a2,7.0,4.7,versicolor,1\n"
                              "a3,6.3,6.0,virginica,2\n");
  // Text columns that are not chosen are not parsed.
  const auto [x, y] = data::read_csv(file, {"sepal", "petal"}, {"label"});
  check_values(x, {{5.1, 1.4}, {7.0, 4.7}, {6.3, 6.0}}, 0, 0);
  check_values(y, column({0, 1, 2}));
  BOOST_TEST(to_string(x.dtype()) == "float64");
  // By 0-based index, negative from the end, mixed with names; reordered; as float32 / int64.
  const auto [x32, y64] = data::read_csv(file, {2, "sepal"}, {-1}, float32);
  BOOST_TEST(to_string(x32.dtype()) == "float32");
  check_values(x32, {{1.4, 5.1}, {4.7, 7.0}, {6.0, 6.3}}, 1e-6);
  const auto [xi, labels] = data::read_csv(file, {std::size_t{4}}, {"label"}, int64);
  BOOST_TEST(to_string(labels.dtype()) == "int64");
  BOOST_TEST(labels.at({2, 0}) == 2.0);
  BOOST_TEST(to_string(xi.shape()) == "(3,1)");
  // The same column may be both, and there may be no features.
  const auto [none, t] = data::read_csv(file, {}, {1, 1});
  BOOST_TEST(to_string(none.shape()) == "(3,0)");
  check_values(t, {{5.1, 5.1}, {7.0, 7.0}, {6.3, 6.3}});
}

BOOST_AUTO_TEST_CASE(bad_cells_name_file_line_and_column) {
  TempDir dir("csv");
  const auto file = dir.write("data.csv", "x,y,z\n1,2,3\n4,5,6\n7,abc,9\n");
  const std::string name = file.string();
  BOOST_TEST(error_of([&] { data::read_csv(file); }) ==
             "read_csv: " + name + ":4: column 2 (\"y\"): cannot parse \"abc\" as a number");
  // Line numbers count blank lines and the header; CRLF does not end up in messages.
  const auto crlf = dir.write("crlf.csv", "x,y\r\n1,2\r\n\r\n3, 4x \r\n");
  BOOST_TEST(error_of([&] { data::read_csv(crlf); }) ==
             "read_csv: " + crlf.string() + ":4: column 2 (\"y\"): cannot parse \"4x\" as a number");
  const auto empty_cell = dir.write("empty.csv", "x,y,z\n1,2,3\n4,5,  \n");
  BOOST_TEST(error_of([&] { data::read_csv(empty_cell); }) ==
             "read_csv: " + empty_cell.string() + ":3: column 3 (\"z\"): empty cell, expected a number");
  check_error([&] { data::read_csv(dir.write("sign.csv", "x\n+-1\n")); }, ":2: column 1 (\"x\"): cannot parse \"+-1\"");
  check_error([&] { data::read_csv(dir.write("comma.csv", "a;b\n1,5;2\n"), {.delimiter = ';'}); },
              ":2: column 1 (\"a\"): cannot parse \"1,5\" as a number");
  // A chosen text column is reported; an unchosen one is not read.
  check_error([&] { data::read_csv(dir.write("txt.csv", "n,v\nfoo,1\n"), {"n"}, {"v"}); },
              "txt.csv:2: column 1 (\"n\"): cannot parse \"foo\" as a number");
}

// Beyond double's range, numbers read as strtod, Python's float() and numpy.loadtxt read them (they
// were refused). Reference, /usr/bin/python3: [float(c) for c in cells] and numpy.loadtxt give
// [0.0, -0.0, inf, -inf, 0.0, 0.0, inf, inf, 1e-310]. A float32 column gets inf beyond float32's
// range, like numpy.float64(1e39).astype(numpy.float32).
BOOST_AUTO_TEST_CASE(numbers_beyond_double_read_as_zero_or_infinity) {
  const auto table = data::parse_csv(
      "x\n1e-400\n-1e-400\n1e400\n-1e400\n2.4703282292062327e-324\n1000e-330\n0.1e310\n+1e400\n1e-310\n");
  check_values(table.values, column({0, -0.0, INFINITY, -INFINITY, 0, 0, INFINITY, INFINITY, 1e-310}), 0, 0);
  BOOST_TEST(std::signbit(table.values.at({1, 0})));
  BOOST_TEST(!std::signbit(table.values.at({0, 0})));
  const auto [x, y] = data::parse_csv("x,y\n1e39,1\n", {"x"}, {"y"}, float32);
  BOOST_TEST(x.item() == INFINITY);
  check_error([] { data::parse_csv("x\n1e400x\n"); }, "cannot parse \"1e400x\" as a number");
}

// int64 cells are read as integers, exactly (they went through double: 2^53 + 1 became 2^53 and
// 2^63 - 1 was refused).
BOOST_AUTO_TEST_CASE(int64_cells_read_exactly) {
  const auto [x, y] = data::parse_csv("x,y\n9007199254740993,+5\n9223372036854775807,-9223372036854775808\n"
                                      "2.0,1e3\n",
                                      {"x"}, {"y"}, int64);
  const std::int64_t* xs = x.data<std::int64_t>();
  const std::int64_t* ys = y.data<std::int64_t>();
  BOOST_TEST(xs[0] == 9007199254740993);
  BOOST_TEST(xs[1] == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(xs[2] == 2);
  BOOST_TEST(ys[0] == 5);
  BOOST_TEST(ys[1] == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(ys[2] == 1000);
  const auto int64_error = [](const std::string& cell) {
    return testing::error_of([&] { data::parse_csv("v\n" + cell + "\n", {}, {"v"}, int64); });
  };
  BOOST_TEST(int64_error("9223372036854775808") ==
             "parse_csv: <memory>:2: column 1 (\"v\"): \"9223372036854775808\" is out of int64's range [-2^63, 2^63)");
  BOOST_TEST(int64_error("-9223372036854775809").find("is out of int64's range") != std::string::npos);
  // Written with a fraction or an exponent, a number of 2^53 or more would be rounded through double.
  BOOST_TEST(int64_error("9007199254740993.0") ==
             "parse_csv: <memory>:2: column 1 (\"v\"): \"9007199254740993.0\" is 2^53 or more in magnitude but "
             "not written as an integer, so it would be rounded: write its digits to read it as int64");
  BOOST_TEST(int64_error("-1e18").find("is 2^53 or more in magnitude") != std::string::npos);
  BOOST_TEST(int64_error("nan").find("\"nan\" is not a whole number") != std::string::npos);
  BOOST_TEST(int64_error("inf").find("\"inf\" is not a whole number") != std::string::npos);
  BOOST_TEST(int64_error("+-3").find("cannot parse \"+-3\" as a number") != std::string::npos);
  BOOST_TEST(int64_error("12abc").find("cannot parse \"12abc\" as a number") != std::string::npos);
}

// A quoted cell is cut after 40 characters, and bytes that would garble a terminal or are not UTF-8
// are escaped (a binary file's whole first line was quoted as it was).
BOOST_AUTO_TEST_CASE(quoted_cells_are_short_and_printable) {
  const std::string long_cell(100, 'a');
  BOOST_TEST(testing::error_of([&] { data::parse_csv("x\n" + long_cell + "\n"); }) ==
             "parse_csv: <memory>:2: column 1 (\"x\"): cannot parse \"" + std::string(40, 'a') +
                 "\u2026\" as a number");
  // Exactly 40 characters: not cut.
  check_error([&] { data::parse_csv("x\n" + long_cell.substr(0, 40) + "\n"); },
              "cannot parse \"" + std::string(40, 'a') + "\" as a number");
  // Control bytes, DEL, a stray continuation byte, a truncated and an overlong sequence are escaped;
  // valid UTF-8 ("é", "€", "😀") is kept and counts as one character.
  check_error([] { data::parse_csv("x\n1\x01\x1b[2J\x7f\x80\xe2\x82|\xc0\xaf|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"); },
              "cannot parse \"1\\x01\\x1b[2J\\x7f\\x80\\xe2\\x82|\\xc0\\xaf|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\" as a number");
  check_error([] { data::parse_csv("x\n" + std::string(39, 'b') + "\xc3\xa9\xc3\xa9\n"); },
              "\"" + std::string(39, 'b') + "\xc3\xa9\u2026\" as a number");
  // Surrogates (U+D800 as \xed\xa0\x80) and code points beyond U+10FFFF are not UTF-8.
  check_error([] { data::parse_csv("x\n\xed\xa0\x80\xf4\x90\x80\x80\n"); },
              "\"\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\"");
  // Header names are quoted the same way wherever a message shows them.
  check_error([] { data::parse_csv("\x1b[31mred\nq\n"); }, "column 1 (\"\\x1b[31mred\"): cannot parse \"q\"");
  check_error([] { data::parse_csv("a\tb,c\n1,2\n", {"z"}, {"c"}); }, "no column named \"z\"; the header has \"a\\x09b\", \"c\"");
}

BOOST_AUTO_TEST_CASE(ragged_rows) {
  TempDir dir("csv");
  const auto short_row = dir.write("short.csv", "x,y,z\n1,2,3\n4,5\n");
  BOOST_TEST(error_of([&] { data::read_csv(short_row); }) ==
             "read_csv: " + short_row.string() + ":3: 2 cells, expected 3 like the header: column 3 (\"z\") is missing");
  const auto long_row = dir.write("long.csv", "x,y,z\n1,2,3,4\n");
  BOOST_TEST(error_of([&] { data::read_csv(long_row); }) ==
             "read_csv: " + long_row.string() + ":2: 4 cells, expected 3 like the header: column 4 has no header");
  // Even when the missing cell is not chosen.
  check_error([&] { data::read_csv(short_row, {"x"}, {"y"}); }, "short.csv:3: 2 cells, expected 3");
}

BOOST_AUTO_TEST_CASE(unknown_ambiguous_and_out_of_range_columns) {
  TempDir dir("csv");
  const auto file = dir.write("d.csv", "x,y,x\n1,2,3\n");
  const std::string name = file.string();
  BOOST_TEST(error_of([&] { data::read_csv(file, {"y"}, {"q"}); }) ==
             "read_csv: " + name + ":1: no column named \"q\"; the header has \"x\", \"y\", \"x\"");
  check_error([&] { data::read_csv(file, {"x"}, {"y"}); },
              name + ":1: column name \"x\" is ambiguous: columns 1 and 3 both have it");
  check_error([&] { data::read_csv(file, {3}, {"y"}); }, name + ":1: column index 3 out of range: the header has 3 columns");
  check_error([&] { data::read_csv(file, {-4}, {"y"}); }, "column index -4 out of range");
  check_values(data::read_csv(file, {0, 2}, {-2}).targets, column({2}));
}

BOOST_AUTO_TEST_CASE(int64_needs_whole_numbers) {
  TempDir dir("csv");
  const auto file = dir.write("labels.csv", "f,label\n0.5,1\n0.25,2.5\n");
  check_error([&] { data::read_csv(file, {"f"}, {"label"}, int64); },
              "labels.csv:2: column 1 (\"f\"): \"0.5\" is not a whole number (int64 was asked for)");
  check_error([&] { data::read_csv(file, {"f"}, {"label"}, boolean); },
              "read_csv: dtype must be float32, float64 or int64, got bool");
}

BOOST_AUTO_TEST_CASE(missing_and_empty_files) {
  TempDir dir("csv");
  const auto missing = dir / "nope.csv";
  BOOST_TEST(error_of([&] { data::read_csv(missing); }) == "read_csv: cannot open " + missing.string() + " (no such file)");
  const auto empty_file = dir.write("empty.csv", "");
  BOOST_TEST(error_of([&] { data::read_csv(empty_file); }) ==
             "read_csv: " + empty_file.string() + ": empty file, expected a header row of column names");
  check_error([&] { data::read_csv(dir.write("blank.csv", "\r\n \n")); }, "empty file");
  check_error([&] { data::read_csv(dir.path()); }, "read_csv: cannot read " + dir.path().string() + ": it is a directory");
}

// --- column ranges and per-selection dtypes --------------------------------------------------

namespace {
/// A header p0..p3, a label, a text column and "a:b" (a name holding a colon); two rows.
const char* const ranged_csv =
    "id,p0,p1,p2,p3,label,note,a:b\n"
    "7,0.5,1.5,2.5,3.5,2,x,9\n"
    "8,4.5,5.5,6.5,7.5,0,y,10\n";
}  // namespace

BOOST_AUTO_TEST_CASE(name_ranges_are_inclusive_as_pandas_loc) {
  const auto [x, y] = data::parse_csv(ranged_csv, {"p0:p3", float32}, {"label", int64});
  BOOST_TEST(to_string(x.dtype()) == "float32");
  check_values(x, {{0.5, 1.5, 2.5, 3.5}, {4.5, 5.5, 6.5, 7.5}}, 0, 0);
  // One column given alone is (rows,), like df["label"].
  BOOST_TEST(to_string(y.dtype()) == "int64");
  check_values(y, {2, 0}, 0, 0);
  // Open ends, a range of one column (still a matrix), and a list mixing ranges, names and indices.
  const auto [head, tail] = data::parse_csv(ranged_csv, {":p1", float64}, {"p3:p3", float64});
  check_values(head, {{7, 0.5, 1.5}, {8, 4.5, 5.5}}, 0, 0);
  check_values(tail, column({3.5, 7.5}), 0, 0);
  const auto [mixed, labels] = data::parse_csv(ranged_csv, {{"p2:p3", 0, "p0"}, float64}, {std::vector<data::CsvColumn>{"label"}, int64});
  check_values(mixed, {{2.5, 3.5, 7, 0.5}, {6.5, 7.5, 8, 4.5}}, 0, 0);
  check_values(labels, column({2, 0}), 0, 0);  // a list of one column stays (rows, 1), like df[["label"]]
  // A header name holding ':' is that column, not a range.
  const auto [ab, rest] = data::parse_csv(ranged_csv, {"a:b", int64}, {"p3:label", float64});
  check_values(ab, {9, 10}, 0, 0);
  check_values(rest, {{3.5, 2}, {7.5, 0}}, 0, 0);
  // The column-list form takes ranges too, one dtype for both.
  const auto [features, targets] = data::parse_csv(ranged_csv, {"p1:p2"}, {"label"}, float32);
  check_values(features, {{1.5, 2.5}, {5.5, 6.5}}, 0, 0);
  check_values(targets, column({2, 0}), 0, 0);
}

BOOST_AUTO_TEST_CASE(index_ranges_are_half_open_as_python_slices) {
  const auto [x, y] = data::parse_csv(ranged_csv, {data::CsvColumn::range(1, 5), float32}, {-3, int64});
  check_values(x, {{0.5, 1.5, 2.5, 3.5}, {4.5, 5.5, 6.5, 7.5}}, 0, 0);
  check_values(y, {2, 0}, 0, 0);
  const auto [last, first] = data::parse_csv(ranged_csv, {data::CsvColumn::range(-1), int64},
                                             {data::CsvColumn::range(0, -7), int64});
  check_values(last, column({9, 10}), 0, 0);
  check_values(first, column({7, 8}), 0, 0);
}

BOOST_AUTO_TEST_CASE(read_csv_with_selections_reads_a_file) {
  TempDir dir("csv");
  const auto file = dir.write("digits.csv", ranged_csv);
  const auto [x, y] = data::read_csv(file, {"p0:p3", float32}, {"label", int64});
  check_values(x, {{0.5, 1.5, 2.5, 3.5}, {4.5, 5.5, 6.5, 7.5}}, 0, 0);
  check_values(y, {2, 0}, 0, 0);
  const std::string f = file.string();
  check_error([&] { data::read_csv(file, {"p3:p0", float32}, {"label", int64}); },
              "read_csv: " + f + ":1: column range \"p3:p0\" selects no columns (from column 5 to column 2)");
}

BOOST_AUTO_TEST_CASE(range_errors_name_the_range) {
  check_error([] { data::parse_csv(ranged_csv, {"p0:q", float32}, {"label", int64}); },
              "parse_csv: <memory>:1: no column named \"q\"");
  check_error([] { data::parse_csv(ranged_csv, {data::CsvColumn::range(2, 2), float32}, {"label", int64}); },
              "parse_csv: <memory>:1: column range range(2, 2) selects no columns");
  check_error([] { data::parse_csv(ranged_csv, {data::CsvColumn::range(0, 9), float32}, {"label", int64}); },
              "parse_csv: <memory>:1: column range end 9 out of range: the header has 8 columns");
  // The text column is only an error when chosen; an int64 selection needs whole numbers.
  check_error([] { data::parse_csv(ranged_csv, {"p0:note", float32}, {"label", int64}); },
              "parse_csv: <memory>:2: column 7 (\"note\"): cannot parse \"x\" as a number");
  check_error([] { data::parse_csv(ranged_csv, {"p0", int64}, {"label", int64}); },
              "parse_csv: <memory>:2: column 2 (\"p0\"): \"0.5\" is not a whole number (int64 was asked for)");
  check_error([] { data::parse_csv(ranged_csv, {"p0", boolean}, {"label", int64}); },
              "parse_csv: dtype must be float32, float64 or int64, got bool");
}

BOOST_AUTO_TEST_SUITE_END()
