// nn::Embedding: PyTorch's initialisation (N(0, 1), the padding row zero), describe() as PyTorch's
// repr, a PyTorch-trained nn.Embedding's state_dict loading and giving the same rows
// (embedding_reference.py), the gradients of repeated indices accumulating and none for padding.
#include "support/check.hpp"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
namespace fs = std::filesystem;

namespace {

#include "embedding_values.inc"

std::vector<std::string> keys(const nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& [name, _] : model.state_dict()) out.push_back(name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(embedding_layer)

BOOST_AUTO_TEST_CASE(initialisation_is_standard_normal_with_the_padding_row_zero) {
  Generator gen(3);
  nn::Embedding layer(200, 50, {.padding_idx = -1}, gen);
  BOOST_TEST(to_string(layer.weight.shape()) == "(200,50)");
  BOOST_TEST((layer.weight.dtype() == float32));
  BOOST_TEST(layer.weight.requires_grad());
  BOOST_TEST(*layer.padding_idx == 199);  // stored non-negative, as PyTorch
  const Tensor w = layer.weight.detach().to(float64);
  const double m = mean(w).item(), s = std::sqrt(mean(w * w).item() - m * m);
  BOOST_TEST(std::abs(m) < 0.03);
  BOOST_TEST(std::abs(s - 1) < 0.03);
  BOOST_TEST(sum(abs(narrow(w, 0, 199, 1))).item() == 0.0);
  BOOST_TEST(sum(abs(narrow(w, 0, 198, 1))).item() > 0.0);
  BOOST_TEST((nn::Embedding(3, 2, {.dtype = float64}).weight.dtype() == float64));
}

BOOST_AUTO_TEST_CASE(describe_and_state_dict_are_pytorchs) {
  BOOST_TEST(nn::Embedding(96, 128).describe() == "Embedding(96, 128)");
  BOOST_TEST(nn::Embedding(96, 128, {.padding_idx = 0}).describe() == "Embedding(96, 128, padding_idx=0)");
  nn::Embedding layer(10, 4, {.padding_idx = 2});
  BOOST_TEST(layer.describe() == embedding_repr);
  BOOST_TEST(keys(layer) == embedding_keys, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pytorch_weights_load_and_give_the_same_rows) {
  nn::Embedding layer(10, 4, {.padding_idx = 2});
  const Tensor idx = tensor({{2, 7, 7}, {0, 9, 2}}, int64);
  io::load(layer, fs::path(DESCENT_IO_FILES) / "pytorch_embedding.npz");
  const Tensor y = layer(idx);
  BOOST_TEST((y.dtype() == float32));
  BOOST_TEST(to_string(y.shape()) == "(2,3,4)");
  check_close(y.to(float64), embedding_out, 0);  // rows copied: exactly PyTorch's float32 values
}

BOOST_AUTO_TEST_CASE(gradients_of_repeated_indices_accumulate_and_skip_the_padding_row) {
  nn::Embedding layer(5, 3, {.padding_idx = 1, .dtype = float64});
  const Tensor idx = tensor({{4, 1, 4}, {0, 4, 1}}, int64);
  sum(layer(idx) * 2.0).backward();
  // row 4 three times, row 0 once, row 1 (padding) none, rows 2 and 3 unused
  check_close(layer.weight.grad(), {2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6});
  sum(layer(idx)).backward();  // a second pass accumulates into .grad
  check_close(layer.weight.grad(), {3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9});
}

BOOST_AUTO_TEST_CASE(errors_name_the_layer) {
  nn::Embedding layer(5, 3);
  check_error([&] { layer(tensor({1, 5}, int64)); }, "Embedding(5, 3): embedding: index 5 is out of range for 5 embeddings");
  check_error([&] { layer(tensor({1.0})); }, "Embedding(5, 3): embedding: indices must be an int64 tensor");
  check_error([] { nn::Embedding(5, 3, {.padding_idx = 5}); }, "Embedding: padding_idx 5 is out of range for 5 embeddings");
  check_error([] { nn::Embedding(5, 3, {.dtype = int64}); }, "Embedding: dtype must be float32 or float64, got int64");
}

BOOST_AUTO_TEST_SUITE_END()
