#pragma once
// What the Fashion-MNIST workloads W2 (MLP) and W5 (CNN) share: the data and the timed training
// epoch. The data: the IDX files from $FMNIST_DIR or /usr/share/datasets/fashion-mnist
// (Debian's dataset-fashion-mnist), pixels scaled to [0, 1]. With --smoke, or when the files are
// missing, random data of the same shape stands in (the RESULT line then says data=random).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "descent/descent.hpp"

namespace bench {

struct Split {
  descent::Tensor images;  ///< (N, ...sample shape) float32 in [0, 1]
  descent::Tensor labels;  ///< (N,) int64
};

struct Fmnist {
  Split train, test;
  bool random = false;  ///< random stand-in data, not the dataset
};

namespace detail {

/// One of the dataset's files, gzip or plain; empty if neither exists.
inline std::filesystem::path find(const std::filesystem::path& dir, const std::string& name) {
  for (const auto& candidate : {dir / (name + ".gz"), dir / name})
    if (std::filesystem::exists(candidate)) return candidate;
  return {};
}

inline std::vector<std::ptrdiff_t> with_batch(std::ptrdiff_t n, const descent::Shape& sample) {
  std::vector<std::ptrdiff_t> shape{n};
  for (auto d : sample) shape.push_back(static_cast<std::ptrdiff_t>(d));
  return shape;
}

inline Split load(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                  const descent::Shape& sample) {
  descent::Tensor images = descent::data::read_idx(images_path, descent::float32);
  images.div_(255.0);  // in place: a scaled copy would double the dataset's memory
  const auto n = static_cast<std::ptrdiff_t>(images.size(0));
  return {descent::reshape(images, with_batch(n, sample)), descent::data::read_idx(labels_path, descent::int64)};
}

inline Split random_split(std::size_t n, const descent::Shape& sample, descent::Generator& gen) {
  std::vector<std::int64_t> labels(n);
  for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(10));
  descent::Shape shape{n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return {descent::rand(shape, gen), descent::from_buffer(labels.data(), {n})};
}

}  // namespace detail

/// The training and test splits with each image shaped `sample` ({784} for an MLP, {1, 28, 28}
/// for a CNN); random data (2048 / 512 samples when `smoke`, else the dataset's sizes) when
/// `smoke` or when the files are missing (then with a note on stderr naming `program`).
inline Fmnist load_fmnist(const char* program, bool smoke, const descent::Shape& sample) {
  std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  if (const char* e = std::getenv("FMNIST_DIR")) dir = e;
  const std::filesystem::path files[4] = {
      detail::find(dir, "train-images-idx3-ubyte"), detail::find(dir, "train-labels-idx1-ubyte"),
      detail::find(dir, "t10k-images-idx3-ubyte"), detail::find(dir, "t10k-labels-idx1-ubyte")};
  const bool have_data = !files[0].empty() && !files[1].empty() && !files[2].empty() && !files[3].empty();
  if (!have_data && !smoke)
    std::fprintf(stderr,
                 "%s: Fashion-MNIST not found in %s (apt-get install dataset-fashion-mnist, or set "
                 "FMNIST_DIR): timing on random data of the same size\n",
                 program, dir.c_str());
  Fmnist out;
  out.random = smoke || !have_data;
  if (out.random) {
    descent::Generator data_gen(99);
    out.train = detail::random_split(smoke ? 2048 : 60000, sample, data_gen);
    out.test = detail::random_split(smoke ? 512 : 10000, sample, data_gen);
  } else {
    out.train = detail::load(files[0], files[1], sample);
    out.test = detail::load(files[2], files[3], sample);
  }
  return out;
}

struct Epoch {
  double train_s = 0;    ///< training time only (no evaluation, no file I/O)
  double mean_loss = 0;  ///< over the epoch's batches
};

/// One epoch of minibatch training with cross-entropy, timed (the DataLoader's batch gathering
/// included, as LibTorch's index_select is).
inline Epoch train_epoch(descent::nn::Module& model, descent::optim::Optimizer& opt, descent::data::DataLoader& loader) {
  double loss_sum = 0;
  std::size_t nbatch = 0;
  const double t0 = now_s();
  for (const descent::data::Batch& batch : loader) {
    opt.zero_grad();
    const descent::Tensor loss = descent::nn::cross_entropy(model(batch.inputs), batch.targets);
    loss.backward();
    opt.step();
    loss_sum += loss.item();
    ++nbatch;
  }
  return {now_s() - t0, loss_sum / double(nbatch)};
}

}  // namespace bench
