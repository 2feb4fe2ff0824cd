#pragma once
// DataLoader, like torch.utils.data.DataLoader: iterates over a dataset in batches.
//
//   data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 32, .shuffle = true}, /*seed=*/42);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const data::Batch& batch : loader) { ... batch.inputs, batch.targets ... }
//
// A sampler (data/sampler.hpp, e.g. a DistributedSampler) chooses the order instead.
//
// Its position (the pass, the batches handed out, the generator's and the sampler's state) is saved
// with io::save(loader, path) (io/checkpoint.hpp); a loader restored with io::load continues where the
// saved one was, so a resumed run sees the batches an uninterrupted one would have:
//   for (std::uint64_t epoch = loader.epoch(); epoch < epochs; ++epoch)
//     for (const data::Batch& batch : loader) { ... }
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
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
  /// sampler, each call asks it for one. After load_state_tensors of a pass that was not finished,
  /// the next call continues that pass instead, from the first batch not handed out.
  Iterator begin();
  Iterator end() const;

  /// The pass the next begin() runs, counting from 0: the passes begun so far, or the restored
  /// unfinished one.
  std::uint64_t epoch() const { return resume_ ? passes_ - 1 : passes_; }
  /// The batch the next begin() starts at: 0, or the first one a restored pass had not handed out.
  std::size_t start_batch() const { return resume_ ? resume_at_ : 0; }

  /// The position as named tensors, what io::save(loader, path) writes (all int64): "epoch" (passes
  /// begun), "batch" (batches of the current pass handed out: dereferenced), "generator" and
  /// "pass_generator" (the shuffle generator's state now and at the start of the current pass: 4
  /// words, has_spare, spare's bits), "sampler" and "pass_sampler" (Sampler::state(), the same two
  /// moments), and "dataset_size", "batch_size", "shuffle", "drop_last", which a restore checks.
  std::vector<std::pair<std::string, Tensor>> state_tensors() const;
  /// Restores a position saved by state_tensors() into a loader of the same dataset size and options
  /// (every missing, unexpected or mismatching entry is reported in one Error; nothing changes then).
  void load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors);

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
    std::shared_ptr<std::size_t> handed_out_;  // the loader's count for this pass
    mutable std::vector<std::size_t> indices_;
    mutable Batch current_;
    mutable bool loaded_ = false;
  };

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  std::shared_ptr<const std::vector<std::size_t>> sequential_;  // 0..n-1, shared by unshuffled passes
  // The position (state_tensors): passes begun, batches of the current one handed out (shared with its
  // iterator), the generator's and the sampler's state when it began; a restored unfinished pass.
  std::uint64_t passes_ = 0;
  std::shared_ptr<std::size_t> handed_out_ = std::make_shared<std::size_t>(0);
  GeneratorState pass_generator_{};
  std::vector<std::int64_t> pass_sampler_;
  bool resume_ = false;
  std::size_t resume_at_ = 0;
};

}  // namespace descent::data
