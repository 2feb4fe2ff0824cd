// W2: MLP 784-256-128-10 (ReLU) on Fashion-MNIST, cross-entropy, SGD momentum 0.9 lr 0.05,
// minibatch 128, shuffled each epoch with a fixed seed, 5 epochs: the same workload as the LibTorch
// baseline w2_mlp_fmnist.cpp. Pixels are scaled to [0,1]. Only training is timed (batches gathered
// by the DataLoader included, as LibTorch's index_select is; file reading and evaluation excluded).
//
//   bench_w2 [--epochs N] [--smoke]
//
// The IDX files are read from $FMNIST_DIR or /usr/share/datasets/fashion-mnist (Debian's
// dataset-fashion-mnist). With --smoke, or when the files are missing, random data stands in
// (the RESULT line then says data=random).
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "bench_common.hpp"
#include "descent/descent.hpp"

using namespace descent;
namespace fs = std::filesystem;

namespace {

struct Split {
  Tensor images;  ///< (N, 784) float32 in [0, 1]
  Tensor labels;  ///< (N,) int64
};

/// One of the dataset's files, gzip or plain; empty if neither exists.
fs::path find(const fs::path& dir, const std::string& name) {
  for (const auto& candidate : {dir / (name + ".gz"), dir / name})
    if (fs::exists(candidate)) return candidate;
  return {};
}

Split load(const fs::path& images_path, const fs::path& labels_path) {
  Tensor images = data::read_idx(images_path, float32);
  images.div_(255.0);  // in place: a scaled copy would double the dataset's memory
  return {reshape(images, {static_cast<std::ptrdiff_t>(images.size(0)), -1}),
          data::read_idx(labels_path, int64)};
}

Split random_split(std::size_t n, Generator& gen) {
  std::vector<std::int64_t> labels(n);
  for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(10));
  return {rand({n, 784}, gen), from_buffer(labels.data(), {n})};
}

}  // namespace

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w2", {"--epochs", "--seed"});
  const int epochs = static_cast<int>(std::max(1L, flags.get("--epochs", flags.smoke() ? 2 : 5)));
  const std::size_t B = 128;

  fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (const char* e = std::getenv("FMNIST_DIR")) dir = e;
  const fs::path files[4] = {find(dir, "train-images-idx3-ubyte"), find(dir, "train-labels-idx1-ubyte"),
                             find(dir, "t10k-images-idx3-ubyte"), find(dir, "t10k-labels-idx1-ubyte")};
  const bool have_data = !files[0].empty() && !files[1].empty() && !files[2].empty() && !files[3].empty();
  const bool random_data = flags.smoke() || !have_data;
  if (!have_data && !flags.smoke())
    std::fprintf(stderr,
                 "bench_w2: Fashion-MNIST not found in %s (apt-get install dataset-fashion-mnist, or set "
                 "FMNIST_DIR): timing on random data of the same size\n",
                 dir.c_str());

  const double tl0 = bench::now_s();
  Split train, test;
  if (random_data) {
    Generator data_gen(99);
    train = random_split(flags.smoke() ? 2048 : 60000, data_gen);
    test = random_split(flags.smoke() ? 512 : 10000, data_gen);
  } else {
    train = load(files[0], files[1]);
    test = load(files[2], files[3]);
  }
  const double load_s = bench::now_s() - tl0;
  const std::size_t N = train.images.size(0);

  // --seed S changes the initial weights and the shuffling (default 0): accuracy varies by ~±0.5
  // points from seed to seed, so compare accuracy over several seeds, not one run.
  const auto seed = static_cast<std::uint64_t>(flags.get("--seed", 0));
  Generator init(seed);
  nn::Sequential model(nn::Linear(784, 256, {}, init), nn::ReLU(), nn::Linear(256, 128, {}, init), nn::ReLU(),
                       nn::Linear(128, 10, {}, init));
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  data::DataLoader loader(data::TensorDataset(train.images, train.labels), {.batch_size = B, .shuffle = true},
                          /*seed=*/2024 + seed);

  auto evaluate = [&]() {
    NoGradGuard no_grad;
    model.eval();
    const Tensor pred = argmax(model(test.images), 1);
    model.train();
    return double(sum(eq(pred, test.labels)).item<std::int64_t>()) / double(test.labels.size(0));
  };

  double train_s = 0, acc1 = 0, acc5 = 0;
  for (int ep = 1; ep <= epochs; ++ep) {
    double loss_sum = 0;
    std::size_t nbatch = 0;
    const double t0 = bench::now_s();
    for (const data::Batch& batch : loader) {
      opt.zero_grad();
      const Tensor loss = nn::cross_entropy(model(batch.inputs), batch.targets);
      loss.backward();
      opt.step();
      loss_sum += loss.item();
      ++nbatch;
    }
    const double dt = bench::now_s() - t0;  // training time only (no eval, no file I/O)
    train_s += dt;
    const double acc = evaluate();
    if (ep == 1) acc1 = acc;
    if (ep == epochs) acc5 = acc;
    std::printf("W2 descent epoch=%d train_s=%.3f mean_loss=%.4f test_acc=%.4f\n", ep, dt,
                loss_sum / double(nbatch), acc);
    std::fflush(stdout);
  }
  std::printf(
      "RESULT W2 descent %s samples_per_s=%.1f s_per_epoch=%.3f acc_epoch1=%.4f acc_epoch5=%.4f load_s=%.3f "
      "epochs=%d data=%s max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), double(N) * epochs / train_s, train_s / epochs, acc1, acc5, load_s, epochs,
      random_data ? "random" : "fashion-mnist", bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w2: %s\n", e.what());
  return 1;
}
