#pragma once
// Conditions for tests of file writers, each for one scope: a umask, and a file size limit that
// makes writes fail half-way as a full disk would.
#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <csignal>

namespace descent::testing {

/// Sets the umask for one scope.
struct UmaskGuard {
  mode_t previous;
  explicit UmaskGuard(mode_t mask) : previous(::umask(mask)) {}
  ~UmaskGuard() { ::umask(previous); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;
};

/// Files written beyond `bytes` fail with EFBIG ("File too large") for one scope (works as root too,
/// unlike a read-only folder).
struct FileSizeLimit {
  rlimit previous{};
  void (*handler)(int);
  explicit FileSizeLimit(rlim_t bytes) : handler(std::signal(SIGXFSZ, SIG_IGN)) {  // EFBIG, not the signal
    BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &previous) == 0);
    const rlimit limit{bytes, previous.rlim_max};
    BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, handler);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
};

/// The permission bits of a file.
inline mode_t mode_of(const char* path) {
  struct stat about;
  BOOST_REQUIRE(::stat(path, &about) == 0);
  return about.st_mode & 0777;
}

}  // namespace descent::testing
