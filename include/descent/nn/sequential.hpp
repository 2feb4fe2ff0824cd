#pragma once
// A chain of modules, each fed the previous one's output; children are named "0", "1", ...
#include <memory>
#include <type_traits>

#include "descent/nn/module.hpp"

namespace descent::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  /// Sequential(Linear(4, 8), ReLU(), Linear(8, 1)): modules by value or as shared_ptr.
  template <class... Ms> explicit Sequential(Ms&&... modules) { (push_back(std::forward<Ms>(modules)), ...); }

  template <class M> void push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(size()), std::move(module));
  }
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>>>
  void push_back(M&& module) {
    push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }

  std::size_t size() const { return named_children().size(); }
  /// The i-th module.
  Module& operator[](std::size_t i) const;
  Tensor forward(const Tensor& input) override;
  std::string describe() const override { return "Sequential"; }
};

}  // namespace descent::nn
