#pragma once
// What the two Fashion-MNIST samples (fashion_mnist, cnn_fashion_mnist) share: their flags, reading
// the dataset, and the training loop that prints a line per epoch and draws the curves.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "command_line.hpp"
#include "onnx_export.hpp"
#include "descent/descent.hpp"
#include "descent/plot/plot.hpp"
#ifdef DESCENT_HAS_MPI
#include "descent/distributed.hpp"
#endif

namespace fashion_mnist {

using namespace descent;
namespace fs = std::filesystem;

struct Settings {
  fs::path data_dir = "/usr/share/datasets/fashion-mnist";
  int epochs = 10;
  std::size_t batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 0;
  double dropout = 0;  // before the last layer, where a sample has one
  std::size_t crop_padding = 1;  // the CNN's random crops: of the image padded by this (0: none)
  std::uint64_t seed = 0;
  std::size_t limit = 0;  // 0: every image
  fs::path plot;          // an SVG file for the curves
  fs::path save, load;    // model checkpoints (.npz)
  fs::path export_onnx;   // the trained model as ONNX
  bool distributed = false;  // --distributed: one replica per MPI rank (also when mpirun started us)
};

using samples::usage;

/// The flags of `s` that appear in `flags` (the usage line, e.g. "[--epochs N] [--lr X]"); others are errors.
inline Settings parse(int argc, char** argv, const char* program, const std::string& flags, Settings s) {
  samples::parse_flags(
      argc, argv, program, flags,
      [&](const std::string& flag, const samples::Value& value) {
        if (flag == "--data-dir") s.data_dir = value.text;
        else if (flag == "--plot") s.plot = value.text;
        else if (flag == "--save") s.save = value.text;
        else if (flag == "--load") s.load = value.text;
        else if (flag == "--export") s.export_onnx = value.text;
        else if (flag == "--epochs") s.epochs = static_cast<int>(value.integer(0));
        else if (flag == "--batch-size") s.batch_size = static_cast<std::size_t>(value.integer(1));
        else if (flag == "--limit") s.limit = static_cast<std::size_t>(value.integer(1));
        else if (flag == "--seed") s.seed = static_cast<std::uint64_t>(value.integer(0));
        else if (flag == "--crop-padding") s.crop_padding = static_cast<std::size_t>(value.integer(0));
        else if (flag == "--lr") s.lr = value.number(false);
        else if (flag == "--momentum") s.momentum = value.number(false);
        else if (flag == "--weight-decay") s.weight_decay = value.number(false);
        else s.dropout = value.number(false);  // --dropout
      },
      [&](const std::string&) { s.distributed = true; });  // --distributed
  samples::check_can_export(s.export_onnx);
  return s;
}

/// One of the dataset's files, gzip or plain.
inline fs::path find(const char* program, const fs::path& dir, const std::string& name) {
  for (const auto& candidate : {dir / (name + ".gz"), dir / name})
    if (fs::exists(candidate)) return candidate;
  std::fprintf(stderr,
               "%s: %s not found in %s\n  Install Debian's dataset-fashion-mnist (apt-get install "
               "dataset-fashion-mnist) or point --data-dir at a folder with the four IDX files.\n",
               program, name.c_str(), dir.c_str());
  std::exit(1);
}

/// Images as float32 in [0, 1], each of `image_shape` (e.g. {784} or {1, 28, 28}), and labels as
/// int64 (N,); the first `limit` only if not 0.
inline std::pair<Tensor, Tensor> load(const char* program, const fs::path& dir, const std::string& prefix,
                                      std::size_t limit, const std::vector<std::ptrdiff_t>& image_shape) {
  Tensor images = data::read_idx(find(program, dir, prefix + "-images-idx3-ubyte"), float32);
  Tensor labels = data::read_idx(find(program, dir, prefix + "-labels-idx1-ubyte"), int64);
  if (limit != 0 && limit < images.size(0)) {
    images = narrow(images, 0, 0, limit).contiguous();
    labels = narrow(labels, 0, 0, limit).contiguous();
  }
  images.div_(255.0);  // in place: a scaled copy would double the dataset's memory
  std::vector<std::ptrdiff_t> shape{static_cast<std::ptrdiff_t>(images.size(0))};
  shape.insert(shape.end(), image_shape.begin(), image_shape.end());
  return {reshape(images, shape), labels};
}

inline std::size_t correct(const Tensor& logits, const Tensor& labels) {
  return static_cast<std::size_t>(sum(eq(argmax(logits, 1), labels)).item<std::int64_t>());
}

/// The processes of the run: one, or one per MPI rank (started by mpirun, or --distributed), each
/// training a replica of the model on its share of every epoch (distributed::DataParallel).
class Processes {
 public:
  Processes(const char* program, bool distributed) {
#ifdef DESCENT_HAS_MPI
    if (distributed || distributed::launched_by_mpi()) {
      mpi_ = std::make_unique<distributed::Environment>();
      rank_ = distributed::rank();
      count_ = distributed::world_size();
    }
#else
    if (distributed) {
      std::fprintf(stderr, "%s: --distributed needs descent built with MPI (apt-get install libopenmpi-dev openmpi-bin, "
                   "then configure again)\n", program);
      std::exit(2);
    }
#endif
    (void)program;
  }
  std::size_t rank() const { return rank_; }
  std::size_t count() const { return count_; }
  /// The process that prints, plots and saves.
  bool main() const { return rank_ == 0; }

