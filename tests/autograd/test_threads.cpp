// Threads: grad mode and the tape are per thread, so two threads training two independent models at
// once get exactly what each gets alone. tests/ci.sh also runs this file under ThreadSanitizer.
#include "support/check.hpp"

#include <latch>
#include <thread>

using namespace descent;

namespace {

// Trains a small MLP with Adam on synthetic data, once `start` opens; returns its final parameters.
// The hidden layer is wide enough (32 x 512 floats = 64 KiB) for activations to go through the
// shared buffer cache, which the threads then use at the same time.
std::vector<xt::xarray<float>> train_model(std::uint64_t seed, std::latch* start = nullptr) {
  Generator gen(seed);
  Tensor x = uniform({64, 3}, -1, 1, gen);
  Tensor y = sum(x * x, {1}, true);
  nn::Sequential net(nn::Linear(3, 512, {}, gen), nn::Tanh(), nn::Linear(512, 1, {}, gen));
  optim::Adam opt(net.parameters(), {.lr = 0.01});
  data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 32, .shuffle = true}, seed);
  if (start) start->arrive_and_wait();
  for (int epoch = 0; epoch < 30; ++epoch)
    for (const data::Batch& batch : loader) {
      Tensor loss = nn::mse_loss(net(batch.inputs), batch.targets);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  std::vector<xt::xarray<float>> out;
  for (const Tensor& p : net.parameters()) out.push_back(p.to_xarray<float>());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(two_models_trained_at_once_match_training_them_one_after_the_other) {
  const auto alone_a = train_model(1), alone_b = train_model(2);
  std::vector<xt::xarray<float>> together_a, together_b;
  std::latch start(2);  // both threads train at the same time, not one after the other
  std::thread ta([&] { together_a = train_model(1, &start); });
  std::thread tb([&] { together_b = train_model(2, &start); });
  ta.join();
  tb.join();
  BOOST_TEST_REQUIRE(together_a.size() == alone_a.size());
  for (std::size_t i = 0; i < alone_a.size(); ++i) {
    BOOST_TEST((together_a[i] == alone_a[i]), "parameter " << i << " of model A");
    BOOST_TEST((together_b[i] == alone_b[i]), "parameter " << i << " of model B");
  }
}

BOOST_AUTO_TEST_CASE(grad_mode_is_per_thread) {
  NoGradGuard off_here;
  bool recorded_there = false;
  std::thread([&] {
    Tensor w = ones({2}).requires_grad_();
    recorded_there = (w * 2.0).requires_grad();
  }).join();
  BOOST_TEST(recorded_there);
  BOOST_TEST(!autograd::is_grad_enabled());
}

// Anomaly detection is per thread too, and two threads may capture and print call stacks at once.
BOOST_AUTO_TEST_CASE(anomaly_detection_in_two_threads) {
  std::latch start(2);
  auto provoke = [&](const char* which) {
    DetectAnomaly detect;
    Tensor x = tensor({0.0, 1.0}, float64).requires_grad_();
    Tensor y = sum(sqrt(x));  // Inf gradient at 0
    start.arrive_and_wait();
    return testing::error_of([&] { y.backward(); }) + which;
  };
  std::string message_a, message_b;
  std::thread ta([&] { message_a = provoke("a"); });
  std::thread tb([&] { message_b = provoke("b"); });
  ta.join();
  tb.join();
  for (const std::string& message : {message_a, message_b}) {
    BOOST_TEST_INFO(message);
    BOOST_TEST(message.find("the backward of 'sqrt' returned Inf") != std::string::npos);
    BOOST_TEST(message.find("anomaly_detection_in_two_threads") != std::string::npos);
  }
  BOOST_TEST(!autograd::is_anomaly_enabled());
}

// One graph, recorded partly on thread A and partly on B, backpropagated on C: the recording order is
// one sequence for all threads, so every node still runs after all the nodes that use its output.
BOOST_AUTO_TEST_CASE(a_graph_recorded_across_threads) {
  auto first_part = [](const Tensor& x) {
    Tensor h = x;
    for (int i = 0; i < 100; ++i) h = tanh(h) * 1.01;
    return h;
  };
  auto second_part = [](const Tensor& x, const Tensor& h) { return sum(h * h) + sum(x * 3.0); };
  Tensor x = tensor({0.3, -0.7}, float64).requires_grad_();
  second_part(x, first_part(x)).backward();
  const Tensor expected = x.grad().clone();
  x.zero_grad();

  Tensor h, y;
  std::thread([&] { h = first_part(x); }).join();
  std::thread([&] { y = second_part(x, h); }).join();
  std::thread([&] { y.backward(); }).join();
  BOOST_TEST((x.grad().to_xarray<double>() == expected.to_xarray<double>()));
}

BOOST_AUTO_TEST_SUITE_END()
