// Datasets and the DataLoader: batch counts and contents, shuffling, custom datasets, errors.
#include "support/check.hpp"

#include <algorithm>
#include <set>

#include "descent/data.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {

/// n examples: inputs (i, 10i) float32, targets i as int64 labels, so a batch shows its indices.
data::TensorDataset indexed(std::size_t n) {
  Tensor x = empty({n, 2}, float32);
  Tensor y = empty({n}, int64);
  for (std::size_t i = 0; i < n; ++i) {
    x.data<float>()[2 * i] = float(i);
    x.data<float>()[2 * i + 1] = float(10 * i);
    y.data<std::int64_t>()[i] = std::int64_t(i);
  }
  return data::TensorDataset(x, y);
}

std::vector<std::int64_t> labels(const Tensor& t) {
  return std::vector<std::int64_t>(t.data<std::int64_t>(), t.data<std::int64_t>() + t.numel());
}

/// The labels of every batch of one pass, in order.
std::vector<std::vector<std::int64_t>> pass(data::DataLoader& loader) {
  std::vector<std::vector<std::int64_t>> out;
  for (const data::Batch& batch : loader) out.push_back(labels(batch.targets));
  return out;
}

/// A user's dataset: only size() and get(). Example i is x = (i, i+0.5), y = i*i.
struct Squares : data::Dataset {
  std::size_t n;
  explicit Squares(std::size_t n) : n(n) {}
  std::size_t size() const override { return n; }
  data::Batch get(std::size_t i) const override {
    const double v = double(i);
    return {tensor({v, v + 0.5}, float64), tensor(v * v, float64)};
  }
};

/// A dataset whose example 1 has a different shape.
struct Ragged : data::Dataset {
  std::size_t size() const override { return 3; }
  data::Batch get(std::size_t i) const override {
    return {zeros({i == 1 ? std::size_t{3} : std::size_t{2}}), zeros({}, int64)};
  }
};

/// Inputs only (autoencoder style): targets undefined.
struct InputsOnly : data::Dataset {
  std::size_t size() const override { return 4; }
  data::Batch get(std::size_t i) const override { return {full({2, 2}, double(i)), Tensor()}; }
};

