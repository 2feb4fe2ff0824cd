// Memory: training for a long time does not grow memory, and a graph lives exactly as long as a
// tensor that a user keeps refers to it (until backward releases it).
#include "support/check.hpp"

#include <fstream>

using namespace descent;

namespace {

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// Address and thread sanitizers keep freed memory in quarantine and map shadow memory: resident
// size says nothing about our allocations there (LeakSanitizer checks leaks in that build).
constexpr bool sanitized = testing::under_address_sanitizer || testing::under_thread_sanitizer;

}  // namespace

BOOST_AUTO_TEST_SUITE(memory)

// The acceptance test: 10^6 tiny training steps through the public API (a layer, a loss,
// zero_grad / backward / step with momentum); the largest resident size seen stays within a few
// MiB of the size after the first thousand steps.
BOOST_AUTO_TEST_CASE(a_million_training_steps_keep_memory_flat, *boost::unit_test::enable_if<!sanitized>()) {
  Generator gen(1);
  nn::Linear model(2, 1, {}, gen);
  optim::SGD opt(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  const Tensor x = tensor({{1.0, 2.0}, {-1.0, 0.5}});
  const Tensor y = reshape(tensor({1.0, -0.5}), {2, 1});
  std::size_t after_warmup = 0, largest = 0;
  for (int step = 1; step <= 1000000; ++step) {
    Tensor loss = nn::mse_loss(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step == 1000) after_warmup = resident_kib();
    if (step >= 1000 && step % 1000 == 0) largest = std::max(largest, resident_kib());
  }
  BOOST_TEST_MESSAGE("resident after 1e3 steps: " << after_warmup << " KiB, largest until 1e6: " << largest
                                                  << " KiB");
  BOOST_TEST(largest - after_warmup < 2048u);
  BOOST_TEST(nn::mse_loss(model(x), y).item() < 1e-6);  // and it did train
}

// A kept loss keeps its whole graph (every node and the tensors saved for backward) until
// backward() releases it: storing losses of steps never backpropagated grows memory step by step.
BOOST_AUTO_TEST_CASE(a_stored_loss_keeps_its_graph_until_backward) {
  Tensor w = ones({4}).requires_grad_();
  std::vector<Tensor> losses;
  std::vector<std::weak_ptr<autograd::Node>> inner;
  for (int step = 0; step < 10; ++step) {
    Tensor h = w * 2.0;  // an intermediate node with saved values
    inner.push_back(h.grad_fn());
    losses.push_back(sum(h * h));
  }
  for (const auto& node : inner) BOOST_TEST(!node.expired());  // all ten graphs alive
  for (Tensor& loss : losses) loss.backward();
  for (const auto& node : inner) BOOST_TEST(node.expired());  // released, though the losses are kept
  BOOST_TEST(losses[0].grad_fn());                           // each keeps only its own, emptied, node
  BOOST_TEST(losses[0].grad_fn()->edges.empty());
}

// The PyTorch idiom for logging: keep loss.item() or loss.detach(), never the graph.
BOOST_AUTO_TEST_CASE(item_and_detach_keep_no_graph) {
  Tensor w = ones({4}).requires_grad_();
  std::vector<double> values;
  std::vector<Tensor> detached;
  std::weak_ptr<autograd::Node> graph;
  {
    Tensor loss = sum(w * 2.0);
    graph = loss.grad_fn();
    values.push_back(loss.item());
    detached.push_back(loss.detach());
  }
  BOOST_TEST(graph.expired());
  BOOST_TEST(!detached[0].requires_grad());
  BOOST_TEST(values[0] == 8.0);
}

BOOST_AUTO_TEST_SUITE_END()
