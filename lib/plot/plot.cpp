// Line and scatter charts: data ranges -> axes with nice ticks -> a frame, the data, a legend.
#include "descent/plot/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "descent/error.hpp"
#include "descent/plot/svg.hpp"
#include "plot/ticks.hpp"

namespace descent::plot {

namespace {

constexpr const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* colour(std::size_t i) { return palette[i % 10]; }

// Values beyond ±1e300 are skipped like infinities: their ranges could overflow.
bool usable(double v) { return std::isfinite(v) && std::abs(v) <= 1e300; }
bool usable_log(double v) { return usable(v) && v >= 1e-300; }

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) { lo = std::min(lo, v), hi = std::max(hi, v); }
  bool empty() const { return !(lo <= hi); }
};

// The step of a 1-2-5 ladder closest to (hi - lo) / target.
double nice_step(double lo, double hi, std::size_t target) {
  const double raw = (hi - lo) / static_cast<double>(std::max<std::size_t>(target, 1));
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / magnitude;
  return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * magnitude;
}

std::vector<double> ticks_with_step(double lo, double hi, double step) {
  std::vector<double> ticks;
  if (!(step > 0) || !std::isfinite(step)) return ticks;
  const double first = std::ceil(lo / step - 1e-9);
  for (int k = 0; k < 100; ++k) {
    double v = (first + k) * step;
    if (v > hi + step * 1e-9) break;
    if (std::abs(v) < step * 1e-9) v = 0;
    ticks.push_back(v);
  }
  return ticks;
}

std::string trim_zeros(std::string s) {  // "2.50e+06" -> "2.5e+06", "3.0k" -> "3k"
  const std::size_t dot = s.find('.');
  if (dot == std::string::npos) return s;
  std::size_t end = dot + 1;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
  std::size_t cut = end;
  while (cut > dot + 1 && s[cut - 1] == '0') --cut;
  if (cut == dot + 1) cut = dot;
  return s.substr(0, cut) + s.substr(end);
}

struct Axis {
  double lo = 0, hi = 1;  // limits (log10 of them on a log axis)
  bool log = false;
  std::vector<double> ticks;  // in data units
  std::vector<std::string> labels;
  double position(double v) const { return ((log ? std::log10(v) : v) - lo) / (hi - lo); }  // 0..1
};

// A linear axis over the data with 5% padding; a constant range is widened around its value.
Axis linear_axis(const Range& data, bool integer_steps) {
  Axis axis;
  double lo = data.empty() ? 0 : data.lo, hi = data.empty() ? 1 : data.hi;
  const double span = hi - lo, scale = std::max(std::abs(lo), std::abs(hi));
  if (!(span > 1e-9 * scale) || span < 1e-300) {
    const double centre = 0.5 * lo + 0.5 * hi;
    const double half = std::abs(centre) > 1e-300 ? 0.1 * std::abs(centre) : 1.0;
    lo = centre - half, hi = centre + half;
  } else if (!data.empty()) {
    lo -= 0.05 * span, hi += 0.05 * span;
  }
  axis.lo = lo, axis.hi = hi;
  double step = nice_step(lo, hi, 6);
  if (integer_steps) step = std::max(step, 1.0);
  axis.ticks = ticks_with_step(lo, hi, step);
  for (double t : axis.ticks) axis.labels.push_back(detail::tick_label(t, step));
  return axis;
}

