// A DataLoader's position in checkpoints (DataLoader::state_tensors, io::save / io::load of a loader):
// a run interrupted after k batches and resumed in fresh objects sees exactly the batches, and trains
// to exactly the weights, of an uninterrupted run.
#include "support/check.hpp"

#include <cstdint>
#include <memory>
#include <vector>

#include "data/temp_dir.hpp"
#include "descent/data.hpp"
#include "descent/io/checkpoint.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::TempDir;

namespace {

constexpr std::size_t examples = 10, batch_size = 3, epochs = 3;  // 4 batches per pass, the last of 1

/// Inputs (n, 2) = (i, -i), targets int64 i: a batch's targets name its examples.
std::shared_ptr<const data::TensorDataset> numbered() {
  Tensor x = empty({examples, 2}, float64), y = empty({examples}, int64);
  for (std::size_t i = 0; i < examples; ++i) {
    x.data<double>()[2 * i] = double(i);
    x.data<double>()[2 * i + 1] = -double(i);
    y.data<std::int64_t>()[i] = std::int64_t(i);
  }
  return std::make_shared<const data::TensorDataset>(x, y);
}

using Batches = std::vector<std::vector<std::int64_t>>;

std::vector<std::int64_t> targets_of(const data::Batch& batch) {
  const Tensor t = batch.targets.contiguous();
  return {t.data<std::int64_t>(), t.data<std::int64_t>() + t.numel()};
}

/// How a test's loaders are made: shuffled by their generator, or by a DistributedSampler.
struct Setup {
  bool sampler = false;
  data::DataLoader make(std::uint64_t seed, std::shared_ptr<data::DistributedSampler>& distributed) const {
    if (!sampler) return data::DataLoader(numbered(), {.batch_size = batch_size, .shuffle = true}, seed);
    (void)seed;  // the sampler's seed is an option, not state: the same for every run, as in a training script
    distributed = std::make_shared<data::DistributedSampler>(2, 1, data::DistributedSamplerOptions{.seed = 42});
    return data::DataLoader(numbered(), {.batch_size = 2, .sampler = distributed});
  }
};

/// Every batch of epochs [from, epochs), starting at loader.epoch(), until `stop` batches were
/// handed out (then it breaks out of the pass, as an interrupted run does).
Batches run(data::DataLoader& loader, data::DistributedSampler* sampler, std::size_t stop = SIZE_MAX) {
  Batches seen;
  for (std::uint64_t epoch = loader.epoch(); epoch < epochs; ++epoch) {
    if (sampler) sampler->set_epoch(epoch);  // what a training loop (and fit) does each epoch
    for (const data::Batch& batch : loader) {
      seen.push_back(targets_of(batch));
      if (seen.size() == stop) return seen;
    }
  }
  return seen;
}

void check_resumes_after(std::size_t k, const Setup& setup) {
  std::shared_ptr<data::DistributedSampler> s1, s2, s3;
  data::DataLoader uninterrupted = setup.make(42, s1);
  const Batches all = run(uninterrupted, s1.get());

  TempDir dir("loader_state");
  data::DataLoader first = setup.make(42, s2);
  const Batches before = run(first, s2.get(), k);
  BOOST_TEST_REQUIRE(before.size() == k);
  io::save(first, dir / "loader.npz");

  data::DataLoader resumed = setup.make(7, s3);  // another seed: the checkpoint decides
  io::load(resumed, dir / "loader.npz");
  if (setup.sampler) BOOST_TEST(s3->epoch() == s2->epoch());  // the sampler's state came back too
  const Batches after = run(resumed, s3.get());
  BOOST_TEST_REQUIRE(before.size() + after.size() == all.size());
  for (std::size_t b = 0; b < all.size(); ++b)
    BOOST_TEST((b < k ? before[b] : after[b - k]) == all[b], "batch " << b << " after an interruption at " << k);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_loader_state)

BOOST_AUTO_TEST_CASE(a_resumed_shuffled_loader_hands_out_the_uninterrupted_batches) {
  // Mid-pass (2 of 4, and the first batch), at a pass boundary (4, 8) and in the last pass.
  for (std::size_t k : {1u, 2u, 4u, 6u, 8u, 11u}) check_resumes_after(k, {.sampler = false});
}

BOOST_AUTO_TEST_CASE(a_resumed_loader_with_a_distributed_sampler_too) {
  // Rank 1 of 2: 5 examples a pass, batches of 2 (3 batches a pass).
  for (std::size_t k : {1u, 2u, 3u, 5u}) check_resumes_after(k, {.sampler = true});
}

BOOST_AUTO_TEST_CASE(epoch_and_start_batch_tell_where_the_next_pass_starts) {
  data::DataLoader loader(numbered(), {.batch_size = batch_size, .shuffle = true}, 3);
  BOOST_TEST(loader.epoch() == 0u);
  auto it = loader.begin();
  *it;
  ++it;
  *it;  // two batches handed out
  data::DataLoader restored(numbered(), {.batch_size = batch_size, .shuffle = true}, 5);
  restored.load_state_tensors(loader.state_tensors());
  BOOST_TEST(restored.epoch() == 0u);
  BOOST_TEST(restored.start_batch() == 2u);
  // Saved again before it continues: the same position.
  data::DataLoader again(numbered(), {.batch_size = batch_size, .shuffle = true}, 6);
  again.load_state_tensors(restored.state_tensors());
  BOOST_TEST(again.start_batch() == 2u);
  BOOST_TEST(targets_of(*again.begin()) == targets_of(*restored.begin()));
  BOOST_TEST(restored.epoch() == 1u);
  BOOST_TEST(restored.start_batch() == 0u);
}

BOOST_AUTO_TEST_CASE(training_resumed_from_model_optimizer_and_loader_checkpoints_matches) {
  TempDir dir("loader_state");
  const auto train = [&](std::size_t stop, bool resume) {
    Generator gen(11);
    nn::Linear model(2, examples, {.dtype = float64}, gen);
    optim::Adam opt(model.parameters(), {.lr = 0.05});
    data::DataLoader loader(numbered(), {.batch_size = batch_size, .shuffle = true}, resume ? 99 : 42);
    if (resume) {
      io::load(model, dir / "model.npz");
      io::load(opt, dir / "opt.npz");
      io::load(loader, dir / "loader.npz");
    }
    std::size_t steps = 0;
    for (std::uint64_t epoch = loader.epoch(); epoch < epochs; ++epoch)
      for (const data::Batch& batch : loader) {
        opt.zero_grad();
        cross_entropy(model(batch.inputs), batch.targets).backward();
        opt.step();
        if (++steps == stop) {
          io::save(model, dir / "model.npz");
          io::save(opt, dir / "opt.npz");
          io::save(loader, dir / "loader.npz");
          return model.weight.detach().clone();
        }
      }
    return model.weight.detach().clone();
  };
  const Tensor uninterrupted = train(SIZE_MAX, false);
  train(6, false);  // interrupted in the middle of the second pass
  const Tensor resumed = train(SIZE_MAX, true);
  descent::testing::check_values(resumed, uninterrupted.to_xarray<double>(), 0, 0);  // bit for bit
  // And training did move the weights: the comparison means something.
  Generator gen(11);
  BOOST_TEST(!xt::allclose(nn::Linear(2, examples, {.dtype = float64}, gen).weight.to_xarray<double>(),
                           uninterrupted.to_xarray<double>()));
}

BOOST_AUTO_TEST_CASE(a_position_that_does_not_fit_is_refused_whole) {
  data::DataLoader saved(numbered(), {.batch_size = batch_size, .shuffle = true}, 1);
  for (const data::Batch& batch : saved) (void)batch;
  const auto state = saved.state_tensors();
  data::DataLoader other(numbered(), {.batch_size = 4}, 1);
  check_error([&] { other.load_state_tensors(state); },
              "DataLoader: the saved position does not fit this loader (the saved loader had batch_size 3, this one "
              "has 4; the saved loader had shuffle 1, this one has 0; batch 4 is outside [0, 3], the batches of one "
              "pass)");
  auto partial = state;
  partial.erase(partial.begin());
  partial.emplace_back("extra", empty({}, int64));
  check_error([&] { other.load_state_tensors(partial); }, "missing: epoch");
  check_error([&] { other.load_state_tensors(partial); }, "unexpected: extra");
  // A sampler's state does not go into a loader without one.
  std::shared_ptr<data::DistributedSampler> sampler;
  data::DataLoader with_sampler = Setup{.sampler = true}.make(1, sampler);
  data::DataLoader plain(numbered(), {.batch_size = 2}, 1);
  check_error([&] { plain.load_state_tensors(with_sampler.state_tensors()); },
              "the saved loader's sampler has a state, and this loader has no sampler");
  TempDir dir("loader_state");
  io::save(saved, dir / "loader.npz");
  check_error([&] { io::load(other, dir / "loader.npz"); },
              "load: " + (dir / "loader.npz").string() + ": DataLoader: the saved position does not fit");
  BOOST_TEST(other.epoch() == 0u);  // unchanged
}

BOOST_AUTO_TEST_SUITE_END()
