#include "descent/ops/size2.hpp"

#include <charconv>

namespace descent {

namespace {

/// "(a, b)". (Appended piece by piece: GCC 12 warns falsely on "(" + std::string, -Wstringop-overflow.)
std::string tuple(const std::string& a, const std::string& b) {
  std::string out = "(";
  out += a;
  out += ", ";
  out += b;
  out += ")";
  return out;
}

/// Python's repr of a float: the shortest digits that read back, with ".0" for whole numbers.
std::string python_float(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  std::string out(buffer, end);
  if (out.find_first_of(".eni") == std::string::npos) out += ".0";  // not 1e+20, inf, nan
  return out;
}
}  // namespace

std::string to_string(const Size2& s) {
  if (!s.given) return "None";
  return s.pair ? tuple(std::to_string(s.h), std::to_string(s.w)) : std::to_string(s.h);
}

std::string to_string(const Scale2& s) {
  if (!s.given) return "None";
  return s.pair ? tuple(python_float(s.h), python_float(s.w)) : python_float(s.h);
}

}  // namespace descent