struct Empty : data::Dataset {
  std::size_t size() const override { return 0; }
  data::Batch get(std::size_t) const override { return {}; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tensor_dataset)

BOOST_AUTO_TEST_CASE(examples_are_rows_without_the_batch_axis) {
  const auto ds = indexed(5);
  BOOST_TEST(ds.size() == 5u);
  const data::Batch e = ds.get(3);
  check_values(e.inputs, {3, 30});
  BOOST_TEST(to_string(e.inputs.dtype()) == "float32");
  BOOST_TEST(e.targets.dim() == 0u);
  BOOST_TEST(to_string(e.targets.dtype()) == "int64");
  BOOST_TEST(e.targets.item<std::int64_t>() == 3);
}

BOOST_AUTO_TEST_CASE(get_batch_gathers_rows_in_the_order_given) {
  const auto ds = indexed(6);
  const data::Batch b = ds.get_batch({4, 0, 4, 2});
  check_values(b.inputs, {{4, 40}, {0, 0}, {4, 40}, {2, 20}});
  BOOST_TEST((labels(b.targets) == (std::vector<std::int64_t>{4, 0, 4, 2})));
  BOOST_TEST(to_string(b.targets.shape()) == "(4,)");
}

BOOST_AUTO_TEST_CASE(higher_rank_examples_keep_their_shape) {
  const Tensor x = arange(2 * 3 * 4, float64);
  const Tensor images = reshape(x, {2, 3, 4});
  const data::TensorDataset ds(images, reshape(arange(4, float32), {2, 2}));
  const data::Batch b = ds.get_batch({1});
  BOOST_TEST(to_string(b.inputs.shape()) == "(1,3,4)");
  BOOST_TEST(b.inputs.at({0, 2, 3}) == 23.0);
  check_values(b.targets, {{2, 3}});
  BOOST_TEST(to_string(ds.get(0).inputs.shape()) == "(3,4)");
}

BOOST_AUTO_TEST_CASE(keeps_values_not_the_graph_and_reads_strided_views) {
  Tensor x = tensor({{1, 2}, {3, 4}, {5, 6}}, float64).requires_grad_();
  // A hand-made transposed view of a (2,3) buffer: not contiguous.
  Tensor base = tensor({{1, 2, 3}, {4, 5, 6}});
  auto impl = std::make_shared<TensorImpl>(base.impl());
  impl->shape = {3, 2};
  impl->strides = {1, 3};
  const Tensor transposed(impl);
  BOOST_TEST(!transposed.is_contiguous());
  const data::TensorDataset ds(transposed, x);
  const data::Batch b = ds.get_batch({2, 0});
  check_values(b.inputs, {{3, 6}, {1, 4}});
  check_values(b.targets, {{5, 6}, {1, 2}});
  BOOST_TEST(!b.targets.requires_grad());
}

BOOST_AUTO_TEST_CASE(zero_width_examples) {
  const data::TensorDataset ds(zeros({3, 0}), zeros({3, 2, 0}, int64));
  const data::Batch b = ds.get_batch({2, 1});
  BOOST_TEST(to_string(b.inputs.shape()) == "(2,0)");
  BOOST_TEST(to_string(b.targets.shape()) == "(2,2,0)");
}

BOOST_AUTO_TEST_CASE(errors_name_the_shapes) {
  check_error([] { data::TensorDataset(zeros({5, 2}), zeros({4})); },
              "TensorDataset: inputs (5,2) and targets (4,) differ in their first dimension");
  check_error([] { data::TensorDataset(tensor(1.0), zeros({1})); }, "need an example axis");
  check_error([] { data::TensorDataset(zeros({2}), Tensor()); }, "must be defined");
  const auto ds = indexed(3);
  check_error([&] { ds.get(3); }, "TensorDataset: index 3 out of range for a dataset of 3 examples");
  check_error([&] { ds.get_batch({0, 7}); }, "index 7 out of range");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(custom_dataset)

BOOST_AUTO_TEST_CASE(default_get_batch_stacks_examples) {
  const Squares ds(5);
  const data::Batch b = ds.get_batch({3, 1});
  check_values(b.inputs, {{3, 3.5}, {1, 1.5}});
  check_values(b.targets, {9, 1});
  BOOST_TEST(to_string(b.inputs.dtype()) == "float64");
}

BOOST_AUTO_TEST_CASE(loads_through_a_data_loader) {
  data::DataLoader loader(std::make_shared<Squares>(5), {.batch_size = 2});
  BOOST_TEST(loader.size() == 3u);
  std::vector<Tensor> targets;
  for (const auto& batch : loader) targets.push_back(batch.targets);
  BOOST_TEST_REQUIRE(targets.size() == 3u);
  check_values(targets[0], {0, 1});
  check_values(targets[1], {4, 9});
  check_values(targets[2], {16});
}

BOOST_AUTO_TEST_CASE(undefined_targets_stay_undefined) {
  const data::Batch b = InputsOnly().get_batch({0, 3});
  BOOST_TEST(to_string(b.inputs.shape()) == "(2,2,2)");
  BOOST_TEST(b.inputs.at({1, 1, 1}) == 3.0);
  BOOST_TEST(!b.targets.defined());
}

BOOST_AUTO_TEST_CASE(mismatched_examples_are_named) {
  check_error([] { Ragged().get_batch({0, 1, 2}); },
              "get_batch: example 1 (index 1) has inputs (3,) float32 but example 0 (index 0) has (2,) float32");
  check_error([] { Ragged().get_batch({}); }, "get_batch: no indices");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(data_loader)

BOOST_AUTO_TEST_CASE(sequential_batches_keep_the_last_partial_one) {
  data::DataLoader loader(indexed(5), {.batch_size = 2});
  BOOST_TEST(loader.size() == 3u);
  const auto batches = pass(loader);
  BOOST_TEST_REQUIRE(batches.size() == 3u);
  BOOST_TEST((batches[0] == (std::vector<std::int64_t>{0, 1})));
  BOOST_TEST((batches[1] == (std::vector<std::int64_t>{2, 3})));
  BOOST_TEST((batches[2] == (std::vector<std::int64_t>{4})));
  // Contents and shapes of the inputs, the partial batch included.
  auto it = loader.begin();
  ++it;
  ++it;
  BOOST_TEST(to_string(it->inputs.shape()) == "(1,2)");
  check_values(it->inputs, {{4, 40}});
  BOOST_TEST(it.index() == 2u);
  ++it;
  BOOST_TEST((it == loader.end()));
}

BOOST_AUTO_TEST_CASE(drop_last_skips_the_partial_batch) {
  data::DataLoader loader(indexed(5), {.batch_size = 2, .drop_last = true});
  BOOST_TEST(loader.size() == 2u);
  const auto batches = pass(loader);
  BOOST_TEST_REQUIRE(batches.size() == 2u);
  BOOST_TEST((batches[1] == (std::vector<std::int64_t>{2, 3})));
  // An exact multiple loses nothing.
  data::DataLoader exact(indexed(6), {.batch_size = 3, .drop_last = true});
  BOOST_TEST(exact.size() == 2u);
  BOOST_TEST(pass(exact).size() == 2u);
}

BOOST_AUTO_TEST_CASE(batch_stochastic_and_mini_batch_sizes) {
  data::DataLoader full(indexed(7), {.batch_size = 7});  // batch gradient descent
  BOOST_TEST(full.size() == 1u);
  BOOST_TEST(pass(full).front().size() == 7u);
  data::DataLoader single(indexed(7), {.batch_size = 1});  // stochastic
  BOOST_TEST(single.size() == 7u);
  BOOST_TEST(pass(single).size() == 7u);
  data::DataLoader larger(indexed(3), {.batch_size = 10});  // one partial batch
  BOOST_TEST(larger.size() == 1u);
  BOOST_TEST(pass(larger).front().size() == 3u);
  data::DataLoader none(indexed(3), {.batch_size = 10, .drop_last = true});  // as in PyTorch: nothing
  BOOST_TEST(none.size() == 0u);
  BOOST_TEST(pass(none).empty());
}

BOOST_AUTO_TEST_CASE(shuffled_epochs_see_every_example_once) {
  data::DataLoader loader(indexed(10), {.batch_size = 3, .shuffle = true}, 7);
  BOOST_TEST(loader.size() == 4u);
  std::vector<std::int64_t> previous;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::int64_t> seen;
    const auto batches = pass(loader);
    BOOST_TEST_REQUIRE(batches.size() == 4u);
    BOOST_TEST(batches.back().size() == 1u);
    for (const auto& b : batches) seen.insert(seen.end(), b.begin(), b.end());
    BOOST_TEST((seen != previous));  // a new order each epoch
    previous = seen;
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> all(10);
    std::iota(all.begin(), all.end(), 0);
    BOOST_TEST((seen == all));
  }
}

BOOST_AUTO_TEST_CASE(inputs_and_targets_stay_paired_when_shuffled) {
  data::DataLoader loader(indexed(9), {.batch_size = 4, .shuffle = true}, 3);
  for (const auto& batch : loader)
    for (std::size_t r = 0; r < batch.targets.numel(); ++r) {
      const double label = double(batch.targets.data<std::int64_t>()[r]);
      BOOST_TEST(batch.inputs.at({std::ptrdiff_t(r), 0}) == label);
      BOOST_TEST(batch.inputs.at({std::ptrdiff_t(r), 1}) == 10 * label);
    }
}

BOOST_AUTO_TEST_CASE(same_seed_same_order) {
  data::DataLoader a(indexed(20), {.batch_size = 4, .shuffle = true}, 42);
  data::DataLoader b(indexed(20), {.batch_size = 4, .shuffle = true}, Generator(42));
  data::DataLoader c(indexed(20), {.batch_size = 4, .shuffle = true}, 43);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const auto pa = pass(a), pb = pass(b), pc = pass(c);
    BOOST_TEST((pa == pb));
    BOOST_TEST((pa != pc));
  }
  // Without a seed, manual_seed makes shuffling reproducible.
  manual_seed(5);
  data::DataLoader d(indexed(20), {.batch_size = 4, .shuffle = true});
  manual_seed(5);
  data::DataLoader e(indexed(20), {.batch_size = 4, .shuffle = true});
  BOOST_TEST((pass(d) == pass(e)));
}

BOOST_AUTO_TEST_CASE(unshuffled_loader_leaves_the_default_generator_alone) {
  manual_seed(11);
  const double expected = rand({1}).item();
  manual_seed(11);
  data::DataLoader loader(indexed(4), {.batch_size = 2});
  BOOST_TEST(rand({1}).item() == expected);
}

BOOST_AUTO_TEST_CASE(shares_a_dataset_and_outlives_the_caller_s_pointer) {
  auto ds = std::make_shared<const data::TensorDataset>(indexed(4));
  data::DataLoader a(ds, {.batch_size = 4}), b(ds, {.batch_size = 2});
  auto it = a.begin();
  ds.reset();
  BOOST_TEST((labels(it->targets) == (std::vector<std::int64_t>{0, 1, 2, 3})));
  BOOST_TEST(b.dataset().size() == 4u);
  BOOST_TEST(b.options().batch_size == 2u);
}

BOOST_AUTO_TEST_CASE(errors) {
  check_error([] { data::DataLoader(indexed(3), {.batch_size = 0}); }, "DataLoader: batch_size must be at least 1");
  check_error([] { data::DataLoader(std::make_shared<Empty>()); }, "DataLoader: the dataset is empty");
  check_error([] { data::DataLoader(data::TensorDataset(zeros({0, 2}), zeros({0}))); }, "the dataset is empty");
  check_error([] { data::DataLoader(std::shared_ptr<const data::Dataset>()); }, "DataLoader: no dataset");
  data::DataLoader loader(indexed(2), {.batch_size = 2});
  check_error([&] { *loader.end(); }, "DataLoader: dereferencing an end iterator");
}

BOOST_AUTO_TEST_SUITE_END()
