// Intra-op threads (descent/parallel.hpp, lib/parallel.cpp): parallel_for covers its range once
// in parts of at least the grain, runs nested and concurrent regions serially instead of
// deadlocking, passes exceptions on; a CNN step's values and gradients are bit-identical for 1, 2
// and 3 threads. tests/ci.sh also runs this file under ThreadSanitizer.
#include "support/check.hpp"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "detail/parallel.hpp"

using namespace descent;
using namespace descent::testing;

namespace {

/// Sets the number of threads for a scope.
struct Threads {
  explicit Threads(std::size_t n) : before(get_num_threads()) { set_num_threads(n); }
  ~Threads() { set_num_threads(before); }
  std::size_t before;
};

/// Each element of [0, n) visited once, in parts of at least `grain`.
void check_cover(std::size_t n, std::size_t grain) {
  std::vector<std::atomic<int>> seen(n);
  std::mutex m;
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  detail::parallel_for(n, grain, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) ++seen[i];
    std::lock_guard lock(m);
    parts.emplace_back(b, e);
  });
  for (std::size_t i = 0; i < n; ++i) BOOST_TEST(seen[i] == 1, "element " << i << " of " << n);
  for (auto [b, e] : parts) BOOST_TEST((e - b >= grain || parts.size() == 1), "part [" << b << ", " << e << ")");
}

/// Forward and backward of a small CNN (conv, batch norm, relu, max pool, linear) on inputs large
/// enough for every kernel to split: the loss, the input gradient and every parameter gradient.
std::vector<xt::xarray<float>> cnn_step() {
  Generator gen(7);
  nn::Sequential model(nn::Conv2d(3, 16, 3, {.padding = 1}, gen), nn::BatchNorm2d(16), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Flatten(), nn::Linear(16 * 14 * 14, 10, {}, gen));
  const Tensor x = randn({24, 3, 28, 28}, gen).requires_grad_();
  const Tensor target = randn({24, 10}, gen);
  const Tensor loss = nn::mse_loss(model(x) * 2.0 + 1.0, target);
  loss.backward();
  std::vector<xt::xarray<float>> out{loss.to_xarray<float>(), x.grad().to_xarray<float>()};
  for (const Tensor& p : model.parameters()) out.push_back(p.grad().to_xarray<float>());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parallel)

BOOST_AUTO_TEST_CASE(parallel_for_covers_the_range_once_in_parts_of_the_grain) {
  for (std::size_t threads : {1, 2, 3, 5}) {
    Threads t(threads);
    for (std::size_t n : {0, 1, 2, 7, 100, 1001})
      for (std::size_t grain : {1, 3, 50, 2000}) check_cover(n, grain);
  }
}

BOOST_AUTO_TEST_CASE(nested_and_concurrent_regions_run_without_waiting_for_each_other) {
  Threads t(2);
  std::atomic<std::size_t> total{0};
  auto nested = [&] {
    detail::parallel_for(64, 1, [&](std::size_t b, std::size_t e) {
      detail::parallel_for(e - b, 1, [&](std::size_t ib, std::size_t ie) { total += ie - ib; });
    });
  };
  std::thread other([&] {
    for (int i = 0; i < 200; ++i) nested();
  });
  for (int i = 0; i < 200; ++i) nested();
  other.join();
  BOOST_TEST(total == std::size_t(2 * 200 * 64));
}

BOOST_AUTO_TEST_CASE(an_exception_in_a_part_reaches_the_caller) {
  Threads t(2);
  BOOST_CHECK_THROW(detail::parallel_for(100, 1,
                                         [](std::size_t b, std::size_t) {
                                           if (b > 0) throw std::runtime_error("part failed");
                                         }),
                    std::runtime_error);
  check_cover(100, 1);  // the pool still works
}

BOOST_AUTO_TEST_CASE(a_cnn_step_is_bit_identical_for_any_number_of_threads) {
  std::vector<xt::xarray<float>> one;
  {
    Threads t(1);
    one = cnn_step();
  }
  for (std::size_t threads : {2, 3}) {
    Threads t(threads);
    const auto many = cnn_step();
    BOOST_TEST_REQUIRE(many.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) BOOST_TEST((many[i] == one[i]), "tensor " << i << ", " << threads << " threads");
  }
}

BOOST_AUTO_TEST_CASE(a_forked_child_starts_its_own_workers) {
  if (under_thread_sanitizer) {  // it refuses to start threads after a multi-threaded fork
    BOOST_TEST_MESSAGE("skipped under ThreadSanitizer");
    return;
  }
  Threads t(2);
  check_cover(1000, 1);  // the parent's workers are running
  const pid_t child = fork();
  if (child == 0) {
    std::atomic<std::size_t> total{0};
    detail::parallel_for(1000, 1, [&](std::size_t b, std::size_t e) { total += e - b; });
    _exit(total == 1000 ? 0 : 1);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(zero_threads_is_an_error) {
  check_error([] { set_num_threads(0); }, "set_num_threads: the number of threads must be at least 1, got 0");
}

BOOST_AUTO_TEST_SUITE_END()
