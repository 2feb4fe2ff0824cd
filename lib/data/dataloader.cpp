#include "descent/data/dataloader.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>
#include <string>

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
  std::size_t first_batch = 0;
  if (resume_) {  // the restored pass again: its generator and sampler state redraw its order
    resume_ = false;
    first_batch = resume_at_;
    generator_.set_state(pass_generator_);
    if (options_.sampler) options_.sampler->set_state(pass_sampler_);
  } else {
    ++passes_;
    pass_generator_ = generator_.get_state();
    pass_sampler_ = options_.sampler ? options_.sampler->state() : std::vector<std::int64_t>{};
  }
  handed_out_ = std::make_shared<std::size_t>(first_batch);
  it.handed_out_ = handed_out_;
  it.batch_ = first_batch;
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
    if (handed_out_) *handed_out_ = std::max(*handed_out_, batch_ + 1);
  }
  return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_;
  loaded_ = false;
  current_ = Batch();
  return *this;
}

// --- position -----------------------------------------------------------------------------

namespace {

Tensor int64_scalar(std::int64_t value) {
  Tensor t = empty({}, int64);
  *t.data<std::int64_t>() = value;
  return t;
}

Tensor int64_vector(const std::vector<std::int64_t>& values) {
  Tensor t = empty({values.size()}, int64);
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

/// A generator's state as 6 int64: the 4 words, has_spare, spare's bits.
std::vector<std::int64_t> words_of(const GeneratorState& state) {
  std::vector<std::int64_t> out;
  for (std::uint64_t w : state.words) out.push_back(std::bit_cast<std::int64_t>(w));
  out.push_back(state.has_spare ? 1 : 0);
  out.push_back(std::bit_cast<std::int64_t>(state.spare));
  return out;
}

GeneratorState state_of(const std::vector<std::int64_t>& words) {
  GeneratorState state;
  for (std::size_t i = 0; i < 4; ++i) state.words[i] = std::bit_cast<std::uint64_t>(words[i]);
  state.has_spare = words[4] != 0;
  state.spare = std::bit_cast<double>(words[5]);
  return state;
}

std::vector<std::int64_t> values_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {c.data<std::int64_t>(), c.data<std::int64_t>() + c.numel()};
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> DataLoader::state_tensors() const {
  // A restored pass not yet continued is saved as it was restored.
  const std::size_t batch = resume_ ? resume_at_ : *handed_out_;
  const GeneratorState now = resume_ ? GeneratorState{} : generator_.get_state();
  std::vector<std::int64_t> sampler = options_.sampler ? options_.sampler->state() : std::vector<std::int64_t>{};
  return {{"epoch", int64_scalar(static_cast<std::int64_t>(passes_))},
          {"batch", int64_scalar(static_cast<std::int64_t>(batch))},
          {"generator", int64_vector(words_of(resume_ ? pass_generator_ : now))},
          {"pass_generator", int64_vector(words_of(pass_generator_))},
          {"sampler", int64_vector(resume_ ? pass_sampler_ : sampler)},
          {"pass_sampler", int64_vector(pass_sampler_)},
          {"dataset_size", int64_scalar(static_cast<std::int64_t>(sequential_->size()))},
          {"batch_size", int64_scalar(static_cast<std::int64_t>(options_.batch_size))},
          {"shuffle", int64_scalar(options_.shuffle)},
          {"drop_last", int64_scalar(options_.drop_last)}};
}

void DataLoader::load_state_tensors(const std::vector<std::pair<std::string, Tensor>>& tensors) {
  std::map<std::string, Tensor> given(tensors.begin(), tensors.end());
  std::string problems;
  const auto problem = [&](const std::string& text) { problems += (problems.empty() ? "" : "; ") + text; };
  const auto take = [&](const char* name, bool vector, std::size_t length) -> std::vector<std::int64_t> {
    const auto found = given.find(name);
    if (found == given.end()) {
      problem(detail::concat("missing: ", name));
      return {};
    }
    const Tensor t = found->second;
    given.erase(found);
    const bool fits = t.dtype() == int64 && t.dim() == (vector ? 1u : 0u) && (length == 0 || t.numel() == length);
    if (!fits) {
      problem(detail::concat(name, " is ", to_string(t.shape()), " ", to_string(t.dtype()), ", expected int64 ",
                             vector ? "(" : "()", vector ? (length ? std::to_string(length) : "k") : "",
                             vector ? ")" : ""));
      return {};
    }
    return values_of(t);
  };
  const auto epoch = take("epoch", false, 1), batch = take("batch", false, 1);
  const auto generator = take("generator", true, 6), pass_generator = take("pass_generator", true, 6);
  const auto sampler = take("sampler", true, 0), pass_sampler = take("pass_sampler", true, 0);
  const auto check = [&](const char* name, std::size_t here) {
    const auto value = take(name, false, 1);
    if (!value.empty() && value[0] != static_cast<std::int64_t>(here))
      problem(detail::concat("the saved loader had ", name, " ", value[0], ", this one has ", here));
  };
  check("dataset_size", sequential_->size());
  check("batch_size", options_.batch_size);
  check("shuffle", options_.shuffle);
  check("drop_last", options_.drop_last);
  for (const auto& [name, t] : given) problem("unexpected: " + name);
  if (!options_.sampler && (!sampler.empty() || !pass_sampler.empty()))
    problem("the saved loader's sampler has a state, and this loader has no sampler");
  if (!epoch.empty() && epoch[0] < 0) problem(detail::concat("epoch ", epoch[0], " is negative"));
  if (!batch.empty() && (batch[0] < 0 || static_cast<std::size_t>(batch[0]) > size()))
    problem(detail::concat("batch ", batch[0], " is outside [0, ", size(), "], the batches of one pass"));
  DESCENT_CHECK(problems.empty(), "DataLoader", "the saved position does not fit this loader (", problems, ")");

  const auto passes = static_cast<std::uint64_t>(epoch[0]);
  const auto handed_out = static_cast<std::size_t>(batch[0]);
  const bool unfinished = passes > 0 && handed_out < size();
  // Checked before anything changes: generator states and the sampler's state.
  Generator probe;
  probe.set_state(state_of(unfinished ? pass_generator : generator));
  if (options_.sampler) options_.sampler->set_state(unfinished ? pass_sampler : sampler);
  generator_ = probe;
  passes_ = passes;
  pass_generator_ = state_of(pass_generator);
  pass_sampler_ = pass_sampler;
  handed_out_ = std::make_shared<std::size_t>(handed_out);
  resume_ = unfinished;
  resume_at_ = handed_out;
}

}  // namespace descent::data
