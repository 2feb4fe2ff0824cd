// descent::distributed under mpirun (tests/CMakeLists.txt runs it with 2 and with 3 ranks): the
// collectives, DataParallel against single-process training on the same global batch, no_sync,
// buffers, unused parameters, mismatched models, fit and checkpoints. Every rank runs every test
// case; a check that fails on one rank fails the run (mpirun's exit code).
#include "support/check.hpp"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <unistd.h>

#include "descent/distributed.hpp"
#include "distributed/mpi.hpp"  // the library's MPI plumbing (tests see lib/)

using namespace descent;
using descent::testing::check_error;
namespace dist = descent::distributed;

struct MpiEnvironment {
  MpiEnvironment() : mpi(std::make_unique<dist::Environment>()) {}
  std::unique_ptr<dist::Environment> mpi;
};
BOOST_TEST_GLOBAL_FIXTURE(MpiEnvironment);

namespace {

std::size_t rank() { return dist::rank(); }
std::size_t ranks() { return dist::world_size(); }

/// Rank 0's values of `t` (a copy), on every rank.
Tensor rank0s(const Tensor& t) {
  Tensor copy = t.detach().clone();
  dist::broadcast({copy}, 0);
  return copy;
}

/// Largest |a - b| / (1 + |b|).
double relative_difference(const Tensor& a, const Tensor& b) {
  const Tensor x = a.detach().to(float64).contiguous(), y = b.detach().to(float64).contiguous();
  BOOST_TEST_REQUIRE(x.numel() == y.numel());
  double worst = 0;
  for (std::size_t i = 0; i < x.numel(); ++i)
    worst = std::max(worst, std::abs(x.data<double>()[i] - y.data<double>()[i]) / (1 + std::abs(y.data<double>()[i])));
  return worst;
}

std::shared_ptr<nn::Sequential> mlp(Dtype dtype) {
  return std::make_shared<nn::Sequential>(nn::Linear(5, 16, {.dtype = dtype}), nn::Tanh(),
                                          nn::Linear(16, 8, {.dtype = dtype}), nn::Tanh(), nn::Linear(8, 3, {.dtype = dtype}));
}

/// This rank's rows of a global batch: rows [rank·n/R, (rank+1)·n/R).
Tensor shard(const Tensor& global) {
  const std::size_t n = global.size(0) / ranks();
  return narrow(global, 0, static_cast<std::ptrdiff_t>(rank() * n), n);
}

/// Copies `from`'s parameters into `to`'s (models of the same layout).
void copy_parameters(const nn::Module& from, nn::Module& to) {
  NoGradGuard no_grad;
  const auto source = from.parameters();
  auto target = to.parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

/// Trains a DataParallel replica on this rank's shards and a single-process reference on the whole
/// global batches, `steps` steps each, and returns the largest relative difference of parameters.
template <class MakeOptimizer>
double data_parallel_against_one_process(Dtype dtype, const dist::DataParallelOptions& options, std::size_t steps,
                                         MakeOptimizer make_optimizer) {
  const std::size_t global_batch = 12;  // divisible by 2 and 3 ranks
  manual_seed(100 + rank());            // every rank starts elsewhere: DataParallel broadcasts rank 0's
  auto net = mlp(dtype);
  dist::DataParallel model(net, options);
  auto reference = mlp(dtype);
  copy_parameters(*net, *reference);
  auto optimizer = make_optimizer(model.parameters());
  auto reference_optimizer = make_optimizer(reference->parameters());
  Generator data(7);  // the same global batches on every rank
  for (std::size_t step = 0; step < steps; ++step) {
    const Tensor x = randn({global_batch, 5}, data, dtype), y = randn({global_batch, 3}, data, dtype);
    optimizer.zero_grad();
    mse_loss(model(shard(x)), shard(y)).backward();
    optimizer.step();
    reference_optimizer.zero_grad();
    mse_loss((*reference)(x), y).backward();
    reference_optimizer.step();
  }
  double worst = 0;
  const auto mine = model.parameters(), theirs = reference->parameters();
  for (std::size_t i = 0; i < mine.size(); ++i) {
    BOOST_TEST(relative_difference(mine[i], rank0s(mine[i])) == 0.0);  // identical on every rank
    worst = std::max(worst, relative_difference(mine[i], theirs[i]));
  }
  return worst;
}

optim::SGD sgd(std::vector<Tensor> p) { return optim::SGD(std::move(p), {.lr = 0.1, .momentum = 0.9}); }
optim::Adam adam(std::vector<Tensor> p) { return optim::Adam(std::move(p), {.lr = 0.01}); }

}  // namespace

BOOST_AUTO_TEST_SUITE(collectives)

BOOST_AUTO_TEST_CASE(broadcast_and_all_reduce) {
  BOOST_TEST(ranks() >= 2u);
  const double r = static_cast<double>(rank()), n = static_cast<double>(ranks());
  Tensor a = full({2, 3}, r + 1, float64), b = full({4}, r + 1, float32), c = full({2}, r + 1, int64);
  dist::broadcast({a, b, c}, 1);
  BOOST_TEST(a.at({1, 2}) == 2.0);
  BOOST_TEST(b.at({3}) == 2.0);
  BOOST_TEST(c.at({0}) == 2.0);
  const std::uint64_t version = a.version();
  Tensor s = full({3}, r + 1, float64), m = full({3}, r + 1, float32), lo = full({3}, r + 1, int64);
  Tensor hi = full({3}, r + 1, float64), mean = full({3}, r + 1, float64), prod = full({1}, r + 1, int64);
  dist::all_reduce({s});
  dist::all_reduce({hi}, dist::ReduceOp::max);
  dist::all_reduce({lo}, dist::ReduceOp::min);
  dist::all_reduce({mean, m}, dist::ReduceOp::mean);
  dist::all_reduce({prod}, dist::ReduceOp::product);
  BOOST_TEST(s.at({0}) == n * (n + 1) / 2);
  BOOST_TEST(hi.at({2}) == n);
  BOOST_TEST(lo.at({1}) == 1.0);
  BOOST_TEST(mean.at({0}) == (n + 1) / 2);
  BOOST_TEST(m.at({2}) == (n + 1) / 2);
  BOOST_TEST(prod.at({0}) == (n == 2 ? 2.0 : 6.0));
  BOOST_TEST(a.version() == version);  // untouched by the later calls
  BOOST_TEST(s.version() > 0u);        // written in place: saved copies of it go stale
  // A transposed view: reduced through a copy, written back into the view's storage.
  Tensor base = tensor({{1, 2, 3}, {4, 5, 6}}, float64) * (r + 1);
  dist::all_reduce({transpose(base, 0, 1)});
  BOOST_TEST(base.at({1, 0}) == 4 * n * (n + 1) / 2);
  dist::barrier();
}

BOOST_AUTO_TEST_CASE(mpi_errors_carry_mpis_message) {
  check_error([] { dist::detail::check(MPI_ERR_COUNT, "all_reduce"); }, "all_reduce: MPI error");
  char expected[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(MPI_ERR_COUNT, expected, &length);
  check_error([] { dist::detail::check(MPI_ERR_COUNT, "all_reduce"); }, std::string(expected, length));
  dist::detail::check(MPI_SUCCESS, "all_reduce");  // no error
}

BOOST_AUTO_TEST_CASE(errors_name_the_call) {
  check_error([] { dist::all_reduce({full({2}, 1, boolean)}); }, "all_reduce: tensor 0 is bool");
  check_error([] { dist::all_reduce({full({2}, 1, int64)}, dist::ReduceOp::mean); }, "mean needs a floating tensor");
  check_error([] { dist::broadcast({zeros({1})}, 99); }, "root 99 is not a rank");
  check_error([] { dist::broadcast({Tensor()}); }, "tensor 0 is undefined");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(data_parallel)

BOOST_AUTO_TEST_CASE(float64_equals_one_process_on_the_global_batch) {
  const double one_bucket = data_parallel_against_one_process(float64, {}, 6, sgd);
  BOOST_TEST(one_bucket <= 1e-12);
  // Buckets of ~1 KB: one per parameter or two, so reductions start while backward goes on.
  const double many = data_parallel_against_one_process(float64, {.bucket_cap_mb = 0.001}, 6, adam);
  BOOST_TEST(many <= 1e-12);
  const double no_overlap = data_parallel_against_one_process(float64, {.bucket_cap_mb = 0.001, .overlap = false}, 6, sgd);
  BOOST_TEST(no_overlap <= 1e-12);
}

BOOST_AUTO_TEST_CASE(float32_equals_one_process_on_the_global_batch) {
  BOOST_TEST(data_parallel_against_one_process(float32, {}, 6, adam) <= 1e-6);
  BOOST_TEST(data_parallel_against_one_process(float32, {.bucket_cap_mb = 0.0005}, 6, sgd) <= 1e-6);
}

BOOST_AUTO_TEST_CASE(buckets_follow_reverse_registration_order) {
  dist::DataParallel one(mlp(float64));
  BOOST_TEST(one.bucket_parameters().size() == 1u);
  BOOST_TEST((one.bucket_parameters()[0] == std::vector<std::size_t>{5, 4, 3, 2, 1, 0}));
  dist::DataParallel small(mlp(float64), {.bucket_cap_mb = 16 * 8 * 8 / 1048576.0});  // 1 KiB: fc2.weight fills one
  const auto buckets = small.bucket_parameters();
  BOOST_TEST(buckets.size() >= 3u);
  BOOST_TEST(buckets.front().front() == 5u);
  BOOST_TEST(buckets.back().back() == 0u);
}

BOOST_AUTO_TEST_CASE(no_sync_accumulates_and_the_next_pass_averages_the_sums) {
  manual_seed(200 + rank());
  auto net = mlp(float64);
  dist::DataParallel model(net, {.bucket_cap_mb = 0.001});
  auto reference = mlp(float64);
  copy_parameters(*net, *reference);
  Generator data(11);
  model.reset_statistics();
  for (int micro = 0; micro < 3; ++micro) {
    const Tensor x = randn({6, 5}, data, float64), y = randn({6, 3}, data, float64);
    mse_loss((*reference)(x), y).backward();
    if (micro < 2) {
      auto guard = model.no_sync();
      mse_loss(model(shard(x)), shard(y)).backward();
    } else {
      mse_loss(model(shard(x)), shard(y)).backward();
    }
  }
  BOOST_TEST(model.statistics().steps == 1u);  // only the last pass reduced
  const auto mine = model.parameters(), theirs = reference->parameters();
  for (std::size_t i = 0; i < mine.size(); ++i) BOOST_TEST(relative_difference(mine[i].grad(), theirs[i].grad()) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(reductions_start_while_backward_goes_on) {
  for (const bool overlap : {true, false}) {
    auto net = mlp(float64);
    dist::DataParallel model(net, {.bucket_cap_mb = 0.001, .overlap = overlap});
    const std::size_t buckets = model.bucket_parameters().size();
    BOOST_TEST_REQUIRE(buckets >= 3u);
    // The first layer's weight is among the last gradients backward produces (with its bias, from the
    // same node): by then, with overlap, every bucket but theirs has been started.
    std::size_t started_before_last = 99;
    net->parameters()[0].register_post_accumulate_grad_hook(
        [&](const Tensor&) { started_before_last = model.statistics().reductions; });
    mse_loss(model(ones({4, 5}, float64)), zeros({4, 3}, float64)).backward();
    BOOST_TEST(started_before_last == (overlap ? buckets - 1 : 0u), "overlap " << overlap << ": " << started_before_last << " of " << buckets);
    BOOST_TEST(model.statistics().reductions == buckets);
  }
}

BOOST_AUTO_TEST_CASE(statistics_count_buckets_and_bytes) {
  dist::DataParallel model(mlp(float32), {.bucket_cap_mb = 0.001});
  const std::size_t buckets = model.bucket_parameters().size();
  for (int step = 0; step < 3; ++step) mse_loss(model(ones({4, 5})), zeros({4, 3})).backward();
  const auto& s = model.statistics();
  BOOST_TEST(s.steps == 3u);
  BOOST_TEST(s.reductions == 3 * buckets);
  BOOST_TEST(s.bytes == 3 * model.num_parameters() * 4);
  BOOST_TEST(s.seconds_waiting >= 0.0);
}

namespace {
/// y = a·x on every rank, + b·x only where use_b (b unused elsewhere), c never used.
struct Branchy : nn::Module {
  Tensor a, b, c;
  bool use_b;
  explicit Branchy(bool use_b_) : use_b(use_b_) {
    a = register_parameter("a", full({1}, 2, float64));
    b = register_parameter("b", full({1}, 3, float64));
    c = register_parameter("c", full({1}, 4, float64));
  }
  Tensor forward(const Tensor& x) override { return use_b ? a * x + b * x : a * x; }
};
}  // namespace

BOOST_AUTO_TEST_CASE(unused_parameters_contribute_zeros_and_unused_everywhere_stay_undefined) {
  auto net = std::make_shared<Branchy>(rank() == 0);
  dist::DataParallel model(net, {.bucket_cap_mb = 1e-6});  // a bucket each
  const double x = static_cast<double>(rank() + 1);
  sum(model(full({1}, x, float64))).backward();
  const double n = static_cast<double>(ranks());
  BOOST_TEST(net->a.grad().item() == n * (n + 1) / 2 / n);  // mean of x over the ranks
  BOOST_TEST(net->b.grad().item() == 1.0 / n);              // rank 0's x = 1, zeros elsewhere
  BOOST_TEST(!net->c.grad().defined());
}

BOOST_AUTO_TEST_CASE(buffers_are_rank_0s_at_every_training_forward) {
  auto net = std::make_shared<nn::Sequential>(nn::Linear(4, 3, {.dtype = float64}), nn::BatchNorm1d(3, {.dtype = float64}));
  dist::DataParallel model(net);
  Tensor running_mean = net->state_dict()[4].second;  // 0.weight, 0.bias, 1.weight, 1.bias, 1.running_mean
  {
    NoGradGuard no_grad;
    running_mean.copy_(full({3}, static_cast<double>(rank()), float64));  // diverge, as per-rank batches would
  }
  model(full({4, 4}, 1.5, float64));  // the same input everywhere: then the same update of rank 0's buffers
  BOOST_TEST(relative_difference(running_mean, rank0s(running_mean)) == 0.0);
  model.eval();  // not in evaluation: ranks evaluate their own shards, with their own number of batches
  {
    NoGradGuard no_grad;
    running_mean.copy_(full({3}, static_cast<double>(rank()), float64));
    model(full({4, 4}, 1.5, float64));
  }
  BOOST_TEST(running_mean.at({1}) == static_cast<double>(rank()));
  // evaluate() gives every rank rank 0's buffers first: the same model everywhere.
  data::DataLoader evaluation(data::TensorDataset(full({4, 4}, 1.0, float64), zeros({4, 3}, float64)), {.batch_size = 4});
  train::evaluate(model, nn::MSELoss{}, evaluation);
  BOOST_TEST(running_mean.at({1}) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_model_that_differs_is_refused_on_every_rank) {
  const std::size_t hidden = rank() == ranks() - 1 ? 9 : 8;
  const std::string last = std::to_string(ranks() - 1);
  auto net = std::make_shared<nn::Sequential>(nn::Linear(4, hidden), nn::ReLU(), nn::Linear(hidden, 2));
  const std::string message = testing::error_of([&] { dist::DataParallel model(net); });
  BOOST_TEST(message.find("the model differs between ranks (rank " + last + " differs from rank 0's)") != std::string::npos,
             message);
  if (rank() == ranks() - 1)
    BOOST_TEST(message.find("rank 0 has parameter \"0.weight\" float32 (8,4) where rank " + last +
                            " has parameter \"0.weight\" float32 (9,4)") != std::string::npos,
               message);
  // A model with the same shapes but another name is refused too.
  auto renamed = std::make_shared<nn::Sequential>();
  if (rank() == 0) renamed->push_back(nn::Linear(2, 2));
  else renamed->push_back(std::make_shared<nn::Sequential>(nn::Linear(2, 2)));
  check_error([&] { dist::DataParallel model(renamed); }, "the model differs between ranks");
}

BOOST_AUTO_TEST_CASE(create_graph_is_refused) {
  dist::DataParallel model(mlp(float64));
  check_error([&] { sum(model(ones({2, 5}, float64))).backward(Tensor(), {.create_graph = true}); },
              "create_graph is not supported");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(training)

BOOST_AUTO_TEST_CASE(fit_with_a_distributed_sampler_on_uneven_data) {
  // 10 examples over 2 or 3 ranks: padded to 10 or 12, every rank runs the same number of steps.
  Generator data(5);
  const Tensor x = randn({10, 5}, data), y = randn({10, 3}, data);
  manual_seed(300 + rank());
  auto net = mlp(float32);
  dist::DataParallel model(net);
  optim::SGD opt(model.parameters(), {.lr = 0.05});
  auto sampler = std::make_shared<data::DistributedSampler>(ranks(), rank(), data::DistributedSamplerOptions{.seed = 3});
  data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = 2, .sampler = sampler});
  std::size_t saves = 0;
  train::ModelCheckpoint checkpoint([&](const std::string&) { ++saves; }, {.monitor = "loss", .save_best_only = false});
  struct CountSteps : train::Callback {
    std::size_t steps = 0;
    void on_batch_end(std::size_t, std::size_t, const train::Metrics&) override { ++steps; }
  } count;
  nn::MSELoss loss;
  const train::History history =
      train::fit(model, opt, loss, loader, {.epochs = 3, .verbose = false, .callbacks = {&checkpoint, &count}});
  BOOST_TEST(count.steps == 3 * loader.size());
  BOOST_TEST(sampler->epoch() == 2u);  // fit set the epoch: a new order each epoch
  BOOST_TEST(saves == (rank() == 0 ? 3u : 0u));
  for (std::size_t epoch = 1; epoch <= 3; ++epoch) {
    const double mine = history.epochs()[epoch - 1].metrics.at("loss");
    BOOST_TEST(relative_difference(full({1}, mine, float64), rank0s(full({1}, mine, float64))) == 0.0);
  }
  for (const Tensor& p : model.parameters()) BOOST_TEST(relative_difference(p, rank0s(p)) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_loaded_on_rank_0_resumes_every_rank) {
  // Only the root reads the file: its path exists on rank 0 alone.
  const std::string path = rank() == 0 ? "/tmp/descent-mpi-" + std::to_string(getpid()) + ".npz" : "/nonexistent";
  auto saved = mlp(float64);
  if (rank() == 0) io::save(*saved, path);
  manual_seed(400 + rank());
  auto net = mlp(float64);
  dist::load(*net, path);
  const auto expected = saved->parameters();  // rank 0's; compare through rank 0's values
  const auto got = net->parameters();
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(relative_difference(got[i], rank0s(expected[i])) == 0.0);
  }
  // An optimizer's state (Adam's moments and step) too: every rank resumes with rank 0's.
  optim::Adam stepped(saved->parameters(), {.lr = 0.01});
  manual_seed(500 + rank());  // a different batch on every rank: different moments
  mse_loss((*saved)(randn({2, 5}, float64)), zeros({2, 3}, float64)).backward();
  stepped.step();
  const std::string adam_path = path + ".adam.npz";
  if (rank() == 0) io::save(stepped, adam_path);
  optim::Adam resumed(net->parameters(), {.lr = 0.01});
  dist::load(resumed, adam_path);
  const auto theirs = stepped.state_tensors(), ours = resumed.state_tensors();
  BOOST_TEST_REQUIRE(ours.size() == theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i)
    BOOST_TEST(relative_difference(ours[i].second, rank0s(theirs[i].second)) == 0.0, ours[i].first);
  dist::barrier();
  if (rank() == 0) std::filesystem::remove(path), std::filesystem::remove(adam_path);
  check_error([] { auto m = mlp(float64); dist::load(*m, "/nonexistent/model.npz"); },
              "distributed::load: cannot read /nonexistent/model.npz on rank 0");
}

BOOST_AUTO_TEST_SUITE_END()
