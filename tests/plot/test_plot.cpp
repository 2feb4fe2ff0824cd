#include "support/check.hpp"

#include "plot/ticks.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "descent/plot/plot.hpp"
#include "descent/plot/svg.hpp"

using namespace descent;

namespace {

const double NaN = std::numeric_limits<double>::quiet_NaN();
const double Inf = std::numeric_limits<double>::infinity();

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }

// The entity at s[i] == '&' is valid (&amp; &lt; &gt; &quot; &apos; &#123; &#x1F;); returns its end.
std::size_t entity(const std::string& s, std::size_t i, std::string& error) {
  const std::size_t end = s.find(';', i);
  const std::string body = end == std::string::npos ? "" : s.substr(i + 1, end - i - 1);
  static const std::set<std::string> named{"amp", "lt", "gt", "quot", "apos"};
  bool ok = named.count(body) > 0;
  if (!ok && body.size() > 1 && body[0] == '#') {
    const bool hex = body[1] == 'x';
    ok = body.size() > (hex ? 2u : 1u);
    for (std::size_t k = hex ? 2 : 1; k < body.size(); ++k)
      ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(body[k])) : std::isdigit(static_cast<unsigned char>(body[k])));
  }
  if (!ok) error = "bad entity at " + std::to_string(i);
  return ok ? end + 1 : s.size();
}

// An XML well-formedness check: one root, balanced tags, quoted unique attributes, valid entities,
// no '<' in text or attribute values. Returns "" or what is wrong.
std::string xml_error(const std::string& s) {
  std::vector<std::string> open;
  std::string error;
  std::size_t i = 0, roots = 0;
  if (s.rfind("<?xml", 0) == 0) i = s.find("?>") == std::string::npos ? s.size() : s.find("?>") + 2;
  while (i < s.size() && error.empty()) {
    if (s[i] == '&') { i = entity(s, i, error); continue; }
    if (s[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return "text outside the root";
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const std::size_t end = s.find("-->", i);
      if (end == std::string::npos) return "unclosed comment";
      i = end + 3;
      continue;
    }
    const bool closing = s[i + 1] == '/';
    std::size_t k = i + (closing ? 2 : 1);
    if (k >= s.size() || !name_start(s[k])) return "bad tag name at " + std::to_string(i);
    const std::size_t name_begin = k;
    while (k < s.size() && name_char(s[k])) ++k;
    const std::string name = s.substr(name_begin, k - name_begin);
    std::set<std::string> attributes;
    while (true) {
      while (k < s.size() && std::isspace(static_cast<unsigned char>(s[k]))) ++k;
      if (k >= s.size()) return "unterminated tag " + name;
      if (s[k] == '>' || (!closing && s.compare(k, 2, "/>") == 0)) break;
      if (closing || !name_start(s[k])) return "bad attribute in " + name;
      const std::size_t a = k;
      while (k < s.size() && name_char(s[k])) ++k;
      if (!attributes.insert(s.substr(a, k - a)).second) return "duplicate attribute in " + name;
      if (k + 1 >= s.size() || s[k] != '=' || (s[k + 1] != '"' && s[k + 1] != '\'')) return "unquoted attribute in " + name;
      const char quote = s[k + 1];
      k += 2;
      while (k < s.size() && s[k] != quote && error.empty()) {
        if (s[k] == '<') return "'<' in an attribute of " + name;
        k = s[k] == '&' ? entity(s, k, error) : k + 1;
      }
      if (!error.empty()) return error;
      if (k >= s.size()) return "unterminated attribute in " + name;
      ++k;
    }
    const bool empty = s[k] == '/';
    i = k + (empty ? 2 : 1);
    if (closing) {
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
    } else {
      if (open.empty() && ++roots > 1) return "more than one root";
      if (!empty) open.push_back(name);
    }
  }
  if (!error.empty()) return error;
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return roots == 1 ? "" : "no root element";
}

std::size_t count(const std::string& s, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + 1)) ++n;
  return n;
}

