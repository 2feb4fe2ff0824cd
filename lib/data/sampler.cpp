#include "descent/data/sampler.hpp"

#include <numeric>
#include <utility>

#include "descent/error.hpp"

namespace descent::data {

std::vector<std::size_t> random_order(std::size_t n, Generator& generator) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[generator.below(i)]);  // Fisher–Yates
  return order;
}

void Sampler::set_state(const std::vector<std::int64_t>& state) {
  DESCENT_CHECK(state.empty(), "Sampler", "set_state: this sampler has no state, got ", state.size(),
                " values (override state() and set_state() in a sampler whose passes differ)");
}

void DistributedSampler::set_state(const std::vector<std::int64_t>& state) {
  DESCENT_CHECK(state.size() == 1 && state[0] >= 0, "DistributedSampler", "set_state: expected {epoch >= 0}, got ",
                state.size(), " values");
  epoch_ = static_cast<std::uint64_t>(state[0]);
}

DistributedSampler::DistributedSampler(std::size_t num_replicas, std::size_t rank, DistributedSamplerOptions options)
    : num_replicas_(num_replicas), rank_(rank), options_(options) {
  DESCENT_CHECK(num_replicas >= 1, "DistributedSampler", "num_replicas must be at least 1, got 0");
  DESCENT_CHECK(rank < num_replicas, "DistributedSampler", "rank ", rank, " is out of range for ", num_replicas,
                " replicas (ranks 0..", num_replicas - 1, ")");
}

std::size_t DistributedSampler::size(std::size_t n) const {
  // PyTorch's ceil((n - num_replicas) / num_replicas) for drop_last with a remainder is this floor.
  return options_.drop_last ? n / num_replicas_ : (n + num_replicas_ - 1) / num_replicas_;
}

std::vector<std::size_t> DistributedSampler::indices(std::size_t n) {
  std::vector<std::size_t> order;
  if (options_.shuffle) {
    Generator generator(options_.seed + epoch_);
    order = random_order(n, generator);
  } else {
    order.resize(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
  }
  // Position p of the order padded (or truncated) to num_samples * num_replicas is order[p % n]:
  // the padding repeats the start of the order, as many times as it takes.
  const std::size_t num_samples = size(n);
  std::vector<std::size_t> mine(num_samples);
  for (std::size_t k = 0; k < num_samples; ++k) mine[k] = order[(rank_ + k * num_replicas_) % n];
  return mine;
}

}  // namespace descent::data
