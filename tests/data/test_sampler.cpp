// Samplers: DistributedSampler against PyTorch's index lists, its shuffling, and a DataLoader
// drawing its order from a sampler (DistributedSampler or a user's own), errors included.
#include "support/check.hpp"

#include <algorithm>
#include <numeric>

#include "descent/data.hpp"

using namespace descent;
using descent::testing::check_error;
using Indices = std::vector<std::size_t>;

namespace {

/// n examples whose int64 target is their index, so a batch shows which examples it holds.
data::TensorDataset indexed(std::size_t n) {
  Tensor y = empty({n}, int64);
  for (std::size_t i = 0; i < n; ++i) y.data<std::int64_t>()[i] = std::int64_t(i);
  return data::TensorDataset(zeros({n, 1}), y);
}

/// The indices each rank of `num_replicas` gets in one pass over n examples.
std::vector<Indices> per_rank(std::size_t n, std::size_t num_replicas, data::DistributedSamplerOptions options,
                              std::uint64_t epoch = 0) {
  std::vector<Indices> out;
  for (std::size_t rank = 0; rank < num_replicas; ++rank) {
    data::DistributedSampler sampler(num_replicas, rank, options);
    sampler.set_epoch(epoch);
    out.push_back(sampler.indices(n));
    BOOST_TEST(sampler.size(n) == out.back().size());
  }
  return out;
}

/// One pass of the loader, its batches' targets laid end to end, and the number of batches.
Indices pass(data::DataLoader& loader, std::size_t* batches = nullptr) {
  Indices seen;
  std::size_t count = 0;
  for (const data::Batch& batch : loader) {
    ++count;
    for (std::size_t r = 0; r < batch.targets.numel(); ++r)
      seen.push_back(std::size_t(batch.targets.data<std::int64_t>()[r]));
  }
  if (batches) *batches = count;
  return seen;
}

/// A user's sampler: the examples backwards, or a broken variant of that.
struct Backwards : data::Sampler {
  std::size_t extra_index = 0;  // > 0: the pass ends with index n - 1 + extra_index
  bool one_short = false;       // the pass misses one index that size() promised
  Indices indices(std::size_t n) override {
    Indices order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = n - 1 - i;
    if (extra_index > 0) order.back() = n - 1 + extra_index;
    if (one_short) order.pop_back();
    return order;
  }
  std::size_t size(std::size_t n) const override { return n; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(distributed_sampler)

// The expected lists are what PyTorch 1.13's DistributedSampler(range(n), num_replicas, rank,
// shuffle=False, drop_last=...) yields.
BOOST_AUTO_TEST_CASE(unshuffled_ranks_match_pytorch) {
  const data::DistributedSamplerOptions sequential{.shuffle = false};
  BOOST_TEST((per_rank(10, 3, sequential) == std::vector<Indices>{{0, 3, 6, 9}, {1, 4, 7, 0}, {2, 5, 8, 1}}));
  BOOST_TEST((per_rank(7, 2, sequential) == std::vector<Indices>{{0, 2, 4, 6}, {1, 3, 5, 0}}));
  // An even split needs no padding.
  BOOST_TEST((per_rank(9, 3, sequential) == std::vector<Indices>{{0, 3, 6}, {1, 4, 7}, {2, 5, 8}}));
}

BOOST_AUTO_TEST_CASE(drop_last_truncates_to_an_even_split) {
  const data::DistributedSamplerOptions dropping{.shuffle = false, .drop_last = true};
  BOOST_TEST((per_rank(10, 3, dropping) == std::vector<Indices>{{0, 3, 6}, {1, 4, 7}, {2, 5, 8}}));
  BOOST_TEST((per_rank(7, 2, dropping) == std::vector<Indices>{{0, 2, 4}, {1, 3, 5}}));
  BOOST_TEST((per_rank(9, 3, dropping) == std::vector<Indices>{{0, 3, 6}, {1, 4, 7}, {2, 5, 8}}));
  // Fewer examples than replicas: every pass is empty, as in PyTorch.
  BOOST_TEST((per_rank(2, 5, dropping) == std::vector<Indices>(5)));
  BOOST_TEST(data::DistributedSampler(5, 0, dropping).size(2) == 0u);
}

BOOST_AUTO_TEST_CASE(padding_repeats_the_start_as_often_as_needed) {
  const data::DistributedSamplerOptions sequential{.shuffle = false};
  // Padding of 3 to 5 repeats [0, 1] twice over, 5 of 7 padding repeats [0, 1, 2].
  BOOST_TEST((per_rank(2, 5, sequential) == std::vector<Indices>{{0}, {1}, {0}, {1}, {0}}));
  BOOST_TEST((per_rank(3, 7, sequential) == std::vector<Indices>{{0}, {1}, {2}, {0}, {1}, {2}, {0}}));
  BOOST_TEST((per_rank(1, 4, sequential) == std::vector<Indices>{{0}, {0}, {0}, {0}}));
}

BOOST_AUTO_TEST_CASE(shuffled_ranks_split_one_permutation_of_seed_plus_epoch) {
  const data::DistributedSamplerOptions options{.seed = 17};
  const auto ranks = per_rank(12, 3, options, /*epoch=*/4);
  Generator generator(17 + 4);
  const Indices permutation = data::random_order(12, generator);
  Indices identity(12), all;
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  BOOST_TEST((permutation != identity));
  for (std::size_t rank = 0; rank < 3; ++rank) {
    BOOST_TEST_REQUIRE(ranks[rank].size() == 4u);
    for (std::size_t k = 0; k < 4; ++k) BOOST_TEST(ranks[rank][k] == permutation[rank + 3 * k]);
    all.insert(all.end(), ranks[rank].begin(), ranks[rank].end());
  }
  std::sort(all.begin(), all.end());
  BOOST_TEST((all == identity));  // every example once, over all ranks
  // With drop_last the ranks still see distinct examples: 9 of the 10.
  auto dropped = per_rank(10, 3, {.seed = 17, .drop_last = true});
  Indices union_of_ranks;
  for (const auto& r : dropped) union_of_ranks.insert(union_of_ranks.end(), r.begin(), r.end());
  std::sort(union_of_ranks.begin(), union_of_ranks.end());
  BOOST_TEST(union_of_ranks.size() == 9u);
  BOOST_TEST((std::adjacent_find(union_of_ranks.begin(), union_of_ranks.end()) == union_of_ranks.end()));
  BOOST_TEST(union_of_ranks.back() <= 9u);
}

BOOST_AUTO_TEST_CASE(same_seed_and_epoch_same_lists_other_epochs_and_seeds_differ) {
  const data::DistributedSamplerOptions options{.seed = 3};
  BOOST_TEST((per_rank(50, 4, options, 2) == per_rank(50, 4, options, 2)));
  BOOST_TEST((per_rank(50, 4, options, 2) != per_rank(50, 4, options, 3)));
  BOOST_TEST((per_rank(50, 4, options, 2) != per_rank(50, 4, {.seed = 4}, 2)));
  // The order depends on the epoch alone: a second pass of the same epoch repeats it, as in PyTorch.
  data::DistributedSampler sampler(4, 1, options);
  const Indices first = sampler.indices(50);
  BOOST_TEST((sampler.indices(50) == first));
  sampler.set_epoch(1);
  BOOST_TEST((sampler.indices(50) != first));
}

BOOST_AUTO_TEST_CASE(accessors_and_defaults) {
  data::DistributedSampler sampler(4, 3);
  BOOST_TEST(sampler.num_replicas() == 4u);
  BOOST_TEST(sampler.rank() == 3u);
  BOOST_TEST(sampler.epoch() == 0u);
  sampler.set_epoch(9);
  BOOST_TEST(sampler.epoch() == 9u);
  BOOST_TEST(sampler.options().shuffle);  // PyTorch's defaults
  BOOST_TEST(sampler.options().seed == 0u);
  BOOST_TEST(!sampler.options().drop_last);
  BOOST_TEST(sampler.size(10) == 3u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_values) {
  check_error([] { data::DistributedSampler(3, 3); },
              "DistributedSampler: rank 3 is out of range for 3 replicas (ranks 0..2)");
  check_error([] { data::DistributedSampler(2, 7); }, "rank 7 is out of range for 2 replicas");
  check_error([] { data::DistributedSampler(0, 0); }, "DistributedSampler: num_replicas must be at least 1, got 0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(data_loader_with_a_sampler)

BOOST_AUTO_TEST_CASE(every_rank_gets_the_same_number_of_batches) {
  // 20 examples over 3 ranks: 7 indices each (one padded), batches of 3, 3 and 1.
  for (std::size_t rank = 0; rank < 3; ++rank) {
    auto sampler = std::make_shared<data::DistributedSampler>(3, rank, data::DistributedSamplerOptions{.seed = 5});
    data::DataLoader loader(indexed(20), {.batch_size = 3, .sampler = sampler});
    BOOST_TEST(loader.size() == 3u);
    std::size_t batches = 0;
    BOOST_TEST((pass(loader, &batches) == sampler->indices(20)));
    BOOST_TEST(batches == 3u);
    data::DataLoader dropping(indexed(20), {.batch_size = 3, .drop_last = true, .sampler = sampler});
    BOOST_TEST(dropping.size() == 2u);
    BOOST_TEST(pass(dropping).size() == 6u);
  }
}

BOOST_AUTO_TEST_CASE(set_epoch_on_the_caller_s_handle_takes_effect) {
  auto sampler = std::make_shared<data::DistributedSampler>(2, 0);
  data::DataLoader loader(indexed(30), {.batch_size = 4, .sampler = sampler});
  const Indices epoch0 = pass(loader);
  BOOST_TEST((pass(loader) == epoch0));
  sampler->set_epoch(1);
  const Indices epoch1 = pass(loader);
  BOOST_TEST((epoch1 != epoch0));
  BOOST_TEST((epoch1 == sampler->indices(30)));
}

BOOST_AUTO_TEST_CASE(a_sampler_with_an_empty_pass_gives_no_batch) {
  auto sampler = std::make_shared<data::DistributedSampler>(5, 4, data::DistributedSamplerOptions{.drop_last = true});
  data::DataLoader loader(indexed(2), {.batch_size = 1, .sampler = sampler});
  BOOST_TEST(loader.size() == 0u);
  BOOST_TEST(pass(loader).empty());
}

BOOST_AUTO_TEST_CASE(a_user_s_sampler_sets_the_order) {
  data::DataLoader loader(indexed(5), {.batch_size = 2, .sampler = std::make_shared<Backwards>()});
  BOOST_TEST(loader.size() == 3u);
  BOOST_TEST((pass(loader) == Indices{4, 3, 2, 1, 0}));
}

BOOST_AUTO_TEST_CASE(errors) {
  check_error([] { data::DataLoader(indexed(4), {.shuffle = true, .sampler = std::make_shared<Backwards>()}); },
              "DataLoader: the sampler option is mutually exclusive with shuffle");
  auto out_of_range = std::make_shared<Backwards>();
  out_of_range->extra_index = 3;
  data::DataLoader bad_index(indexed(4), {.batch_size = 2, .sampler = out_of_range});
  check_error([&] { bad_index.begin(); },
              "DataLoader: the sampler yielded index 6 (position 3), out of range for a dataset of 4 examples");
  auto short_pass = std::make_shared<Backwards>();
  short_pass->one_short = true;
  data::DataLoader bad_count(indexed(4), {.batch_size = 2, .sampler = short_pass});
  check_error([&] { bad_count.begin(); }, "DataLoader: the sampler yielded 3 indices but its size() is 4");
}

BOOST_AUTO_TEST_SUITE_END()
