#include "descent/data/subset.hpp"

#include <cmath>
#include <utility>

#include "descent/data/sampler.hpp"
#include "descent/error.hpp"

namespace descent::data {

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::size_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  DESCENT_CHECK(dataset_ != nullptr, "Subset", "no dataset (null pointer)");
  const std::size_t n = dataset_->size();
  for (std::size_t k = 0; k < indices_.size(); ++k)
    DESCENT_CHECK(indices_[k] < n, "Subset", "index ", indices_[k], " (position ", k,
                  ") is out of range for a dataset of ", n, " examples");
}

std::size_t Subset::at(std::size_t index) const {
  DESCENT_CHECK(index < indices_.size(), "Subset", "index ", index, " out of range for a subset of ",
                indices_.size(), " examples");
  return indices_[index];
}

Batch Subset::get(std::size_t index) const { return dataset_->get(at(index)); }

Batch Subset::get_batch(const std::vector<std::size_t>& indices) const {
  std::vector<std::size_t> mapped;
  mapped.reserve(indices.size());
  for (std::size_t index : indices) mapped.push_back(at(index));
  return dataset_->get_batch(mapped);
}

namespace {

/// The parts' sizes from lengths or fractions, as torch.utils.data.random_split computes them.
std::vector<std::size_t> part_sizes(const std::vector<double>& lengths, std::size_t n) {
  const char* op = "random_split";
  DESCENT_CHECK(!lengths.empty(), op, "no lengths given");
  double total = 0;
  for (double length : lengths) total += length;
  std::vector<std::size_t> sizes;
  // PyTorch: math.isclose(sum, 1) (relative tolerance 1e-9) and sum <= n means fractions.
  if (std::abs(total - 1) <= 1e-9 && total <= static_cast<double>(n)) {
    std::size_t assigned = 0;
    for (std::size_t k = 0; k < lengths.size(); ++k) {
      DESCENT_CHECK(lengths[k] >= 0 && lengths[k] <= 1, op, "fraction ", lengths[k], " at position ", k,
                    " is not in [0, 1]");
      sizes.push_back(static_cast<std::size_t>(std::floor(static_cast<double>(n) * lengths[k])));
      assigned += sizes.back();
    }
    for (std::size_t k = 0; assigned < n; ++k, ++assigned) ++sizes[k % sizes.size()];  // round robin
    return sizes;
  }
  std::size_t sum = 0;
  for (std::size_t k = 0; k < lengths.size(); ++k) {
    const double length = lengths[k];
    DESCENT_CHECK(length >= 0 && length == std::floor(length) && length <= static_cast<double>(n), op, "length ",
                  length, " at position ", k,
                  " is not a whole number of examples in [0, n] (nor do the lengths sum to 1 as fractions)");
    sizes.push_back(static_cast<std::size_t>(length));
    sum += sizes.back();
  }
  DESCENT_CHECK(sum == n, op, "the lengths sum to ", sum, " but the dataset has ", n,
                " examples (fractions must sum to 1)");
  return sizes;
}

}  // namespace

std::vector<std::shared_ptr<const Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                        const std::vector<double>& lengths, Generator& generator) {
  DESCENT_CHECK(dataset != nullptr, "random_split", "no dataset (null pointer)");
  const std::size_t n = dataset->size();
  const std::vector<std::size_t> sizes = part_sizes(lengths, n);
  const std::vector<std::size_t> order = random_order(n, generator);
  std::vector<std::shared_ptr<const Subset>> parts;
  std::size_t offset = 0;
  for (std::size_t size : sizes) {
    const auto first = order.begin() + static_cast<std::ptrdiff_t>(offset);
    parts.push_back(std::make_shared<const Subset>(dataset, std::vector<std::size_t>(first, first + static_cast<std::ptrdiff_t>(size))));
    offset += size;
  }
  return parts;
}

}  // namespace descent::data
