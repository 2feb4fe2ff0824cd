#pragma once
// Datasets, like torch.utils.data.Dataset: a size and one example per index. A DataLoader
// (descent/data/dataloader.hpp) turns one into batches.
#include <cstddef>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::data {

/// Inputs and targets: of one example (no batch axis) or of a batch (batch axis first).
/// `targets` may be undefined for a dataset without targets.
struct Batch {
  Tensor inputs;
  Tensor targets;
};

/// A collection of examples. A user's dataset overrides size() and get(); get_batch() then
/// stacks get() results, and may be overridden by datasets that can gather a batch faster.
///
///   struct Squares : data::Dataset {
///     std::size_t size() const override { return 100; }
///     data::Batch get(std::size_t i) const override {
///       return {tensor({double(i)}), tensor({double(i * i)})};
///     }
///   };
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// The number of examples.
  virtual std::size_t size() const = 0;
  /// Example `index` (in [0, size())): inputs and targets without the batch axis.
  virtual Batch get(std::size_t index) const = 0;
  /// The examples at `indices`, stacked along a new axis 0. Every example must have the same
  /// shapes and dtypes (an error names the first one that differs).
  virtual Batch get_batch(const std::vector<std::size_t>& indices) const;
};

/// Examples stored as rows of two tensors whose first axis is the example axis, like
/// torch.utils.data.TensorDataset: example i is (inputs[i], targets[i]). Targets may be int64
/// class labels of shape (n,). Keeps the values (not the autograd history) of both tensors.
class TensorDataset : public Dataset {
 public:
  TensorDataset(const Tensor& inputs, const Tensor& targets);

  std::size_t size() const override;
  Batch get(std::size_t index) const override;
  /// Gathers the rows with one memcpy each: the fast path of training loops.
  Batch get_batch(const std::vector<std::size_t>& indices) const override;

  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

}  // namespace descent::data
