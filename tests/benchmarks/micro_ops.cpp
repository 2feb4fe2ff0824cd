// Micro-benchmarks of single descent ops (Google Benchmark), float32, on the shapes of the W2/W3
// workloads: what one op costs, and the fixed per-op floor of the tape.
//
//   bench_micro [--benchmark_filter=REGEX] [--benchmark_repetitions=N] ...
//
// Counters: items_per_second counts output elements (or examples for the losses, ops for the tape
// floor), bytes_per_second the bytes read and written by the forward kernel, FLOPS the
// multiply-adds (×2) of a matmul. All rates are per wall-clock second (UseRealTime): OpenBLAS
// runs its own threads, so per-CPU-second rates of the main thread would overstate them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "descent/descent.hpp"

using namespace descent;

namespace {

constexpr std::size_t R = 128, C = 256;

Tensor random_tensor(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen);
}

Tensor random_labels(std::size_t n, std::size_t classes, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<std::int64_t> labels(n);
  for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(classes));
  return from_buffer(labels.data(), {n});
}

void set_rates(benchmark::State& state, double items, double bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// --- elementwise binary, forward only (nothing requires grad) ---------------------------------
template <class Op> void binary(benchmark::State& state, Shape b_shape, Op op) {
  const Tensor a = random_tensor({R, C}, 1), b = random_tensor(b_shape, 2);
  for (auto _ : state) {
    Tensor out = op(a, b);
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, double(R * C), 4.0 * double(2 * R * C + b.numel()));
}
const auto add_op = [](const Tensor& a, const Tensor& b) { return a + b; };
const auto mul_op = [](const Tensor& a, const Tensor& b) { return a * b; };
BENCHMARK_CAPTURE(binary, add_128x256_128x256, Shape{R, C}, add_op)->UseRealTime();
BENCHMARK_CAPTURE(binary, add_128x256_256, Shape{C}, add_op)->UseRealTime();
BENCHMARK_CAPTURE(binary, add_128x256_128x1, Shape{R, 1}, add_op)->UseRealTime();
BENCHMARK_CAPTURE(binary, mul_128x256_128x256, Shape{R, C}, mul_op)->UseRealTime();
BENCHMARK_CAPTURE(binary, mul_128x256_256, Shape{C}, mul_op)->UseRealTime();
BENCHMARK_CAPTURE(binary, mul_128x256_128x1, Shape{R, 1}, mul_op)->UseRealTime();

// --- activations, forward only ---------------------------------------------------------------
template <class Op> void unary(benchmark::State& state, Op op) {
  const Tensor x = random_tensor({R, C}, 3);
  for (auto _ : state) {
    Tensor out = op(x);
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, double(R * C), 4.0 * double(2 * R * C));
}
BENCHMARK_CAPTURE(unary, relu_128x256, [](const Tensor& x) { return relu(x); })->UseRealTime();
BENCHMARK_CAPTURE(unary, tanh_128x256, [](const Tensor& x) { return tanh(x); })->UseRealTime();

// --- reductions along one axis, forward only ---------------------------------------------------
template <class Op> void reduce(benchmark::State& state, std::ptrdiff_t axis, Op op) {
  const Tensor x = random_tensor({R, C}, 4);
  for (auto _ : state) {
    Tensor out = op(x, Axes{axis});
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, double(R * C), 4.0 * double(R * C + (axis == 0 ? C : R)));
}
const auto sum_op = [](const Tensor& x, const Axes& a) { return sum(x, a); };
const auto mean_op = [](const Tensor& x, const Axes& a) { return mean(x, a); };
const auto max_op = [](const Tensor& x, const Axes& a) { return max(x, a); };
BENCHMARK_CAPTURE(reduce, sum_128x256_axis0, 0, sum_op)->UseRealTime();
BENCHMARK_CAPTURE(reduce, sum_128x256_axis1, 1, sum_op)->UseRealTime();
BENCHMARK_CAPTURE(reduce, mean_128x256_axis0, 0, mean_op)->UseRealTime();
BENCHMARK_CAPTURE(reduce, mean_128x256_axis1, 1, mean_op)->UseRealTime();
BENCHMARK_CAPTURE(reduce, max_128x256_axis0, 0, max_op)->UseRealTime();
BENCHMARK_CAPTURE(reduce, max_128x256_axis1, 1, max_op)->UseRealTime();

// --- whole-tensor reductions: in cache (128×256) and memory bound (3·10⁷); float32 sums
// accumulate in float64 (kernels/reduce.hpp): these show what that costs ----------------------
template <class Op> void reduce_all(benchmark::State& state, Shape shape, Op op) {
  const Tensor x = random_tensor(shape, 6), y = random_tensor(shape, 7);
  for (auto _ : state) {
    Tensor out = op(x, y);
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, double(numel(shape)), 4.0 * double(numel(shape)));
}
const auto sum_all = [](const Tensor& x, const Tensor&) { return sum(x); };
const auto mean_all = [](const Tensor& x, const Tensor&) { return mean(x); };
const auto mse_all = [](const Tensor& x, const Tensor& y) { return nn::mse_loss(x, y); };
BENCHMARK_CAPTURE(reduce_all, sum_128x256, Shape{R, C}, sum_all)->UseRealTime();
BENCHMARK_CAPTURE(reduce_all, mse_loss_128x256, Shape{R, C}, mse_all)->UseRealTime();
BENCHMARK_CAPTURE(reduce_all, sum_30M, Shape{30'000'000}, sum_all)->UseRealTime();
BENCHMARK_CAPTURE(reduce_all, mean_30M, Shape{30'000'000}, mean_all)->UseRealTime();
BENCHMARK_CAPTURE(reduce_all, mse_loss_30M, Shape{30'000'000}, mse_all)->UseRealTime();

// --- matmul (128,784)x(784,256), operands transposed through views ----------------------------
void matmul_case(benchmark::State& state, bool transpose_a, bool transpose_b) {
  constexpr std::size_t M = 128, K = 784, N = 256;
  // Stored transposed when the product reads a transpose view of it.
  const Tensor a_store = random_tensor(transpose_a ? Shape{K, M} : Shape{M, K}, 5);
  const Tensor b_store = random_tensor(transpose_b ? Shape{N, K} : Shape{K, N}, 6);
  const Tensor a = transpose_a ? transpose(a_store) : a_store;
  const Tensor b = transpose_b ? transpose(b_store) : b_store;
  for (auto _ : state) {
    Tensor out = matmul(a, b);
    benchmark::DoNotOptimize(out);
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * M * N * K, benchmark::Counter::kIsIterationInvariantRate);
  set_rates(state, double(M * N), 4.0 * double(M * K + K * N + M * N));
}
BENCHMARK_CAPTURE(matmul_case, a_b, false, false)->UseRealTime();
BENCHMARK_CAPTURE(matmul_case, aT_b, true, false)->UseRealTime();
BENCHMARK_CAPTURE(matmul_case, a_bT, false, true)->UseRealTime();
BENCHMARK_CAPTURE(matmul_case, aT_bT, true, true)->UseRealTime();

// --- softmax / log_softmax over rows, forward + backward ----------------------------------------
template <class Op> void softmax_fwd_bwd(benchmark::State& state, Op op) {
  const std::size_t cols = static_cast<std::size_t>(state.range(0));
  Tensor x = random_tensor({R, cols}, 7).requires_grad_();
  const Tensor g = random_tensor({R, cols}, 8);
  for (auto _ : state) {
    x.zero_grad();
    Tensor y = op(x);
    y.backward(g);
    benchmark::DoNotOptimize(y);
  }
  set_rates(state, double(R * cols), 4.0 * double(2 * R * cols));
}
BENCHMARK_CAPTURE(softmax_fwd_bwd, softmax, [](const Tensor& x) { return softmax(x, 1); })
    ->Arg(10)
    ->Arg(256)
    ->UseRealTime();
BENCHMARK_CAPTURE(softmax_fwd_bwd, log_softmax, [](const Tensor& x) { return log_softmax(x, 1); })
    ->Arg(10)
    ->Arg(256)
    ->UseRealTime();

// --- cross-entropy from logits (128,10) with class indices, forward + backward ------------------
void cross_entropy_fwd_bwd(benchmark::State& state) {
  Tensor logits = random_tensor({R, 10}, 9).requires_grad_();
  const Tensor labels = random_labels(R, 10, 10);
  for (auto _ : state) {
    logits.zero_grad();
    Tensor loss = nn::cross_entropy(logits, labels);
    loss.backward();
    benchmark::DoNotOptimize(loss);
  }
  set_rates(state, double(R), 4.0 * double(R * 10) + 8.0 * double(R));
}
BENCHMARK(cross_entropy_fwd_bwd)->UseRealTime();

// --- Linear(784,256) on a batch of 128, forward + backward (a W2 layer) -------------------------
void linear_fwd_bwd(benchmark::State& state) {
  Generator gen(11);
  nn::Linear layer(784, 256, {}, gen);
  const Tensor x = random_tensor({R, 784}, 12);
  const Tensor g = random_tensor({R, 256}, 13);
  for (auto _ : state) {
    layer.zero_grad();
    Tensor y = layer(x);
    y.backward(g);
    benchmark::DoNotOptimize(y);
  }
  // forward x·Wᵀ plus backward g·W (skipped: x needs no grad) and gᵀ·x
  state.counters["FLOPS"] =
      benchmark::Counter(2.0 * 2.0 * R * 784 * 256, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(linear_fwd_bwd)->UseRealTime();

// --- BatchNorm2d in training on the W5 shapes, forward / forward + backward ---------------------
// items = elements of x; bytes: the forward reads x twice (statistics, then normalising) and writes y.
void batch_norm_2d(benchmark::State& state, Shape shape, bool backward) {
  const std::size_t c = shape[1];
  const Tensor x = random_tensor(shape, 12).requires_grad_(backward), g = random_tensor(shape, 13);
  const Tensor w = ones({c}).requires_grad_(backward), b = zeros({c}).requires_grad_(backward);
  Tensor rm = zeros({c}), rv = ones({c});
  for (auto _ : state) {
    Tensor y = batch_norm(x, rm, rv, w, b, true);
    if (backward) benchmark::DoNotOptimize(autograd::grad({y}, {x, w, b}, {g}));  // no .grad() accumulation
    benchmark::DoNotOptimize(y);
  }
  set_rates(state, double(x.numel()), 4.0 * 3 * double(x.numel()));
}
BENCHMARK_CAPTURE(batch_norm_2d, fwd_128x32x28x28, Shape{128, 32, 28, 28}, false)->UseRealTime();
BENCHMARK_CAPTURE(batch_norm_2d, fwd_bwd_128x32x28x28, Shape{128, 32, 28, 28}, true)->UseRealTime();
BENCHMARK_CAPTURE(batch_norm_2d, fwd_128x64x14x14, Shape{128, 64, 14, 14}, false)->UseRealTime();
BENCHMARK_CAPTURE(batch_norm_2d, fwd_bwd_128x64x14x14, Shape{128, 64, 14, 14}, true)->UseRealTime();

// --- the fixed per-op floor -----------------------------------------------------------------------
// One tiny recorded op and its backward: sum(x*y).backward() on 2-element tensors (2 ops recorded,
// 2 backward rules run, 2 leaf gradients accumulated). items_per_second = recorded ops per second.
void tape_tiny_fwd_bwd(benchmark::State& state) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = tensor({3.0, 4.0}).requires_grad_();
  for (auto _ : state) {
    x.zero_grad();
    y.zero_grad();
    Tensor s = sum(x * y);
    s.backward();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(tape_tiny_fwd_bwd)->UseRealTime();

// The same two ops without recording (nothing requires grad): the cost of an op call alone.
void tiny_forward_no_grad(benchmark::State& state) {
  const Tensor x = tensor({1.0, 2.0}), y = tensor({3.0, 4.0});
  for (auto _ : state) {
    Tensor s = sum(x * y);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(tiny_forward_no_grad)->UseRealTime();

// The same two ops recorded, without the backward: the cost of recording.
void tape_tiny_fwd_only(benchmark::State& state) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = tensor({3.0, 4.0}).requires_grad_();
  for (auto _ : state) {
    Tensor s = sum(x * y);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(tape_tiny_fwd_only)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
