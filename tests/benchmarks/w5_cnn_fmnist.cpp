// W5: a small CNN on Fashion-MNIST, the convolutional counterpart of W2 and the same workload as
// the LibTorch baseline w5_cnn_fmnist.cpp:
//   Conv2d(1,32,3,pad 1) BatchNorm2d ReLU MaxPool2d(2) -> Conv2d(32,64,3,pad 1) BatchNorm2d ReLU
//   MaxPool2d(2) -> Flatten -> Linear(3136,128) ReLU -> Linear(128,10)
// cross-entropy, SGD momentum 0.9 lr 0.05, minibatch 128, shuffled each epoch with a fixed seed,
// 1 epoch. Test accuracy in eval mode (BatchNorm's running statistics) after each epoch. Only
// training is timed (batches gathered by the DataLoader included, as LibTorch's index_select is;
// file reading and evaluation excluded).
//
//   bench_w5 [--epochs N] [--seed S] [--smoke]
//
// Data as W2's (fmnist.hpp): the dataset, or random images with --smoke or without the files.
#include <cstdint>
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"
#include "fmnist.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  const bench::Flags flags(argc, argv, "bench_w5", {"--epochs", "--seed"});
  const int epochs = static_cast<int>(std::max(1L, flags.get("--epochs", 1)));
  const std::size_t B = 128;

  const double tl0 = bench::now_s();
  const bench::Fmnist fm = bench::load_fmnist("bench_w5", flags.smoke(), {1, 28, 28});
  const bench::Split& train = fm.train;
  const bench::Split& test = fm.test;
  const double load_s = bench::now_s() - tl0;
  const std::size_t N = train.images.size(0);

  // --seed S changes the initial weights and the shuffling (default 0).
  const auto seed = static_cast<std::uint64_t>(flags.get("--seed", 0));
  Generator init(seed);
  nn::Sequential model(nn::Conv2d(1, 32, 3, {.padding = 1}, init), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(32, 64, 3, {.padding = 1}, init), nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Flatten(), nn::Linear(64 * 7 * 7, 128, {}, init), nn::ReLU(),
                       nn::Linear(128, 10, {}, init));
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  data::DataLoader loader(data::TensorDataset(train.images, train.labels), {.batch_size = B, .shuffle = true},
                          /*seed=*/2024 + seed);

  // In chunks of 1000 images as the baseline: the whole test set at once would hold a
  // 10000x32x28x28 activation (1 GB).
  auto evaluate = [&]() {
    NoGradGuard no_grad;
    model.eval();
    const std::size_t n = test.labels.size(0), chunk = 1000;
    std::int64_t correct = 0;
    for (std::size_t s = 0; s < n; s += chunk) {
      const std::size_t len = std::min(chunk, n - s);
      const auto start = static_cast<std::ptrdiff_t>(s);
      const Tensor pred = argmax(model(narrow(test.images, 0, start, len)), 1);
      correct += sum(eq(pred, narrow(test.labels, 0, start, len))).item<std::int64_t>();
    }
    model.train();
    return double(correct) / double(n);
  };

  double train_s = 0, acc1 = 0, acc_last = 0;
  for (int ep = 1; ep <= epochs; ++ep) {
    const bench::Epoch e = bench::train_epoch(model, opt, loader);
    train_s += e.train_s;
    const double acc = evaluate();
    if (ep == 1) acc1 = acc;
    acc_last = acc;
    std::printf("W5 descent epoch=%d train_s=%.3f mean_loss=%.4f test_acc=%.4f\n", ep, e.train_s, e.mean_loss,
                acc);
    std::fflush(stdout);
  }
  std::printf(
      "RESULT W5 descent %s samples_per_s=%.1f s_per_epoch=%.3f acc_epoch1=%.4f acc_last=%.4f load_s=%.3f "
      "epochs=%d data=%s max_rss_kb=%ld%s\n",
      bench::threads_info().c_str(), double(N) * epochs / train_s, train_s / epochs, acc1, acc_last, load_s, epochs,
      fm.random ? "random" : "fashion-mnist", bench::max_rss_kb(), flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w5: %s\n", e.what());
  return 1;
}