  /// The model to train: `net`, or a DataParallel replica of it (rank 0's weights everywhere).
  std::shared_ptr<nn::Module> replicate(std::shared_ptr<nn::Module> net) const {
#ifdef DESCENT_HAS_MPI
    if (mpi_) return std::make_shared<distributed::DataParallel>(std::move(net));
#endif
    return net;
  }
  /// Loader options for batches of `batch_size` (per process): shuffled, over this rank's share.
  data::DataLoaderOptions loader_options(std::size_t batch_size, std::uint64_t seed) const {
    if (count_ == 1) return {.batch_size = batch_size, .shuffle = true};
    return {.batch_size = batch_size,
            .sampler = std::make_shared<data::DistributedSampler>(count_, rank_, data::DistributedSamplerOptions{.seed = seed})};
  }
  /// Reads a checkpoint into `net`: in a distributed run, rank 0 reads it for every rank.
  void load(nn::Module& net, const fs::path& path) const {
#ifdef DESCENT_HAS_MPI
    if (mpi_) return distributed::load(net, path);
#endif
    io::load(net, path);
  }

 private:
#ifdef DESCENT_HAS_MPI
  std::unique_ptr<distributed::Environment> mpi_;
#endif
  std::size_t rank_ = 0, count_ = 1;
};

/// In eval mode, `chunk` images at a time, each process its share of the images; leaves the net in
/// training mode.
inline double accuracy(nn::Module& net, const Tensor& images, const Tensor& labels, const Processes& processes,
                       std::size_t chunk = 1000) {
  auto* replicas = dynamic_cast<train::Replicated*>(&net);
  if (replicas) replicas->sync_buffers();  // every process evaluates rank 0's model, which it saves
  NoGradGuard no_grad;
  net.eval();
  std::vector<double> right{0};
  const std::size_t n = images.size(0);
  const std::size_t first = n * processes.rank() / processes.count(), last = n * (processes.rank() + 1) / processes.count();
  for (std::size_t start = first; start < last; start += chunk) {
    const std::size_t len = std::min(chunk, last - start);
    right[0] += static_cast<double>(correct(net(narrow(images, 0, static_cast<std::ptrdiff_t>(start), len)),
                                            narrow(labels, 0, static_cast<std::ptrdiff_t>(start), len)));
  }
  if (replicas) replicas->sum_over_replicas(right);
  net.train();
  return right[0] / static_cast<double>(n);
}

/// s.epochs epochs of cross-entropy training, the scheduler stepped after each, a line printed per
/// epoch; then the curves drawn into s.plot and `net` saved to s.save if given, and the last line
/// printed: test_accuracy=<a> epochs=<n> seconds=<s> (with s.epochs 0, the net as it is). `model` is
/// what trains: `net` itself or its DataParallel replica; losses and accuracies are over every
/// process's examples, printed, plotted and saved by the main process.
inline void run_training(nn::Module& model, nn::Module& net, optim::Optimizer& opt, optim::LRScheduler& schedule,
                         data::DataLoader& loader, const Tensor& test_x, const Tensor& test_y, const Settings& s,
                         const Processes& processes, const std::string& title) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  double test_acc = s.epochs == 0 ? accuracy(model, test_x, test_y, processes) : 0;
  std::vector<double> train_losses, train_accuracies, test_accuracies;  // per epoch, for --plot
  auto* sampler = dynamic_cast<data::DistributedSampler*>(loader.options().sampler.get());
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    const auto epoch_start = clock::now();
    if (sampler) sampler->set_epoch(static_cast<std::uint64_t>(epoch - 1));
    std::vector<double> totals{0, 0, 0};  // loss sum, right, seen
    for (const data::Batch& batch : loader) {
      Tensor logits = model(batch.inputs);
      Tensor loss = nn::cross_entropy(logits, batch.targets);
      opt.zero_grad();
      loss.backward();
      opt.step();
      const std::size_t n = batch.inputs.size(0);
      totals[0] += loss.item() * static_cast<double>(n);
      totals[1] += static_cast<double>(correct(logits.detach(), batch.targets));
      totals[2] += static_cast<double>(n);
    }
    if (auto* replicas = dynamic_cast<train::Replicated*>(&model)) replicas->sum_over_replicas(totals);
    const double seconds = std::chrono::duration<double>(clock::now() - epoch_start).count();
    schedule.step();
    test_acc = accuracy(model, test_x, test_y, processes);
    train_losses.push_back(totals[0] / totals[2]);
    train_accuracies.push_back(totals[1] / totals[2]);
    test_accuracies.push_back(test_acc);
    if (!processes.main()) continue;
    std::printf("epoch %2d  loss %.4f  train_accuracy %.4f  test_accuracy %.4f  %.2fs\n", epoch, train_losses.back(),
                train_accuracies.back(), test_acc, seconds);
    std::fflush(stdout);
  }
  if (!processes.main()) return;
  if (!s.plot.empty())
    plot::curves({{"train loss", train_losses}, {"train accuracy", train_accuracies}, {"test accuracy", test_accuracies}},
                 title, s.plot);
  if (!s.save.empty()) io::save(net, s.save);
  if (!s.export_onnx.empty()) samples::export_onnx(net, {narrow(test_x, 0, 0, std::min<std::size_t>(2, test_x.size(0)))}, s.export_onnx);
  const double total = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("test_accuracy=%.4f epochs=%d seconds=%.2f\n", test_acc, s.epochs, total);
}

}  // namespace fashion_mnist
