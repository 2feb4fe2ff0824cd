// A CNN trained by PyTorch (Conv2d, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
// Flatten, Linear), its state_dict saved with numpy.savez, loads into the same nn::Sequential and
// predicts the same in eval mode: max abs difference ≤ 1e-5 in float32 (pytorch_cnn_reference.py).
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace descent;
using descent::testing::sine_filled;
namespace fs = std::filesystem;

namespace {

#include "pytorch_cnn_values.inc"

/// The model of pytorch_cnn_reference.py, layer for layer (PyTorch's names are the indices).
nn::Sequential pytorch_cnn() {
  return nn::Sequential(nn::Conv2d(1, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(4, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU(), nn::AvgPool2d(2),
                        nn::AdaptiveAvgPool2d(2), nn::Flatten(), nn::Linear(32, 10));
}

/// max |actual - expected| over the elements, actual read as float64.
double max_abs_difference(const Tensor& actual, const std::vector<double>& expected) {
  BOOST_TEST_REQUIRE(actual.numel() == expected.size());
  const Tensor a = actual.detach().to(float64).contiguous();
  double m = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) m = std::max(m, std::abs(a.data<double>()[i] - expected[i]));
  return m;
}

std::vector<std::string> keys(const nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& [name, _] : model.state_dict()) out.push_back(name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pytorch_cnn_checkpoint)

BOOST_AUTO_TEST_CASE(state_dict_keys_and_order_are_pytorchs) {
  BOOST_TEST(keys(pytorch_cnn()) == cnn_keys, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pytorch_weights_load_and_predict_the_same_in_eval) {
  nn::Sequential model = pytorch_cnn();
  model.eval();
  const Tensor x = sine_filled({3, 1, 12, 12}, 1.5, 0.37, 0.2).to(float32);
  BOOST_TEST(max_abs_difference(model(x), cnn_eval) > 1e-2);  // a fresh model predicts otherwise
  io::load(model, fs::path(DESCENT_IO_FILES) / "pytorch_cnn.npz");
  const Tensor y = model(x);
  BOOST_TEST((y.dtype() == float32));
  BOOST_TEST(to_string(y.shape()) == "(3,10)");
  BOOST_TEST(max_abs_difference(y, cnn_eval) <= 1e-5);
  // the running statistics count PyTorch's 5 training steps, and eval forwards do not add to them
  const auto& bn = static_cast<const nn::BatchNorm&>(*model.named_children()[1].second);
  BOOST_TEST(bn.num_batches_tracked.item<std::int64_t>() == 5);
}

BOOST_AUTO_TEST_SUITE_END()
