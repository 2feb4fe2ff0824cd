#pragma once
// What fit() asks of a model trained as one of several replicas, one per process
// (distributed::DataParallel is one): which replica this is, and sums over all of them. fit() then
// averages its losses and metrics over the replicas, evaluates them all with replica 0's buffers,
// and shows progress and saves checkpoints on replica 0 only.
#include <cstddef>
#include <span>

namespace descent::train {

class Replicated {
 public:
  virtual ~Replicated() = default;
  /// This process's replica, 0 ≤ replica_rank() < replica_count().
  virtual std::size_t replica_rank() const = 0;
  virtual std::size_t replica_count() const = 0;
  /// Replaces `values` by their sums over the replicas. A collective: every replica calls it with
  /// the same number of values at the same point.
  virtual void sum_over_replicas(std::span<double> values) = 0;
  /// Gives every replica replica 0's buffers (BatchNorm's running statistics, which each replica's
  /// last training steps moved on its own data): what evaluate() does first. A collective.
  virtual void sync_buffers() = 0;
};

}  // namespace descent::train
