#include "descent/plot/svg.hpp"

#include <cmath>
#include <cstdio>

#include "data/io.hpp"
#include "descent/error.hpp"

namespace descent::plot::svg {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

std::string number(double value) {
  if (!std::isfinite(value)) value = 0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string s = buffer;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

Writer::Writer(double width, double height) {
  const std::string w = number(width), h = number(height);
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
         "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n";
}

void Writer::rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke) {
  out_ += "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(w) + "\" height=\"" + number(h) +
          "\" fill=\"" + escape(fill) + "\" stroke=\"" + escape(stroke) + "\"/>\n";
}

void Writer::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width) {
  out_ += "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" + number(y2) +
          "\" stroke=\"" + escape(stroke) + "\" stroke-width=\"" + number(width) + "\"/>\n";
}

void Writer::circle(double cx, double cy, double r, std::string_view fill, std::string_view css_class) {
  out_ += "<circle";
  if (!css_class.empty()) out_ += " class=\"" + escape(css_class) + "\"";
  out_ += " cx=\"" + number(cx) + "\" cy=\"" + number(cy) + "\" r=\"" + number(r) + "\" fill=\"" + escape(fill) +
          "\"/>\n";
}

void Writer::path(const std::vector<std::vector<std::pair<double, double>>>& runs, std::string_view stroke,
                  double width, std::string_view css_class, std::string_view dash) {
  std::string d;
  for (const auto& run : runs) {
    if (run.size() < 2) continue;
    for (std::size_t i = 0; i < run.size(); ++i)
      d += (i == 0 ? (d.empty() ? "M" : " M") : " L") + number(run[i].first) + "," + number(run[i].second);
  }
  if (d.empty()) return;
  out_ += "<path";
  if (!css_class.empty()) out_ += " class=\"" + escape(css_class) + "\"";
  out_ += " d=\"" + d + "\" fill=\"none\" stroke=\"" + escape(stroke) + "\" stroke-width=\"" + number(width) +
          "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
  if (!dash.empty()) out_ += " stroke-dasharray=\"" + escape(dash) + "\"";
  out_ += "/>\n";
}

void Writer::text(double x, double y, std::string_view content, const TextStyle& style) {
  out_ += "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" font-size=\"" + number(style.size) +
          "\" text-anchor=\"" + style.anchor + "\" fill=\"" + style.fill + "\"";
  if (style.bold) out_ += " font-weight=\"bold\"";
  if (style.rotate != 0) {
    out_ += " transform=\"rotate(";
    out_ += number(style.rotate);
    out_ += ' ';
    out_ += number(x);
    out_ += ' ';
    out_ += number(y);
    out_ += ")\"";
  }
  out_ += '>';
  out_ += escape(content);
  out_ += "</text>\n";
}

std::string Writer::str() const { return out_ + "</svg>\n"; }

void save(const std::filesystem::path& path, std::string_view content, const char* op) {
  detail::write_file(path, content, op);
}

}  // namespace descent::plot::svg
