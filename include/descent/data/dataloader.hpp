#pragma once
// DataLoader, like torch.utils.data.DataLoader: iterates over a dataset in batches.
//
//   data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 32, .shuffle = true}, /*seed=*/42);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const data::Batch& batch : loader) { ... batch.inputs, batch.targets ... }
//
// A sampler (data/sampler.hpp, e.g. a DistributedSampler) chooses the order instead.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/data/sampler.hpp"
#include "descent/random.hpp"

namespace descent::data {

struct DataLoaderOptions {
  /// Examples per batch. batch_size = dataset size is (full-)batch gradient descent, 1 is
  /// stochastic gradient descent, anything between is mini-batch gradient descent.
  std::size_t batch_size = 1;
  /// Visit the examples in a new random order at each pass (each epoch).
  bool shuffle = false;
  /// Skip the last batch when it has fewer than batch_size examples (otherwise it is kept).
  bool drop_last = false;
  /// Where each pass's order comes from (e.g. a DistributedSampler), instead of 0..n-1 or shuffle;
  /// the loader shares it, so set_epoch on your handle takes effect. Exclusive with shuffle.
  std::shared_ptr<Sampler> sampler = nullptr;
};

class DataLoader {
 public:
  class Iterator;

  /// Without a seed, a shuffling loader seeds its generator from descent's default generator
  /// at construction, so manual_seed() makes runs reproducible.
  explicit DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  /// The same seed gives the same sequence of epochs.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options, std::uint64_t seed);
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options, Generator generator);
  /// Convenience: the loader keeps its own copy of the dataset (which shares the tensors).
  explicit DataLoader(TensorDataset dataset, DataLoaderOptions options = {});
  DataLoader(TensorDataset dataset, DataLoaderOptions options, std::uint64_t seed);
  DataLoader(TensorDataset dataset, DataLoaderOptions options, Generator generator);

  /// The number of batches of one pass: ceil(n / batch_size), or floor with drop_last (0 when
  /// drop_last is set and the dataset is smaller than one batch, as in PyTorch); with a sampler,
  /// n is the number of indices it yields, sampler->size(dataset size).
  std::size_t size() const;
  const Dataset& dataset() const { return *dataset_; }
  const DataLoaderOptions& options() const { return options_; }

  /// Starts a pass over the dataset (an epoch): with shuffle, each call draws a new order; with a
  /// sampler, each call asks it for one.
  Iterator begin();
  Iterator end() const;

  /// An input iterator over the batches of one pass; it keeps the dataset and the order alive.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;

    Iterator() = default;
    /// The current batch, gathered on first access.
    const Batch& operator*() const;
    const Batch* operator->() const { return &**this; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& other) const { return batch_ == other.batch_; }
    /// Index of the current batch in the pass.
    std::size_t index() const { return batch_; }

   private:
    friend class DataLoader;
    std::shared_ptr<const Dataset> dataset_;
    std::shared_ptr<const std::vector<std::size_t>> order_;
    std::size_t batch_size_ = 1;
    std::size_t batch_ = 0;
    mutable std::vector<std::size_t> indices_;
    mutable Batch current_;
    mutable bool loaded_ = false;
  };

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  std::shared_ptr<const std::vector<std::size_t>> sequential_;  // 0..n-1, shared by unshuffled passes
};

}  // namespace descent::data
