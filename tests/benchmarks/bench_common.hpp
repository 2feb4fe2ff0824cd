#pragma once
// Shared helpers of descent's benchmark programs (W1..W4): the same timing method as the LibTorch
// baselines (steady clock, medians), flag parsing, and the facts each RESULT line reports.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace bench {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  if (n == 0) return 0.0;
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The command line: `--smoke` (a seconds-long run for CTest) and integer flags like `--reps 5`.
/// Anything not declared by the program is an error, so a typo cannot silently run the default.
class Flags {
 public:
  Flags(int argc, char** argv, const char* program, std::set<std::string> int_flags)
      : program_(program), int_flags_(std::move(int_flags)) {
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--smoke") {
        smoke_ = true;
      } else if (int_flags_.count(flag)) {
        if (i + 1 >= argc) usage("missing value after " + flag);
        char* end = nullptr;
        const long v = std::strtol(argv[++i], &end, 10);
        if (*end || v < 0) usage(flag + " needs a non-negative integer");
        values_.emplace_back(flag, v);
      } else {
        usage("unknown option " + flag);
      }
    }
  }

  bool smoke() const { return smoke_; }
  /// The value of `flag`, or `def` if it was not given.
  long get(const std::string& flag, long def) const {
    for (const auto& [name, v] : values_)
      if (name == flag) return v;
    return def;
  }

 private:
  [[noreturn]] void usage(const std::string& problem) const {
    std::string flags;
    for (const auto& f : int_flags_) flags += " [" + f + " N]";
    std::fprintf(stderr, "%s: %s\nusage: %s [--smoke]%s\n", program_, problem.c_str(), program_, flags.c_str());
    std::exit(2);
  }

  const char* program_;
  std::set<std::string> int_flags_;
  std::vector<std::pair<std::string, long>> values_;
  bool smoke_ = false;
};

/// Threading facts for the RESULT line (descent runs with its defaults: OpenBLAS's own threads).
inline std::string threads_info() {
  const char* ob = std::getenv("OPENBLAS_NUM_THREADS");
  return "threads=default blas_threads=" + std::to_string(openblas_get_num_threads()) +
         " OPENBLAS_NUM_THREADS=" + (ob ? ob : "unset");
}

/// The peak resident set size of this process so far, in kB.
inline long max_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // kB on Linux
}

}  // namespace bench
