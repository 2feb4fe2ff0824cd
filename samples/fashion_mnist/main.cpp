// An MLP 784-256-128-10 (ReLU) trained on Fashion-MNIST with cross-entropy and SGD with momentum,
// the learning rate annealed along a cosine over the epochs (CosineAnnealingLR).
//
//   fashion_mnist [--data-dir DIR] [--epochs N] [--batch-size N] [--lr X] [--momentum X] [--seed N]
//                 [--limit N] [--plot FILE.svg] [--export FILE.onnx] [--distributed]
//
// The data is read from /usr/share/datasets/fashion-mnist/ (Debian's dataset-fashion-mnist), the
// four IDX files as gzip or plain. Prints one line per epoch; the last line is machine-readable:
//   test_accuracy=<a> epochs=<n> seconds=<s>
// --limit N uses only the first N training and N test images (a quick run, e.g. under valgrind).
// --plot draws the training loss, training accuracy and test accuracy per epoch as an SVG.
// Under mpirun (or with --distributed) each rank trains a DataParallel replica on its share of every
// epoch, --batch-size images per rank and step (README: "Training on several processes").
#include "../fashion_mnist_common.hpp"

using namespace descent;
using namespace fashion_mnist;

int main(int argc, char** argv) try {
  const Settings s = parse(argc, argv, "fashion_mnist",
                           "[--data-dir DIR] [--epochs N] [--batch-size N] [--lr X] [--momentum X] [--seed N] "
                           "[--limit N] [--plot FILE.svg] [--export FILE.onnx] [--distributed]",
                           {});
  const Processes processes("fashion_mnist", s.distributed);
  auto [train_x, train_y] = load("fashion_mnist", s.data_dir, "train", s.limit, {784});
  auto [test_x, test_y] = load("fashion_mnist", s.data_dir, "t10k", s.limit, {784});
  if (processes.main())
    std::printf("Fashion-MNIST: %zu training and %zu test images from %s, %zu process%s\n", train_x.size(0),
                test_x.size(0), s.data_dir.c_str(), processes.count(), processes.count() == 1 ? "" : "es");

  Generator gen(s.seed);
  auto net = std::make_shared<nn::Sequential>(nn::Linear(784, 256, {}, gen), nn::ReLU(), nn::Linear(256, 128, {}, gen),
                                              nn::ReLU(), nn::Linear(128, 10, {}, gen));
  if (processes.main()) std::printf("%s", net->summary({s.batch_size, 784}).c_str());
  const std::shared_ptr<nn::Module> model = processes.replicate(net);
  optim::SGD opt(model->parameters(), {.lr = s.lr, .momentum = s.momentum});
  optim::CosineAnnealingLR schedule(opt, std::max(s.epochs, 1));
  data::DataLoader loader(data::TensorDataset(train_x, train_y), processes.loader_options(s.batch_size, s.seed), s.seed);

  run_training(*model, *net, opt, schedule, loader, test_x, test_y, s, processes, "Fashion-MNIST MLP");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