// A log10 axis: decades (and 2x, 5x within few decades) as ticks.
Axis log_axis(const Range& data) {
  Axis axis;
  axis.log = true;
  double lo = data.empty() ? 0 : std::log10(data.lo), hi = data.empty() ? 1 : std::log10(data.hi);
  if (!(hi - lo > 1e-9)) lo -= 0.5, hi += 0.5;
  else lo -= 0.05 * (hi - lo), hi += 0.05 * (hi - lo);
  axis.lo = lo, axis.hi = hi;
  const double span = hi - lo;
  const int every = std::max(1, static_cast<int>(std::ceil(span / 8)));
  const auto collect = [&](std::initializer_list<double> multiples, int decade_step) {
    axis.ticks.clear();
    for (int d = static_cast<int>(std::floor(lo)) - 1; d <= static_cast<int>(std::ceil(hi)); ++d) {
      if (d % decade_step != 0) continue;
      for (double m : multiples) {
        const double v = m * std::pow(10.0, d), l = std::log10(v);
        if (l >= lo - 1e-9 && l <= hi + 1e-9) axis.ticks.push_back(v);
      }
    }
  };
  if (span <= 3) collect({1, 2, 5}, 1);
  else collect({1}, every);
  if (axis.ticks.size() < 2) collect({1, 2, 3, 4, 5, 6, 7, 8, 9}, 1);
  for (double t : axis.ticks) axis.labels.push_back(detail::tick_label(t, std::pow(10.0, std::floor(std::log10(t) + 1e-9))));
  return axis;
}

struct LegendEntry {
  std::string name;
  const char* colour;
  bool line;  // a line sample, else a dot
  bool dashed = false;
};

std::size_t display_length(const std::string& s) {  // UTF-8 code points
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The frame of a chart: background, title, grid, ticks, labels; where the data goes.
struct Frame {
  double left = 78, top = 20, right = 0, bottom = 0, width = 0, height = 0;
  Axis x, y;
  double px(double v) const { return left + x.position(v) * (right - left); }
  double py(double v) const { return bottom - y.position(v) * (bottom - top); }
};

Frame draw_frame(svg::Writer& w, double width, double height, const std::string& title, const std::string& x_label,
                 const std::string& y_label, Axis x, Axis y, const std::vector<LegendEntry>& legend) {
  Frame f;
  width = std::isfinite(width) ? std::clamp(width, 200.0, 10000.0) : 800;
  height = std::isfinite(height) ? std::clamp(height, 150.0, 10000.0) : 500;
  f.width = width, f.height = height;
  f.x = std::move(x), f.y = std::move(y);
  f.top = title.empty() ? 20 : 46;
  f.bottom = height - (x_label.empty() ? 36 : 56);
  std::size_t longest = 0;
  for (const auto& e : legend) longest = std::max(longest, display_length(e.name));
  const double legend_width = legend.empty() ? 0 : std::min(0.35 * width, 46 + 7.0 * static_cast<double>(longest));
  f.right = width - 20 - legend_width;
  f.left = y_label.empty() ? 62 : 78;

  w.rect(0, 0, width, height, "white");
  if (!title.empty()) w.text(width / 2, 28, title, {.size = 16, .anchor = "middle", .bold = true});
  for (std::size_t i = 0; i < f.x.ticks.size(); ++i) {
    const double px = f.px(f.x.ticks[i]);
    w.line(px, f.top, px, f.bottom, "#e6e6e6");
    w.line(px, f.bottom, px, f.bottom + 5, "#444");
    w.text(px, f.bottom + 19, f.x.labels[i], {.size = 12, .anchor = "middle"});
  }
  for (std::size_t i = 0; i < f.y.ticks.size(); ++i) {
    const double py = f.py(f.y.ticks[i]);
    w.line(f.left, py, f.right, py, "#e6e6e6");
    w.line(f.left - 5, py, f.left, py, "#444");
    w.text(f.left - 8, py + 4, f.y.labels[i], {.size = 12, .anchor = "end"});
  }
  w.rect(f.left, f.top, f.right - f.left, f.bottom - f.top, "none", "#444");
  if (!x_label.empty()) w.text((f.left + f.right) / 2, height - 14, x_label, {.size = 13, .anchor = "middle"});
  if (!y_label.empty())
    w.text(18, (f.top + f.bottom) / 2, y_label, {.size = 13, .anchor = "middle", .rotate = -90});

  double ly = f.top + 14;
  const double lx = f.right + 14;
  for (const auto& e : legend) {
    if (e.line) w.path({{{lx, ly - 4}, {lx + 22, ly - 4}}}, e.colour, 2.5, "legend", e.dashed ? "6,4" : "");
    else w.circle(lx + 11, ly - 4, 4, e.colour, "legend");
    w.text(lx + 30, ly, e.name, {.size = 12});
    ly += 20;
  }
  return f;
}

void check_lengths(const std::vector<double>& x, const std::vector<double>& y, const char* op, const std::string& name) {
  DESCENT_CHECK(x.size() == y.size(), op, "series \"", name, "\" has ", x.size(), " x values but ", y.size(),
                " y values");
}

}  // namespace

