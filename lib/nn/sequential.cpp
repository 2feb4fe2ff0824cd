#include "descent/nn/sequential.hpp"

namespace descent::nn {

Module& Sequential::operator[](std::size_t i) const {
  DESCENT_CHECK(i < size(), "Sequential", "index ", i, " out of range for ", size(), " modules");
  return *named_children()[i].second;
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& [_, module] : named_children()) x = (*module)(x);
  return x;
}

}  // namespace descent::nn
