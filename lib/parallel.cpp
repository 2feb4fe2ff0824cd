// The intra-op thread pool behind detail::parallel_for: get_num_threads() − 1 workers, started on
// first use, sleeping on a condition variable between regions. One region runs at a time; a
// caller that finds the pool busy (another user thread, or a kernel inside a region) does its
// work alone, so a region never waits for another and never deadlocks.
#include "descent/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

#include "descent/error.hpp"
#include "detail/parallel.hpp"

namespace descent {

namespace {

std::size_t default_threads() {
  if (const char* env = std::getenv("DESCENT_NUM_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1) return static_cast<std::size_t>(v);
  }
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
}

class Pool {
 public:
  static Pool& instance() {
    static Pool* pool = new Pool;  // never destroyed: workers may outlive static destructors
    return *pool;
  }

  std::size_t threads() const { return threads_.load(); }

  void set_threads(std::size_t n) {
    std::lock_guard region(region_);  // not while a region runs
    stop_workers();
    threads_ = n;
  }

  void run(std::size_t n, std::size_t grain, detail::RangeBody body) {
    const std::size_t parts = std::min(threads(), n / grain);
    std::unique_lock region(region_, std::try_to_lock);
    if (parts < 2 || inside_ || !region.owns_lock()) return body(0, n);
    start_workers();
    {
      std::lock_guard lock(mutex_);
      body_ = &body, n_ = n, parts_ = parts, next_ = 0, unfinished_ = parts, error_ = nullptr;
      absent_ = workers_->size();
      ++generation_;
    }
    wake_.notify_all();
    work();
    // Every worker checks in, even one that found no part left: the region's state is not reused
    // while one could still read it.
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return unfinished_ == 0 && absent_ == 0; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  Pool() : threads_(default_threads()) {
    // A child process has none of the parent's threads: it starts its own workers when it needs
    // them (the parent's thread objects are left behind, not joined).
    pthread_atfork(nullptr, nullptr, [] { instance().forget_workers(); });
  }

  void forget_workers() {
    (void)workers_.release();  // leaked on purpose: those threads do not exist here
    workers_ = std::make_unique<std::vector<std::thread>>();
  }

  /// Takes parts until none is left: part i is [i·n/parts, (i+1)·n/parts).
  void work() {
    inside_ = true;
    for (std::size_t i; (i = next_.fetch_add(1)) < parts_;) {
      try {
        (*body_)(i * n_ / parts_, (i + 1) * n_ / parts_);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      if (--unfinished_ == 0) finished_.notify_all();
    }
    inside_ = false;
  }

  /// Waits for each region after the `seen` one, joins it, checks out.
  void worker_loop(std::size_t seen) {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      work();
      std::lock_guard lock(mutex_);
      if (--absent_ == 0) finished_.notify_all();
    }
  }

  void start_workers() {
    if (!workers_->empty() || threads() < 2) return;
    const std::size_t current = generation_;  // (only run() changes it, holding region_ as we do)
    for (std::size_t i = 1; i < threads(); ++i) workers_->emplace_back([this, current] { worker_loop(current); });
  }

  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : *workers_) t.join();
    workers_->clear();
    stopping_ = false;
  }

  std::atomic<std::size_t> threads_;
  std::mutex region_;  // held by the thread running a region
  std::mutex mutex_;   // guards the region's state below
  std::condition_variable wake_, finished_;
  std::unique_ptr<std::vector<std::thread>> workers_ = std::make_unique<std::vector<std::thread>>();
  const detail::RangeBody* body_ = nullptr;
  std::size_t n_ = 0, parts_ = 0, unfinished_ = 0, absent_ = 0, generation_ = 0;
  std::atomic<std::size_t> next_{0};
  std::exception_ptr error_;
  bool stopping_ = false;
  static thread_local bool inside_;
};

thread_local bool Pool::inside_ = false;

}  // namespace

std::size_t get_num_threads() { return Pool::instance().threads(); }

void set_num_threads(std::size_t n) {
  DESCENT_CHECK(n >= 1, "set_num_threads", "the number of threads must be at least 1, got ", n);
  Pool::instance().set_threads(n);
}

void detail::parallel_for_impl(std::size_t n, std::size_t grain, RangeBody body) {
  if (n < 2 * std::max<std::size_t>(grain, 1)) {
    if (n > 0) body(0, n);
    return;
  }
  Pool::instance().run(n, std::max<std::size_t>(grain, 1), body);
}

}  // namespace descent