namespace detail {

std::vector<double> nice_ticks(double lo, double hi, std::size_t target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return {};
  return ticks_with_step(lo, hi, nice_step(lo, hi, target));
}

std::string tick_label(double value, double step) {
  char buffer[64];
  if (!std::isfinite(value)) return "0";
  if (!(step > 0) || !std::isfinite(step)) {
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
  }
  const double a = std::abs(value);
  if (a < step * 1e-6) return "0";
  const int e = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  std::string s;
  if (a >= 1e15 || a < 1e-4) {
    const int exponent = static_cast<int>(std::floor(std::log10(a) + 1e-9));
    std::snprintf(buffer, sizeof buffer, "%.*e", std::clamp(exponent - e, 0, 15), value);
    s = trim_zeros(buffer);
  } else if (a >= 1e3) {
    static constexpr const char* suffix[] = {"", "k", "M", "G", "T"};
    const int group = std::clamp(static_cast<int>(std::floor(std::log10(a) + 1e-9)) / 3, 1, 4);
    std::snprintf(buffer, sizeof buffer, "%.*f%s", std::clamp(3 * group - e, 0, 15), value / std::pow(1000.0, group),
                  suffix[group]);
    s = trim_zeros(buffer);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.*f", std::clamp(-e, 0, 15), value);
    s = trim_zeros(buffer);
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace detail

LineChart& LineChart::add(std::string name, std::vector<double> x, std::vector<double> y) {
  check_lengths(x, y, "plot::LineChart::add", name);
  series.push_back({std::move(name), std::move(x), std::move(y)});
  return *this;
}

LineChart& LineChart::add(std::string name, std::vector<double> y) {
  std::vector<double> x(y.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i + 1);
  return add(std::move(name), std::move(x), std::move(y));
}

std::string LineChart::to_svg() const {
  const auto ok_y = [&](double v) { return log_y ? usable_log(v) : usable(v); };
  Range xr, yr;
  bool integer_x = true;
  std::vector<LegendEntry> legend;
  for (std::size_t s = 0; s < series.size(); ++s) {
    const Series& d = series[s];
    check_lengths(d.x, d.y, "plot::LineChart", d.name);
    for (std::size_t i = 0; i < d.x.size(); ++i)
      if (usable(d.x[i]) && ok_y(d.y[i])) {
        xr.add(d.x[i]), yr.add(d.y[i]);
        integer_x = integer_x && d.x[i] == std::round(d.x[i]);
      }
    legend.push_back({d.name, colour(s), true});
  }
  svg::Writer w(width, height);
  const Frame f = draw_frame(w, width, height, title, x_label, y_label, linear_axis(xr, integer_x && !xr.empty()),
                             log_y ? log_axis(yr) : linear_axis(yr, false), legend);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const Series& d = series[s];
    std::vector<std::vector<std::pair<double, double>>> runs(1);
    std::size_t points = 0;
    for (std::size_t i = 0; i < d.x.size(); ++i) {
      if (usable(d.x[i]) && ok_y(d.y[i])) {
        runs.back().emplace_back(f.px(d.x[i]), f.py(d.y[i]));
        ++points;
      } else if (!runs.back().empty()) {
        runs.emplace_back();  // a gap: the line breaks here
      }
    }
    w.path(runs, colour(s), 2, "series");
    for (const auto& run : runs)  // markers on short series; an isolated point is always shown
      for (const auto& [px, py] : run)
        if (points <= 60 || run.size() == 1) w.circle(px, py, 3, colour(s), "marker");
  }
  return w.str();
}

void LineChart::save(const std::filesystem::path& path) const { svg::save(path, to_svg(), "plot::LineChart::save"); }

ScatterChart& ScatterChart::add(std::string name, std::vector<double> x, std::vector<double> y) {
  check_lengths(x, y, "plot::ScatterChart::add", name);
  points.push_back({std::move(name), std::move(x), std::move(y)});
  return *this;
}

ScatterChart& ScatterChart::add_line(double slope, double intercept, std::string label) {
  lines.push_back({slope, intercept, std::move(label)});
  return *this;
}

std::string ScatterChart::to_svg() const {
  Range xr, yr;
  std::vector<LegendEntry> legend;
  for (std::size_t s = 0; s < points.size(); ++s) {
    const Series& d = points[s];
    check_lengths(d.x, d.y, "plot::ScatterChart", d.name);
    for (std::size_t i = 0; i < d.x.size(); ++i)
      if (usable(d.x[i]) && usable(d.y[i])) xr.add(d.x[i]), yr.add(d.y[i]);
    legend.push_back({d.name, colour(s), false});
  }
  // The lines count in the y range over the points' x range, so that they are seen.
  const double x0 = xr.empty() ? 0 : xr.lo, x1 = xr.empty() ? 1 : xr.hi;
  for (std::size_t j = 0; j < lines.size(); ++j) {
    const FittedLine& l = lines[j];
    for (double x : {x0, x1})
      if (const double y = l.slope * x + l.intercept; usable(l.slope) && usable(l.intercept) && usable(y)) yr.add(y);
    legend.push_back({l.label, colour(points.size() + j), true, j % 2 == 1});
  }
  svg::Writer w(width, height);
  const Frame f = draw_frame(w, width, height, title, x_label, y_label, linear_axis(xr, false), linear_axis(yr, false),
                             legend);
  for (std::size_t j = 0; j < lines.size(); ++j) {
    const FittedLine& l = lines[j];
    if (!usable(l.slope) || !usable(l.intercept)) continue;
    // The part of y = slope*x + intercept inside the axes' box.
    double a = f.x.lo, b = f.x.hi;
    if (l.slope != 0) {
      double ya = (f.y.lo - l.intercept) / l.slope, yb = (f.y.hi - l.intercept) / l.slope;
      if (ya > yb) std::swap(ya, yb);
      if (std::isfinite(ya)) a = std::max(a, ya);
      if (std::isfinite(yb)) b = std::min(b, yb);
    } else if (l.intercept < f.y.lo || l.intercept > f.y.hi) {
      continue;
    }
    if (!(a < b)) continue;
    w.path({{{f.px(a), f.py(l.slope * a + l.intercept)}, {f.px(b), f.py(l.slope * b + l.intercept)}}},
           colour(points.size() + j), 2.5, "fit", j % 2 == 1 ? "6,4" : "");
  }
  for (std::size_t s = 0; s < points.size(); ++s) {
    const Series& d = points[s];
    for (std::size_t i = 0; i < d.x.size(); ++i)
      if (usable(d.x[i]) && usable(d.y[i])) w.circle(f.px(d.x[i]), f.py(d.y[i]), 4, colour(s), "point");
  }
  return w.str();
}

void ScatterChart::save(const std::filesystem::path& path) const {
  svg::save(path, to_svg(), "plot::ScatterChart::save");
}

void curves(const std::vector<std::pair<std::string, std::vector<double>>>& series_by_epoch, const std::string& title,
            const std::filesystem::path& path, bool log_y) {
  LineChart chart{.title = title, .x_label = "epoch", .y_label = "", .log_y = log_y};
  for (const auto& [name, values] : series_by_epoch) chart.add(name, values);
  chart.save(path);
}

}  // namespace descent::plot
