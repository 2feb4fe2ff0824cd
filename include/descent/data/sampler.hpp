#pragma once
// Samplers, like torch.utils.data.Sampler: where a DataLoader's order of one pass comes from.
//
//   auto sampler = std::make_shared<data::DistributedSampler>(world_size, rank);
//   data::DataLoader loader(dataset, {.batch_size = 32, .sampler = sampler});
//   for (std::uint64_t epoch = 0; epoch < 10; ++epoch) {
//     sampler->set_epoch(epoch);  // a new shuffle each epoch, the same one on every rank
//     for (const data::Batch& batch : loader) { ... }
//   }
#include <cstddef>
#include <cstdint>
#include <vector>

#include "descent/random.hpp"

namespace descent::data {

/// The order of one pass over a dataset of `dataset_size` examples. A user's sampler implements
/// both functions; indices() may return repeats and must return size() indices, each below
/// dataset_size (the DataLoader checks).
class Sampler {
 public:
  virtual ~Sampler() = default;
  /// The indices of one pass, in order: called once per DataLoader::begin().
  virtual std::vector<std::size_t> indices(std::size_t dataset_size) = 0;
  /// How many indices a pass yields.
  virtual std::size_t size(std::size_t dataset_size) const = 0;
  /// What indices() depends on besides the dataset size (an epoch, a generator's state), for a
  /// DataLoader's checkpoint; a sampler whose passes differ overrides both. Default: nothing.
  virtual std::vector<std::int64_t> state() const { return {}; }
  /// Restores what state() returned; the default accepts only an empty state.
  virtual void set_state(const std::vector<std::int64_t>& state);
};

struct DistributedSamplerOptions {
  /// Permute the dataset at each pass, from a generator seeded with seed + epoch.
  bool shuffle = true;
  /// Must be the same on every rank, so that all ranks draw the same permutation.
  std::uint64_t seed = 0;
  /// Drop the tail that does not split evenly over the replicas, instead of padding it by
  /// repeating the start of the order.
  bool drop_last = false;
};

/// Like torch.utils.data.distributed.DistributedSampler: splits each pass over num_replicas
/// processes, rank taking every num_replicas-th index of one shared order from position rank on.
/// Every rank gets the same number of indices (size()), so every rank runs the same number of
/// steps; without drop_last a few examples are seen twice in a pass.
class DistributedSampler : public Sampler {
 public:
  DistributedSampler(std::size_t num_replicas, std::size_t rank, DistributedSamplerOptions options = {});

  std::vector<std::size_t> indices(std::size_t dataset_size) override;
  /// ceil(n / num_replicas), or floor(n / num_replicas) with drop_last (0 when n < num_replicas).
  std::size_t size(std::size_t dataset_size) const override;

  /// Call at the start of each epoch, with the same epoch on every rank: the shuffle depends on it.
  void set_epoch(std::uint64_t epoch) { epoch_ = epoch; }
  std::uint64_t epoch() const { return epoch_; }
  /// {epoch}.
  std::vector<std::int64_t> state() const override { return {static_cast<std::int64_t>(epoch_)}; }
  void set_state(const std::vector<std::int64_t>& state) override;
  std::size_t num_replicas() const { return num_replicas_; }
  std::size_t rank() const { return rank_; }
  const DistributedSamplerOptions& options() const { return options_; }

 private:
  std::size_t num_replicas_, rank_;
  DistributedSamplerOptions options_;
  std::uint64_t epoch_ = 0;
};

/// A random permutation of 0..n-1 drawn from `generator` (Fisher–Yates, as randperm): the order of
/// a shuffling DataLoader's pass and of a shuffling DistributedSampler.
std::vector<std::size_t> random_order(std::size_t n, Generator& generator);

}  // namespace descent::data
