// An MLP 784-256-128-10 (ReLU) trained on Fashion-MNIST with cross-entropy and SGD with momentum,
// the learning rate annealed along a cosine over the epochs (CosineAnnealingLR).
//
//   fashion_mnist [--data-dir DIR] [--epochs N] [--batch-size N] [--lr X] [--momentum X] [--seed N]
//                 [--limit N] [--plot FILE.svg]
//
// The data is read from /usr/share/datasets/fashion-mnist/ (Debian's dataset-fashion-mnist), the
// four IDX files as gzip or plain. Prints one line per epoch; the last line is machine-readable:
//   test_accuracy=<a> epochs=<n> seconds=<s>
// --limit N uses only the first N training and N test images (a quick run, e.g. under valgrind).
// --plot draws the training loss, training accuracy and test accuracy per epoch as an SVG.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "descent/descent.hpp"
#include "descent/plot/plot.hpp"

using namespace descent;
namespace fs = std::filesystem;

namespace {

struct Settings {
  fs::path data_dir = "/usr/share/datasets/fashion-mnist";
  int epochs = 10;
  std::size_t batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;
  std::uint64_t seed = 0;
  std::size_t limit = 0;  // 0: every image
  fs::path plot;  // an SVG file for the curves
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "fashion_mnist: %s\nusage: fashion_mnist [--data-dir DIR] [--epochs N] [--batch-size N] [--lr X] "
               "[--momentum X] [--seed N] [--limit N] [--plot FILE.svg]\n",
               problem.c_str());
  std::exit(2);
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    char* end = nullptr;
    auto positive_int = [&](const char* name) {
      const long n = std::strtol(value.c_str(), &end, 10);
      if (*end || n <= 0) usage(std::string(name) + " must be a positive integer");
      return n;
    };
    if (flag == "--data-dir") s.data_dir = value;
    else if (flag == "--plot") s.plot = value;
    else if (flag == "--epochs") s.epochs = static_cast<int>(positive_int("--epochs"));
    else if (flag == "--batch-size") s.batch_size = static_cast<std::size_t>(positive_int("--batch-size"));
    else if (flag == "--limit") s.limit = static_cast<std::size_t>(positive_int("--limit"));
    else if (flag == "--seed") s.seed = static_cast<std::uint64_t>(positive_int("--seed"));
    else if (flag == "--lr" || flag == "--momentum") {
      const double v = std::strtod(value.c_str(), &end);
      if (*end || !(v >= 0)) usage(flag + " must be a non-negative number");
      (flag == "--lr" ? s.lr : s.momentum) = v;
    } else usage("unknown option " + flag);
  }
  return s;
}

/// One of the dataset's files, gzip or plain.
fs::path find(const fs::path& dir, const std::string& name) {
  for (const auto& candidate : {dir / (name + ".gz"), dir / name})
    if (fs::exists(candidate)) return candidate;
  std::fprintf(stderr,
               "fashion_mnist: %s not found in %s\n  Install Debian's dataset-fashion-mnist (apt-get install "
               "dataset-fashion-mnist) or point --data-dir at a folder with the four IDX files.\n",
               name.c_str(), dir.c_str());
  std::exit(1);
}

/// Images as (N, 784) float32 in [0, 1], labels as int64 (N,); the first `limit` only if not 0.
std::pair<Tensor, Tensor> load(const fs::path& dir, const std::string& prefix, std::size_t limit) {
  Tensor images = data::read_idx(find(dir, prefix + "-images-idx3-ubyte"), float32);
  Tensor labels = data::read_idx(find(dir, prefix + "-labels-idx1-ubyte"), int64);
  if (limit != 0 && limit < images.size(0)) {
    images = narrow(images, 0, 0, limit).contiguous();
    labels = narrow(labels, 0, 0, limit).contiguous();
  }
  images.div_(255.0);  // in place: a scaled copy would double the dataset's memory
  return {reshape(images, {static_cast<std::ptrdiff_t>(images.size(0)), -1}), labels};
}

std::size_t correct(const Tensor& logits, const Tensor& labels) {
  return static_cast<std::size_t>(sum(eq(argmax(logits, 1), labels)).item<std::int64_t>());
}

double accuracy(nn::Module& net, const Tensor& images, const Tensor& labels) {
  NoGradGuard no_grad;
  net.eval();
  std::size_t right = 0;
  const std::size_t n = images.size(0), chunk = 1000;
  for (std::size_t start = 0; start < n; start += chunk) {
    const std::size_t len = std::min(chunk, n - start);
    right += correct(net(narrow(images, 0, static_cast<std::ptrdiff_t>(start), len)),
                     narrow(labels, 0, static_cast<std::ptrdiff_t>(start), len));
  }
  net.train();
  return static_cast<double>(right) / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) try {
  const Settings s = parse(argc, argv);
  auto [train_x, train_y] = load(s.data_dir, "train", s.limit);
  auto [test_x, test_y] = load(s.data_dir, "t10k", s.limit);
  std::printf("Fashion-MNIST: %zu training and %zu test images from %s\n", train_x.size(0), test_x.size(0),
              s.data_dir.c_str());

  Generator gen(s.seed);
  nn::Sequential net(nn::Linear(784, 256, {}, gen), nn::ReLU(), nn::Linear(256, 128, {}, gen), nn::ReLU(),
                     nn::Linear(128, 10, {}, gen));
  std::printf("%s", net.summary({s.batch_size, 784}).c_str());
  optim::SGD opt(net.parameters(), {.lr = s.lr, .momentum = s.momentum});
  optim::CosineAnnealingLR schedule(opt, s.epochs);
  data::DataLoader loader(data::TensorDataset(train_x, train_y), {.batch_size = s.batch_size, .shuffle = true}, s.seed);

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  double test_acc = 0;
  std::vector<double> train_losses, train_accuracies, test_accuracies;  // per epoch, for --plot
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    const auto epoch_start = clock::now();
    double loss_sum = 0;
    std::size_t seen = 0, right = 0;
    for (const data::Batch& batch : loader) {
      Tensor logits = net(batch.inputs);
      Tensor loss = nn::cross_entropy(logits, batch.targets);
      opt.zero_grad();
      loss.backward();
      opt.step();
      const std::size_t n = batch.inputs.size(0);
      loss_sum += loss.item() * static_cast<double>(n);
      right += correct(logits.detach(), batch.targets);
      seen += n;
    }
    const double seconds = std::chrono::duration<double>(clock::now() - epoch_start).count();
    schedule.step();
    test_acc = accuracy(net, test_x, test_y);
    std::printf("epoch %2d  loss %.4f  train_accuracy %.4f  test_accuracy %.4f  %.2fs\n", epoch,
                loss_sum / static_cast<double>(seen), static_cast<double>(right) / static_cast<double>(seen), test_acc,
                seconds);
    std::fflush(stdout);
    train_losses.push_back(loss_sum / static_cast<double>(seen));
    train_accuracies.push_back(static_cast<double>(right) / static_cast<double>(seen));
    test_accuracies.push_back(test_acc);
  }
  if (!s.plot.empty())
    plot::curves({{"train loss", train_losses}, {"train accuracy", train_accuracies}, {"test accuracy", test_accuracies}},
                 "Fashion-MNIST MLP", s.plot);
  const double total = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("test_accuracy=%.4f epochs=%d seconds=%.2f\n", test_acc, s.epochs, total);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
