#pragma once
// What the NPZ fuzz targets load archives into, and what make_corpus saves as their seeds: a
// small model and one optimizer of each kind with its options that keep the most state.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "descent/error.hpp"
#include "descent/io/checkpoint.hpp"
#include "descent/nn.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/optim.hpp"

namespace descent::fuzz {

inline nn::Sequential make_model() { return nn::Sequential(nn::Linear(3, 2)); }

/// Adam (amsgrad), SGD (momentum), RMSprop (momentum, centered) and Adagrad over `model`.
inline std::vector<std::unique_ptr<optim::Optimizer>> make_optimizers(nn::Module& model) {
  std::vector<std::unique_ptr<optim::Optimizer>> out;
  out.push_back(std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.amsgrad = true}));
  out.push_back(std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9}));
  out.push_back(std::make_unique<optim::RMSprop>(model.parameters(),
                                                 optim::RMSpropOptions{.momentum = 0.5, .centered = true}));
  out.push_back(std::make_unique<optim::Adagrad>(model.parameters()));
  return out;
}

/// One training step of `optimizer` on `model`: uses (and creates) its state.
inline void step(nn::Module& model, optim::Optimizer& optimizer) {
  optimizer.zero_grad();
  sum(model(ones({2, 3}))).backward();
  optimizer.step();
}

/// Loads `npz` into a fresh model and each optimizer's state; every optimizer that loads takes a
/// step with what it loaded. descent::Error (bad input) is the expected way to fail.
inline void load_everywhere(std::string_view npz) {
  nn::Sequential model = make_model();
  try {
    io::load_from_memory(model, npz, "fuzz.npz");
  } catch (const Error&) {
  }
  for (auto& optimizer : make_optimizers(model)) {
    try {
      io::load_from_memory(*optimizer, npz, "fuzz.npz");
    } catch (const Error&) {
      continue;
    }
    step(model, *optimizer);
  }
}

/// Every array name the model and the optimizers save (after a step), and one nobody knows.
inline const std::vector<std::string>& known_array_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    nn::Sequential model = make_model();
    for (const auto& [name, value] : model.named_parameters()) out.push_back(name);
    for (auto& optimizer : make_optimizers(model)) {
      step(model, *optimizer);
      for (const auto& [name, value] : optimizer->state_tensors()) out.push_back(name);
    }
    out.push_back("unknown");
    return out;
  }();
  return names;
}

}  // namespace descent::fuzz
