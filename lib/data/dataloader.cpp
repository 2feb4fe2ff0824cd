#include "descent/data/dataloader.hpp"

#include <algorithm>
#include <numeric>

namespace descent::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    // Only a shuffling loader draws from the default generator: others leave its stream alone.
    : DataLoader(std::move(dataset), options, Generator(options.shuffle ? default_generator().next() : 0)) {}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options, std::uint64_t seed)
    : DataLoader(std::move(dataset), options, Generator(seed)) {}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options, Generator generator)
    : dataset_(std::move(dataset)), options_(options), generator_(generator) {
  DESCENT_CHECK(dataset_ != nullptr, "DataLoader", "no dataset (null pointer)");
  DESCENT_CHECK(options_.batch_size >= 1, "DataLoader", "batch_size must be at least 1, got 0");
  DESCENT_CHECK(!(options_.shuffle && options_.sampler), "DataLoader",
                "the sampler option is mutually exclusive with shuffle (shuffle in the sampler instead)");
  const std::size_t n = dataset_->size();
  DESCENT_CHECK(n >= 1, "DataLoader", "the dataset is empty: there is nothing to load");
  auto order = std::make_shared<std::vector<std::size_t>>(n);
  std::iota(order->begin(), order->end(), std::size_t{0});
  sequential_ = std::move(order);
}

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : DataLoader(std::make_shared<const TensorDataset>(std::move(dataset)), options) {}

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options, std::uint64_t seed)
    : DataLoader(std::make_shared<const TensorDataset>(std::move(dataset)), options, seed) {}

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options, Generator generator)
    : DataLoader(std::make_shared<const TensorDataset>(std::move(dataset)), options, generator) {}

std::size_t DataLoader::size() const {
  const std::size_t n = options_.sampler ? options_.sampler->size(sequential_->size()) : sequential_->size();
  const std::size_t b = options_.batch_size;
  return n / b + (!options_.drop_last && n % b != 0 ? 1 : 0);
}

DataLoader::Iterator DataLoader::begin() {
  Iterator it;
  it.dataset_ = dataset_;
  it.batch_size_ = options_.batch_size;
  const std::size_t n = sequential_->size();
  if (options_.sampler) {
    // A user's sampler may be wrong: say so here rather than as an out-of-range read in get_batch.
    auto order = std::make_shared<const std::vector<std::size_t>>(options_.sampler->indices(n));
    const std::size_t expected = options_.sampler->size(n);
    DESCENT_CHECK(order->size() == expected, "DataLoader", "the sampler yielded ", order->size(),
                  " indices but its size() is ", expected);
    for (std::size_t k = 0; k < order->size(); ++k)
      DESCENT_CHECK((*order)[k] < n, "DataLoader", "the sampler yielded index ", (*order)[k], " (position ", k,
                    "), out of range for a dataset of ", n, " examples");
    it.order_ = std::move(order);
  } else if (options_.shuffle) {
    it.order_ = std::make_shared<const std::vector<std::size_t>>(random_order(n, generator_));
  } else {
    it.order_ = sequential_;
  }
  return it;
}

DataLoader::Iterator DataLoader::end() const {
  Iterator it;
  it.batch_ = size();
  return it;
}

const Batch& DataLoader::Iterator::operator*() const {
  if (!loaded_) {
    DESCENT_CHECK(order_ != nullptr, "DataLoader", "dereferencing an end iterator");
    const std::size_t first = batch_ * batch_size_;
    DESCENT_CHECK(first < order_->size(), "DataLoader", "dereferencing an iterator past the last batch");
    const std::size_t last = std::min(first + batch_size_, order_->size());
    indices_.assign(order_->begin() + static_cast<std::ptrdiff_t>(first),
                    order_->begin() + static_cast<std::ptrdiff_t>(last));
    current_ = dataset_->get_batch(indices_);
    loaded_ = true;
  }
  return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_;
  loaded_ = false;
  current_ = Batch();
  return *this;
}

}  // namespace descent::data