// Well-formed, an svg root with its size, and no NaN / Inf anywhere.
void check_svg(const std::string& svg) {
  BOOST_TEST(xml_error(svg) == "");
  BOOST_TEST(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"") != std::string::npos);
  BOOST_TEST(count(svg, "viewBox=\"0 0 ") == 1u);
  std::string lower = svg;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  BOOST_TEST(lower.find("nan") == std::string::npos);
  BOOST_TEST(lower.find("inf") == std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plot_svg)

BOOST_AUTO_TEST_CASE(the_checker_rejects_malformed_xml) {
  BOOST_TEST(xml_error("<?xml version=\"1.0\"?>\n<a x=\"1\" y='2'><b/>t &amp; &#38; &#x26;</a>\n") == "");
  BOOST_TEST(xml_error("<a><b></a></b>") != "");
  BOOST_TEST(xml_error("<a x=1/>") != "");
  BOOST_TEST(xml_error("<a x=\"1\" x=\"2\"/>") != "");
  BOOST_TEST(xml_error("<a>&foo;</a>") != "");
  BOOST_TEST(xml_error("<a>& b</a>") != "");
  BOOST_TEST(xml_error("<a>") != "");
  BOOST_TEST(xml_error("<a x=\"1/>") != "");
  BOOST_TEST(xml_error("<a/><b/>") != "");
  BOOST_TEST(xml_error("") != "");
}

BOOST_AUTO_TEST_CASE(escape_and_numbers) {
  BOOST_TEST(plot::svg::escape("a<b & \"c\" > 'd'") == "a&lt;b &amp; &quot;c&quot; &gt; &apos;d&apos;");
  BOOST_TEST(plot::svg::escape("line\nbreak") == "line break");
  BOOST_TEST(plot::svg::number(1.5) == "1.5");
  BOOST_TEST(plot::svg::number(2.0) == "2");
  BOOST_TEST(plot::svg::number(-0.001) == "0");
  BOOST_TEST(plot::svg::number(NaN) == "0");
  BOOST_TEST(plot::svg::number(-Inf) == "0");
}

