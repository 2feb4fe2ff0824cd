#include "descent/random.hpp"

#include <cmath>
#include <numeric>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"

namespace descent {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Generator::seed(std::uint64_t seed) {
  for (auto& s : state_) s = splitmix64(seed);
  has_spare_ = false;
}

void Generator::set_state(const GeneratorState& state) {
  // xoshiro256** never leaves the all-zero state, and never reaches it from any other.
  const bool zero = state.words[0] == 0 && state.words[1] == 0 && state.words[2] == 0 && state.words[3] == 0;
  DESCENT_CHECK(!zero, "Generator", "set_state: the all-zero state is not one");
  for (std::size_t i = 0; i < 4; ++i) state_[i] = state.words[i];
  has_spare_ = state.has_spare;
  spare_ = state.spare;
}

std::uint64_t Generator::next() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * M_PI * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

std::uint64_t Generator::below(std::uint64_t n) {
  // Rejection sampling: unbiased for every n.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t x;
  do x = next();
  while (x >= limit);
  return x % n;
}

Generator& default_generator() {
  thread_local Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

namespace {
template <class Draw> Tensor fill_random(const char* op, const Shape& shape, Dtype dtype, Draw draw) {
  Tensor out = empty(shape, dtype);
  detail::dispatch_floating(op, dtype, [&](auto e) {
    using T = decltype(e);
    T* d = out.data<T>();
    for (std::size_t i = 0, n = out.numel(); i < n; ++i) d[i] = static_cast<T>(draw());
  });
  return out;
}
}  // namespace

Tensor rand(const Shape& shape, Generator& gen, Dtype dtype) {
  return fill_random("rand", shape, dtype, [&] { return gen.uniform(); });
}
Tensor rand(const Shape& shape, Dtype dtype) { return rand(shape, default_generator(), dtype); }

Tensor randn(const Shape& shape, Generator& gen, Dtype dtype) {
  return fill_random("randn", shape, dtype, [&] { return gen.normal(); });
}
Tensor randn(const Shape& shape, Dtype dtype) { return randn(shape, default_generator(), dtype); }

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, Dtype dtype) {
  DESCENT_CHECK(low <= high, "uniform", "low (", low, ") must not exceed high (", high, ")");
  return fill_random("uniform", shape, dtype, [&] { return low + (high - low) * gen.uniform(); });
}
Tensor uniform(const Shape& shape, double low, double high, Dtype dtype) {
  return uniform(shape, low, high, default_generator(), dtype);
}

Tensor randperm(std::size_t n, Generator& gen) {
  Tensor out = empty({n}, Dtype::int64);
  auto* d = out.data<std::int64_t>();
  std::iota(d, d + n, std::int64_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(d[i - 1], d[gen.below(i)]);  // Fisher–Yates
  return out;
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen) {
  DESCENT_CHECK(low < high, "randint", "expected low < high, got low ", low, " and high ", high);
  Tensor out = empty(shape, Dtype::int64);
  auto* d = out.data<std::int64_t>();
  const auto range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  for (std::size_t i = 0; i < out.numel(); ++i) d[i] = low + static_cast<std::int64_t>(gen.below(range));
  return out;
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape) {
  return randint(low, high, shape, default_generator());
}

}  // namespace descent
