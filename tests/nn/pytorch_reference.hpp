#pragma once
// What test_attention.cpp and test_transformer.cpp share: the PyTorch models of
// transformer_reference.py (state_dicts in tests/io/files) and checks of outputs and gradients
// against its literals.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace descent::testing {

/// The state_dict keys of `model`, in order.
inline std::vector<std::string> state_dict_keys(const nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& entry : model.state_dict()) out.push_back(entry.first);
  return out;
}

/// Loads tests/io/files/pytorch_<name>.npz (written by transformer_reference.py) into `model`.
inline void load_pytorch(nn::Module& model, const std::string& name) {
  io::load(model, std::filesystem::path(DESCENT_IO_FILES) / ("pytorch_" + name + ".npz"));
}

/// Back-propagates sum(output · cosine_upstream) over `outputs`: the reference script's gradients.
inline void backward_upstream(const std::vector<Tensor>& outputs) {
  Tensor loss;
  for (const Tensor& y : outputs) {
    const Tensor term = sum(y * cosine_upstream(y.shape()));
    loss = loss.defined() ? loss + term : term;
  }
  loss.backward();
}

/// Each parameter's gradient, in named_parameters order, against the script's `name_dparams`.
inline void check_parameter_grads(const nn::Module& model, const std::vector<std::vector<double>>& expected) {
  const auto params = model.named_parameters();
  BOOST_TEST_REQUIRE(params.size() == expected.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    BOOST_TEST_CONTEXT("gradient of " << params[i].first) {
      BOOST_TEST_REQUIRE(params[i].second.grad().defined());
      check_close(params[i].second.grad(), expected[i]);
    }
  }
}

/// The literals `values` of a tensor of `shape`, narrowed to index `index` of `axis` (the axis kept).
inline std::vector<double> narrowed(const std::vector<double>& values, const Shape& shape, std::ptrdiff_t axis,
                                    std::ptrdiff_t index) {
  const Tensor part = narrow(from_buffer(values.data(), shape), axis, index, 1).contiguous();
  return std::vector<double>(part.data<double>(), part.data<double>() + part.numel());
}

}  // namespace descent::testing
