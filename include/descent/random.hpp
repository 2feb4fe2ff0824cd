#pragma once
// Seedable random numbers: the same seed gives the same numbers on every run and platform
// (the distributions are our own, not the standard library's implementation-defined ones).
#include <cstdint>

#include "descent/tensor.hpp"

namespace descent {

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
