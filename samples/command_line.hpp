#pragma once
// The samples' command lines: "--flag value" pairs (and bare switches) checked against the usage
// line, so a typo is an error rather than a silently ignored option.
#include <cstdio>
#include <cstdlib>
#include <string>

namespace samples {

[[noreturn]] inline void usage(const char* program, const std::string& flags, const std::string& problem) {
  std::fprintf(stderr, "%s: %s\nusage: %s %s\n", program, problem.c_str(), program, flags.c_str());
  std::exit(2);
}

/// One flag's value, converted or refused with the usage line.
struct Value {
  const char* program;
  const std::string& flags;
  const std::string& flag;
  const std::string& text;

  /// An integer >= least (0 or 1).
  long integer(long least) const {
    char* end = nullptr;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || n < least)
      usage(program, flags, flag + (least == 0 ? " must be a non-negative integer" : " must be a positive integer"));
    return n;
  }
  /// A number >= 0, or > 0 when `positive`.
  double number(bool positive) const {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !(positive ? v > 0 : v >= 0))
      usage(program, flags, flag + (positive ? " must be a positive number" : " must be a non-negative number"));
    return v;
  }
};

/// Calls set(flag, value) for each "--flag value" of argv and on_switch(flag) for each bare "[--flag]"
/// of the usage line `flags`; anything else, or a missing value, is a usage error.
template <class Set, class Switch>
void parse_flags(int argc, char** argv, const char* program, const std::string& flags, Set set, Switch on_switch) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flags.find("[" + flag + "]") != std::string::npos) {
      on_switch(flag);
      continue;
    }
    if (flags.find("[" + flag + " ") == std::string::npos) usage(program, flags, "unknown option " + flag);
    if (i + 1 >= argc) usage(program, flags, "missing value after " + flag);
    const std::string text = argv[++i];
    set(flag, Value{program, flags, flag, text});
  }
}

}  // namespace samples
