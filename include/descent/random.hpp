#pragma once
// Seedable random numbers: the same seed gives the same numbers on every run and platform
// (the distributions are our own, not the standard library's implementation-defined ones).
#include <array>
#include <cstdint>

#include "descent/tensor.hpp"

namespace descent {

/// Everything a Generator's future numbers depend on (torch.Generator.get_state's counterpart).
struct GeneratorState {
  std::array<std::uint64_t, 4> words{};  ///< xoshiro256**'s state
  bool has_spare = false;                ///< normal() keeps the second number of each Box–Muller pair
  double spare = 0;
  bool operator==(const GeneratorState&) const = default;
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) { this->seed(seed); }
  void seed(std::uint64_t seed);
  /// 64 random bits (xoshiro256**).
  std::uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  /// Standard normal (Box–Muller).
  double normal();
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  /// The state, to continue the same stream later (a DataLoader's checkpoint saves its generator's).
  GeneratorState get_state() const { return {{state_[0], state_[1], state_[2], state_[3]}, has_spare_, spare_}; }
  void set_state(const GeneratorState& state);

 private:
  std::uint64_t state_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

/// This thread's default generator (seeded with 0 until manual_seed is called).
Generator& default_generator();
void manual_seed(std::uint64_t seed);

/// Uniform in [0, 1).
Tensor rand(const Shape& shape, Generator& gen, Dtype dtype = float32);
Tensor rand(const Shape& shape, Dtype dtype = float32);
/// Standard normal.
Tensor randn(const Shape& shape, Generator& gen, Dtype dtype = float32);
Tensor randn(const Shape& shape, Dtype dtype = float32);
/// Uniform in [low, high).
Tensor uniform(const Shape& shape, double low, double high, Generator& gen, Dtype dtype = float32);
Tensor uniform(const Shape& shape, double low, double high, Dtype dtype = float32);
/// A random permutation of 0..n-1 (int64).
Tensor randperm(std::size_t n, Generator& gen);
/// Integers uniform in [low, high) (int64), as torch.randint(low, high, size).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen);
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape);

}  // namespace descent
