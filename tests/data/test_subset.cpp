// Subset and random_split (data/subset.hpp) against torch.utils.data's definitions, and map
// (data/transforms.hpp) over a dataset's examples.
#include "support/check.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "descent/data.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

/// n examples: inputs (n, 2) = (i, 10 i) in float64, targets int64 i.
std::shared_ptr<const data::TensorDataset> numbered(std::size_t n) {
  Tensor x = empty({n, 2}, float64), y = empty({n}, int64);
  for (std::size_t i = 0; i < n; ++i) {
    x.data<double>()[2 * i] = double(i);
    x.data<double>()[2 * i + 1] = 10.0 * double(i);
    y.data<std::int64_t>()[i] = std::int64_t(i);
  }
  return std::make_shared<const data::TensorDataset>(x, y);
}

std::vector<std::int64_t> targets_of(const data::Batch& batch) {
  const Tensor t = batch.targets.contiguous();
  return {t.data<std::int64_t>(), t.data<std::int64_t>() + t.numel()};
}

std::vector<std::size_t> sizes(const std::vector<std::shared_ptr<const data::Subset>>& parts) {
  std::vector<std::size_t> out;
  for (const auto& part : parts) out.push_back(part->size());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(subset)

BOOST_AUTO_TEST_CASE(maps_indices_for_get_and_get_batch) {
  const data::Subset part(numbered(6), {4, 1, 4});
  BOOST_TEST(part.size() == 3u);
  BOOST_TEST(part.get(0).targets.item<std::int64_t>() == 4);
  descent::testing::check_values(part.get(1).inputs, {1.0, 10.0}, 0, 0);
  BOOST_TEST((targets_of(part.get_batch({2, 0, 1})) == std::vector<std::int64_t>{4, 4, 1}));
  // A subset of a subset, through a DataLoader.
  data::DataLoader loader(std::make_shared<const data::Subset>(std::make_shared<const data::Subset>(part),
                                                               std::vector<std::size_t>{2, 1}),
                          {.batch_size = 2});
  BOOST_TEST((targets_of(*loader.begin()) == std::vector<std::int64_t>{4, 1}));
}

BOOST_AUTO_TEST_CASE(random_split_by_lengths_partitions_one_permutation) {
  Generator gen(7);
  const auto parts = data::random_split(numbered(10), {6, 0, 4}, gen);
  BOOST_TEST((sizes(parts) == std::vector<std::size_t>{6, 0, 4}));
  // The parts are consecutive slices of random_order(10) from the same generator state.
  Generator replay(7);
  const std::vector<std::size_t> order = data::random_order(10, replay);
  std::vector<std::size_t> joined = parts[0]->indices();
  joined.insert(joined.end(), parts[2]->indices().begin(), parts[2]->indices().end());
  BOOST_TEST(joined == order);
  BOOST_TEST(std::set<std::size_t>(joined.begin(), joined.end()).size() == 10u);
  // The generator has advanced: a second split differs; the same seed gives the same split.
  BOOST_TEST(data::random_split(numbered(10), {6, 0, 4}, gen)[0]->indices() != parts[0]->indices());
  Generator again(7);
  BOOST_TEST(data::random_split(numbered(10), {6, 0, 4}, again)[0]->indices() == parts[0]->indices());
}

BOOST_AUTO_TEST_CASE(random_split_by_fractions_rounds_as_pytorch) {
  // The part sizes torch.utils.data.random_split (torch 1.13) gives:
  //   [len(p) for p in random_split(range(n), fractions)]
  const std::vector<std::pair<std::size_t, std::vector<double>>> cases = {
      {11, {0.3, 0.3, 0.4}}, {10, {0.25, 0.25, 0.25, 0.25}}, {7, {0.5, 0.5}}, {5, {0.1, 0.1, 0.8}},
      {3, {1.0 / 3, 1.0 / 3, 1.0 / 3}}, {1, {1, 0}}, {4, {0.0, 1.0}}};
  const std::vector<std::vector<std::size_t>> torch_sizes = {{4, 3, 4}, {3, 3, 2, 2}, {4, 3}, {1, 0, 4},
                                                             {1, 1, 1}, {1, 0},       {0, 4}};
  for (std::size_t c = 0; c < cases.size(); ++c) {
    Generator gen(c);
    BOOST_TEST(sizes(data::random_split(numbered(cases[c].first), cases[c].second, gen)) == torch_sizes[c]);
  }
}

BOOST_AUTO_TEST_CASE(errors) {
  Generator gen(0);
  check_error([&] { data::random_split(numbered(5), {2, 2}, gen); },
              "random_split: the lengths sum to 4 but the dataset has 5 examples");
  check_error([&] { data::random_split(numbered(5), {0.5, 0.6}, gen); },
              "random_split: length 0.5 at position 0 is not a whole number of examples");
  check_error([&] { data::random_split(numbered(5), {1.5, -0.5}, gen); },
              "random_split: fraction 1.5 at position 0 is not in [0, 1]");
  check_error([&] { data::random_split(numbered(5), {}, gen); }, "random_split: no lengths given");
  check_error([&] { data::random_split(nullptr, {1}, gen); }, "random_split: no dataset");
  check_error([&] { data::Subset(numbered(3), {0, 3}); },
              "Subset: index 3 (position 1) is out of range for a dataset of 3 examples");
  check_error([&] { data::Subset(numbered(3), {0}).get(1); }, "Subset: index 1 out of range for a subset of 1 examples");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map_dataset)

BOOST_AUTO_TEST_CASE(maps_every_example_inputs_and_targets) {
  const auto mapped = data::map(numbered(4), [](data::Batch e) {
    // Inputs halved, targets doubled (int64 scalars stay int64 scalars).
    return data::Batch{e.inputs * 0.5, full({}, 2.0 * double(e.targets.item<std::int64_t>()), int64)};
  });
  BOOST_TEST(mapped->size() == 4u);
  descent::testing::check_values(mapped->get(3).inputs, {1.5, 15.0}, 0, 0);
  data::DataLoader loader(mapped, {.batch_size = 3});
  const data::Batch first = *loader.begin();
  descent::testing::check_values(first.inputs, {{0.0, 0.0}, {0.5, 5.0}, {1.0, 10.0}}, 0, 0);
  BOOST_TEST((targets_of(first) == std::vector<std::int64_t>{0, 2, 4}));
  // A function may change dtypes and shapes: float32 inputs with a leading unit axis.
  const auto reshaped = data::map(numbered(2), [](data::Batch e) {
    return data::Batch{reshape(e.inputs.to(float32), {1, 2}), e.targets};
  });
  const data::Batch both = reshaped->get_batch({0, 1});
  BOOST_TEST(to_string(both.inputs.shape()) == "(2,1,2)");
  BOOST_TEST(to_string(both.inputs.dtype()) == "float32");
  check_error([&] { data::map(numbered(2), nullptr); }, "map: the function is empty");
  check_error([&] { data::map(nullptr, [](data::Batch e) { return e; }); }, "map: the dataset is null");
}

BOOST_AUTO_TEST_SUITE_END()
