#pragma once
// The one exception type descent throws for bad input: a std::invalid_argument whose message
// names the operation and what was wrong with its arguments, e.g.
// "matmul: cannot multiply (3,4) by (5,2)".
#include <sstream>
#include <stdexcept>
#include <string>

namespace descent {

class Error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
template <class... Parts> std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

/// Throws descent::Error("<op>: <parts...>") unless `condition` holds.
#define DESCENT_CHECK(condition, op, ...) \
  do { \
    if (!(condition)) throw ::descent::Error(::descent::detail::concat(op, ": ", __VA_ARGS__)); \
  } while (false)

}  // namespace descent
