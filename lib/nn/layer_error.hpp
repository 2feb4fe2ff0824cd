#pragma once
// A layer that forwards to one op names itself in the op's errors: "MaxPool2d(kernel_size=2, ...):
// max_pool2d: input of shape ...", so a bad shape deep in a Sequential says which layer it hit.
#include <string>

#include "descent/error.hpp"
#include "descent/nn/module.hpp"

namespace descent::nn::detail {

template <class F> Tensor named_by(const Module& layer, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(layer.describe() + ": " + e.what());
  }
}

}  // namespace descent::nn::detail
