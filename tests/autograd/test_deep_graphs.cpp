// Graphs of any depth: a chain of 10^7 nodes is built, dropped without backward, built again and
// backpropagated, in the main thread and in a thread with a 256 KiB stack; a recursive release or
// backward would overflow the stack (SIGSEGV). DESCENT_DEEP_GRAPH_NODES overrides the length (the
// sanitizer stage uses less: ASan triples the memory of every node).
#include "support/check.hpp"

#include <malloc.h>
#include <pthread.h>

#include <cstdlib>
#include <functional>
#include <string>

using namespace descent;
using descent::testing::check_values;

namespace {

std::size_t chain_length() {
  const char* env = std::getenv("DESCENT_DEEP_GRAPH_NODES");
  return env ? std::stoul(env) : 10'000'000;
}

// The cheapest recorded op: a new handle on the same values, gradient passed through.
Tensor pass(const Tensor& y) {
  return autograd::record("pass", y.detach(), {y}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor chain(const Tensor& x, std::size_t n) {
  Tensor y = x;
  for (std::size_t i = 0; i < n; ++i) y = pass(y);
  return y;
}

void build_drop_build_backward() {
  const std::size_t n = chain_length();
  Tensor x = tensor({1.5}, float64).requires_grad_();
  { Tensor dropped = chain(x, n); }  // released without backward
  Tensor y = chain(x, n);
  sum(y * 2.0).backward();
  check_values(x.grad(), {2});
}

// Runs f on a new thread with a 256 KiB stack (std::thread cannot choose its stack size).
void on_small_stack(std::function<void()> f) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  };
  BOOST_TEST_REQUIRE(pthread_create(&thread, &attr, body, &f) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deep_graphs)

BOOST_AUTO_TEST_CASE(a_long_chain_on_the_main_thread) { build_drop_build_backward(); }

BOOST_AUTO_TEST_CASE(a_long_chain_on_a_256_kib_stack) {
  // One malloc arena: the thread reuses the memory the main thread's chain freed, instead of a
  // second 2 GiB at the peak.
  mallopt(M_ARENA_MAX, 1);
  std::string failure;
  on_small_stack([&] {
    try {
      build_drop_build_backward();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  BOOST_TEST(failure.empty(), failure);
}

BOOST_AUTO_TEST_CASE(a_running_sum_of_losses_kept_without_backward) {
  // running = running + loss over many steps: each loss's graph hangs off the sum, then all of it goes.
  Tensor w = tensor({0.5}, float64).requires_grad_();
  Tensor running = zeros({}, float64);
  for (int step = 0; step < 300'000; ++step) running = running + sum(w * w);
  BOOST_TEST(running.item() == 300'000 * 0.25);
  running = Tensor();
}

BOOST_AUTO_TEST_SUITE_END()
