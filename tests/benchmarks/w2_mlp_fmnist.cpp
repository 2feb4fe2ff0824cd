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

#include "bench_common.hpp"
#include "descent/descent.hpp"
#include "fmnist.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w2", {"--epochs", "--seed"});
  const int epochs = static_cast<int>(std::max(1L, flags.get("--epochs", flags.smoke() ? 2 : 5)));
  const std::size_t B = 128;

  const double tl0 = bench::now_s();
  const bench::Fmnist fm = bench::load_fmnist("bench_w2", flags.smoke(), {784});
  const bench::Split& train = fm.train;
  const bench::Split& test = fm.test;
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
    const bench::Epoch e = bench::train_epoch(model, opt, loader);
    train_s += e.train_s;
    const double acc = evaluate();
    if (ep == 1) acc1 = acc;
    if (ep == epochs) acc5 = acc;
    std::printf("W2 descent epoch=%d train_s=%.3f mean_loss=%.4f test_acc=%.4f\n", ep, e.train_s, e.mean_loss,
                acc);
    std::fflush(stdout);
  }
  std::printf(
      "RESULT W2 descent %s samples_per_s=%.1f s_per_epoch=%.3f acc_epoch1=%.4f acc_epoch5=%.4f load_s=%.3f "
      "epochs=%d data=%s max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), double(N) * epochs / train_s, train_s / epochs, acc1, acc5, load_s, epochs,
      fm.random ? "random" : "fashion-mnist", bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w2: %s\n", e.what());
  return 1;
}