BOOST_AUTO_TEST_CASE(writer_output_is_well_formed) {
  plot::svg::Writer w(100, 50);
  w.rect(0, 0, 100, 50, "white");
  w.text(10, 10, "<&>\"'", {.rotate = -90});
  w.path({{{0, 0}, {1, 1}}, {{5, 5}}, {{2, 2}, {3, NaN}}}, "#000", 1, "s", "4,2");
  const std::string svg = w.str();
  check_svg(svg);
  BOOST_TEST(count(svg, " M") == 1u);  // two drawable runs: the lone point is left out
  BOOST_TEST(svg.find("&lt;&amp;&gt;&quot;&apos;") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plot_ticks)

BOOST_AUTO_TEST_CASE(nice_ticks_step_one_two_five) {
  const std::vector<double> unit{0, 0.2, 0.4, 0.6, 0.8, 1.0};
  const auto t = plot::detail::nice_ticks(0, 1);
  BOOST_TEST_REQUIRE(t.size() == unit.size());
  for (std::size_t i = 0; i < t.size(); ++i) BOOST_TEST(std::abs(t[i] - unit[i]) < 1e-12);
  const auto u = plot::detail::nice_ticks(-3.7, 12.1);  // step 2: -2, 0, ..., 12
  BOOST_TEST_REQUIRE(u.size() == 8u);
  BOOST_TEST(u.front() == -2.0);
  BOOST_TEST(u.back() == 12.0);
  const auto v = plot::detail::nice_ticks(0, 2.6e6);  // step 5e5
  BOOST_TEST(v.size() == 6u);
  BOOST_TEST(std::abs(v[1] - 5e5) < 1e-6);
  BOOST_TEST(plot::detail::nice_ticks(1, 1).empty());
  BOOST_TEST(plot::detail::nice_ticks(NaN, 1).empty());
}

BOOST_AUTO_TEST_CASE(tick_labels_are_compact) {
  using plot::detail::tick_label;
  BOOST_TEST(tick_label(2500, 500) == "2.5k");
  BOOST_TEST(tick_label(3000, 500) == "3k");
  BOOST_TEST(tick_label(1e6, 2e5) == "1M");
  BOOST_TEST(tick_label(1.2e9, 2e8) == "1.2G");
  BOOST_TEST(tick_label(1e-5, 1e-5) == "1e-05");
  BOOST_TEST(tick_label(2.5e-6, 5e-7) == "2.5e-06");
  BOOST_TEST(tick_label(3e15, 1e15) == "3e+15");
  BOOST_TEST(tick_label(0.25, 0.05) == "0.25");
  BOOST_TEST(tick_label(0.30000000000000004, 0.1) == "0.3");
  BOOST_TEST(tick_label(-1.5, 0.5) == "-1.5");
  BOOST_TEST(tick_label(100, 20) == "100");
  BOOST_TEST(tick_label(1e-17, 0.2) == "0");
  BOOST_TEST(tick_label(NaN, 1) == "0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plot_charts)

BOOST_AUTO_TEST_CASE(line_chart_has_a_path_per_series_title_and_legend) {
  plot::LineChart chart{.title = "loss", .x_label = "epoch", .y_label = "loss"};
  chart.add("train", {1, 2, 3, 4}, {1.0, 0.6, 0.4, 0.35}).add("validation", {1.1, 0.8, 0.7, 0.72});
  const std::string svg = chart.to_svg();
  check_svg(svg);
  BOOST_TEST(count(svg, "<path class=\"series\"") == 2u);
  BOOST_TEST(count(svg, "<circle class=\"marker\"") == 8u);
  BOOST_TEST(svg.find(">loss</text>") != std::string::npos);
  BOOST_TEST(svg.find(">epoch</text>") != std::string::npos);
  BOOST_TEST(svg.find(">train</text>") != std::string::npos);
  BOOST_TEST(svg.find(">validation</text>") != std::string::npos);
  BOOST_TEST(svg.find(">0.4</text>") != std::string::npos);  // a y tick
  BOOST_TEST(svg.find(">1.5</text>") == std::string::npos);  // integer x: no half epochs
}

BOOST_AUTO_TEST_CASE(text_is_escaped) {
  plot::LineChart chart{.title = "a<b & \"c\">", .x_label = "x'", .y_label = "<y>"};
  chart.add("<&>", {1, 2});
  const std::string svg = chart.to_svg();
  check_svg(svg);
  BOOST_TEST(svg.find(">a&lt;b &amp; &quot;c&quot;&gt;</text>") != std::string::npos);
  BOOST_TEST(svg.find(">&lt;&amp;&gt;</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(edge_cases_give_clean_svg) {
  const std::vector<std::pair<std::string, std::vector<double>>> cases{
      {"empty", {}},
      {"single point", {3.0}},
      {"constant", {2, 2, 2, 2}},
      {"zeros", {0, 0, 0}},
      {"non-finite", {1, NaN, 2, Inf, -Inf, 3}},
      {"all non-finite", {NaN, NaN}},
      {"huge", {1e12, 3e12, 2e13}},
      {"tiny", {1e-7, 3e-7, 2e-6}},
      {"beyond 1e300", {1, 1e308, -1e308, 2}},
      {"nearly constant", {1, 1 + 1e-15, 1}},
      {"denormal", {0, 1e-320, 0}},
      {"negative", {-5e4, -2e4, 1e3}},
  };
  for (const auto& [name, values] : cases) {
    BOOST_TEST_CONTEXT(name) {
      for (bool log_y : {false, true}) {
        plot::LineChart chart{.title = name, .log_y = log_y};
        chart.add(name, values).add("other", {0.5});
        check_svg(chart.to_svg());
      }
      plot::ScatterChart scatter{.title = name};
      std::vector<double> x(values.size());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
      scatter.add("data", x, values).add("transposed", values, x).add_line(2, 1, "fit").add_line(NaN, 0, "bad");
      check_svg(scatter.to_svg());
    }
  }
  check_svg(plot::LineChart{}.to_svg());
  check_svg(plot::ScatterChart{}.to_svg());
  check_svg(plot::LineChart{.width = NaN, .height = -Inf}.to_svg());
}

BOOST_AUTO_TEST_CASE(nan_breaks_the_line_and_is_not_drawn) {
  plot::LineChart chart;
  chart.add("s", {1, 2, 3, 4, 5, 6}, {1, 2, NaN, 4, 5, Inf});
  const std::string svg = chart.to_svg();
  check_svg(svg);
  BOOST_TEST(count(svg, "<path class=\"series\"") == 1u);
  BOOST_TEST(count(svg, " M") == 1u);  // "M.. L.. M.. L..": two runs in one path
  BOOST_TEST(count(svg, "<circle class=\"marker\"") == 4u);
}

BOOST_AUTO_TEST_CASE(log_scale_skips_non_positive_values_and_labels_decades) {
  plot::LineChart chart{.log_y = true};
  chart.add("loss", {1, 0.1, 0.01, 0.001, 0, -1, 1e-4});
  const std::string svg = chart.to_svg();
  check_svg(svg);
  BOOST_TEST(count(svg, "<circle class=\"marker\"") == 5u);
  BOOST_TEST(svg.find(">0.001</text>") != std::string::npos);
  BOOST_TEST(svg.find(">0.0001</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scatter_draws_a_circle_per_finite_point_and_the_lines) {
  plot::ScatterChart chart{.title = "fit", .x_label = "x", .y_label = "y"};
  chart.add("data", {1, 2, 3, 4, 5, NaN}, {2, 4, 5, 4, 5, 1})
      .add_line(0.6, 2.2, "least squares")
      .add_line(0.69, 1.85, "learned")
      .add_line(Inf, 0, "not drawn")
      .add_line(1e9, 0, "steep");
  const std::string svg = chart.to_svg();
  check_svg(svg);
  BOOST_TEST(count(svg, "<circle class=\"point\"") == 5u);
  BOOST_TEST(count(svg, "<path class=\"fit\"") == 3u);
  BOOST_TEST(count(svg, "stroke-dasharray") >= 2u);  // the second line is dashed (and its legend sample)
  BOOST_TEST(svg.find(">least squares</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mismatched_lengths_are_errors) {
  plot::LineChart chart;
  testing::check_error([&] { chart.add("s", {1, 2, 3}, {1, 2}); },
                       "plot::LineChart::add: series \"s\" has 3 x values but 2 y values");
  plot::ScatterChart scatter;
  testing::check_error([&] { scatter.add("p", {1}, {}); }, "has 1 x values but 0 y values");
  chart.series.push_back({"direct", {1}, {1, 2}});
  testing::check_error([&] { (void)chart.to_svg(); }, "plot::LineChart: series \"direct\"");
}

BOOST_AUTO_TEST_CASE(save_writes_atomically_and_curves_saves_histories) {
  const auto dir = std::filesystem::temp_directory_path() / ("descent_plot_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  plot::LineChart chart{.title = "t"};
  chart.add("a", {1, 2, 3});
  chart.save(dir / "a.svg");
  std::ifstream in(dir / "a.svg");
  std::stringstream content;
  content << in.rdbuf();
  BOOST_TEST(content.str() == chart.to_svg());
  plot::curves({{"loss", {0.9, 0.5, 0.4}}, {"accuracy", {0.6, 0.8, 0.85}}}, "history", dir / "h.svg");
  std::ifstream hin(dir / "h.svg");
  std::stringstream history;
  history << hin.rdbuf();
  check_svg(history.str());
  BOOST_TEST(count(history.str(), "<path class=\"series\"") == 2u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  BOOST_TEST(files == 2u);  // no temporary left behind
  testing::check_error([&] { chart.save(dir / "missing" / "a.svg"); }, "plot::LineChart::save: cannot open");
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
