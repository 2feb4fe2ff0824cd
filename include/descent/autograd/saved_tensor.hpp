#pragma once
// What a backward rule keeps of the forward pass (PyTorch's SavedVariable). It remembers the
// storage's version when saved, and unpack() refuses a tensor changed in place since:
//
//   Tensor y = sum(x * x);
//   { NoGradGuard g; x.mul_(2); }
//   y.backward();   // Error: the backward of mul needs a tensor ... version 1 now, 0 when saved ...
//
// An input is kept as it is, with its place in the graph, so that a rule written with recorded ops
// differentiates again under create_graph. An op's own output is kept without its grad_fn (the
// node would own itself: a cycle); unpacked while that node's backward runs with grad mode on, it
// is linked back to it.
#include <cstdint>

#include "descent/tensor.hpp"

namespace descent::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  /// Saves an input of the op (or any tensor its rule reads). An undefined tensor stays undefined.
  SavedTensor(const Tensor& input);  // NOLINT: implicit, so rules can capture [x = SavedTensor(x)]
  /// Saves the op's own result.
  static SavedTensor output(const Tensor& result);

  /// The saved tensor; throws descent::Error if its values were changed in place since saving.
  Tensor unpack() const;
  bool defined() const { return tensor_.defined(); }

 private:
  Tensor tensor_;
  VersionCounter* counter_ = nullptr;  ///< the storage's counter when saved (set_data may swap it)
  std::uint64_t version_ = 0;
  bool is_output_ = false;
};

}  // namespace descent::autograd

namespace descent {
using autograd::SavedTensor;
}
