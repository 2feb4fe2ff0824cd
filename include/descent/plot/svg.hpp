#pragma once
// A tiny SVG writer: shapes and text appended to a string, every attribute quoted, every text
// XML-escaped, every coordinate finite (a non-finite number is written as 0, never "nan").
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace descent::plot::svg {

/// `text` with & < > " ' as entities and control characters (invalid in XML 1.0) as spaces.
std::string escape(std::string_view text);

/// A coordinate: at most 2 decimals, no trailing zeros, "0" for a non-finite value.
std::string number(double value);

struct TextStyle {
  double size = 12;
  const char* anchor = "start";  // start | middle | end
  bool bold = false;
  double rotate = 0;             // degrees, around (x, y)
  const char* fill = "#222";
};

class Writer {
 public:
  Writer(double width, double height);
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke = "none");
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1);
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view css_class = "");
  /// One path through runs of points: each run starts with M, a run of one point is not drawn.
  void path(const std::vector<std::vector<std::pair<double, double>>>& runs, std::string_view stroke, double width,
            std::string_view css_class = "", std::string_view dash = "");
  void text(double x, double y, std::string_view content, const TextStyle& style = {});
  /// The finished document.
  std::string str() const;

 private:
  std::string out_;
};

/// Writes `content` to `path` atomically (a temporary file beside it, then a rename).
/// Errors name `op` and the file.
void save(const std::filesystem::path& path, std::string_view content, const char* op);

}  // namespace descent::plot::svg
