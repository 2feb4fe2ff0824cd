#pragma once
// Subsets of a dataset and random splits of one, as torch.utils.data.Subset and random_split:
//
//   auto parts = data::random_split(dataset, {0.8, 0.2}, gen);   // or lengths: {800, 200}
//   data::DataLoader train(parts[0], {.batch_size = 32, .shuffle = true});
//   data::DataLoader validation(parts[1], {.batch_size = 256});
#include <cstddef>
#include <memory>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/random.hpp"

namespace descent::data {

/// The examples of `dataset` at `indices`, in that order: example i is dataset[indices[i]] (indices
/// may repeat). Shares the dataset; its get_batch is the dataset's get_batch of the mapped indices
/// (so a TensorDataset's fast path stays).
class Subset : public Dataset {
 public:
  /// Every index must be below dataset->size() (an error names the first that is not).
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::size_t> indices);

  std::size_t size() const override { return indices_.size(); }
  Batch get(std::size_t index) const override;
  Batch get_batch(const std::vector<std::size_t>& indices) const override;

  const Dataset& dataset() const { return *dataset_; }
  const std::vector<std::size_t>& indices() const { return indices_; }

 private:
  std::size_t at(std::size_t index) const;

  std::shared_ptr<const Dataset> dataset_;
  std::vector<std::size_t> indices_;
};

/// Splits `dataset` into non-overlapping random subsets, as torch.utils.data.random_split (PyTorch
/// >= 1.13): `lengths` are either whole numbers summing to dataset->size(), or fractions in [0, 1]
/// summing to 1, turned into floor(fraction · n) examples each, with the remainder handed out one
/// example each to the parts in order (round robin). Part k takes the next lengths[k] indices of one
/// permutation of 0..n-1 drawn from `generator` (random_order: the same generator state gives the same
/// split; not PyTorch's permutation, which comes from its own generator).
std::vector<std::shared_ptr<const Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                        const std::vector<double>& lengths,
                                                        Generator& generator = default_generator());

}  // namespace descent::data
