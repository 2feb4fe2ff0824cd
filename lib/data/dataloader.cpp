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
  const std::size_t n = sequential_->size(), b = options_.batch_size;
  return n / b + (!options_.drop_last && n % b != 0 ? 1 : 0);
}

DataLoader::Iterator DataLoader::begin() {
  Iterator it;
  it.dataset_ = dataset_;
  it.batch_size_ = options_.batch_size;
  if (options_.shuffle) {
    auto order = std::make_shared<std::vector<std::size_t>>(*sequential_);
    for (std::size_t i = order->size(); i > 1; --i) std::swap((*order)[i - 1], (*order)[generator_.below(i)]);  // Fisher–Yates
    it.order_ = std::move(order);
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
