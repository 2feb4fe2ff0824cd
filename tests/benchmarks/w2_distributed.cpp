// W2 over MPI ranks: the MLP 784-256-128-10 of w2_mlp_fmnist.cpp, SGD momentum 0.9 lr 0.05, the same
// global batch of 128 split over the ranks (128 / world_size each, a DistributedSampler), trained with
// distributed::DataParallel. Prints, from rank 0, the training time per epoch, the share of it spent
// in communication (waiting for the reductions after backward, and packing/starting them during
// backward) and the bytes each rank reduces per step.
//
//   mpirun -np 2 -x OPENBLAS_NUM_THREADS=1 -x DESCENT_NUM_THREADS=1 bench_w2_mpi [--epochs N]
//          [--bucket-kb N (default 25600: PyTorch's 25 MB)] [--overlap 0|1 (default 1)] [--smoke]
//
// Run alone (no mpirun) it is one rank: DataParallel's cost over plain training with nothing to reduce.
#include <cstdint>
#include <cstdio>

#include "bench_common.hpp"
#include "descent/descent.hpp"
#include "descent/distributed.hpp"
#include "fmnist.hpp"

using namespace descent;

int main(int argc, char** argv) try {
  distributed::Environment mpi(argc, argv);
  const bench::Flags flags(argc, argv, "bench_w2_mpi", {"--epochs", "--bucket-kb", "--overlap"});
  const int epochs = static_cast<int>(std::max(1L, flags.get("--epochs", flags.smoke() ? 1 : 3)));
  const std::size_t ranks = distributed::world_size(), rank = distributed::rank();
  const std::size_t global_batch = 128;
  if (global_batch % ranks != 0) throw Error("bench_w2_mpi: 128 is not divisible by the number of ranks");
  const bench::Fmnist fm = bench::load_fmnist("bench_w2_mpi", flags.smoke(), {784});
  const std::size_t N = fm.train.images.size(0);

  Generator init(0);
  auto net = std::make_shared<nn::Sequential>(nn::Linear(784, 256, {}, init), nn::ReLU(), nn::Linear(256, 128, {}, init),
                                              nn::ReLU(), nn::Linear(128, 10, {}, init));
  const double bucket_mb = static_cast<double>(flags.get("--bucket-kb", 25600)) / 1024;
  const bool overlap = flags.get("--overlap", 1) != 0;
  distributed::DataParallel model(net, {.bucket_cap_mb = bucket_mb, .overlap = overlap});
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  auto sampler = std::make_shared<data::DistributedSampler>(ranks, rank, data::DistributedSamplerOptions{.seed = 2024});
  data::DataLoader loader(data::TensorDataset(fm.train.images, fm.train.labels),
                          {.batch_size = global_batch / ranks, .sampler = sampler});

  double train_s = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    sampler->set_epoch(static_cast<std::uint64_t>(epoch - 1));
    distributed::barrier();
    model.reset_statistics();
    const bench::Epoch e = bench::train_epoch(model, opt, loader);
    const auto& s = model.statistics();
    const std::size_t steps = std::max<std::size_t>(s.steps, 1);  // 0 on one rank: nothing to reduce
    train_s += e.train_s;
    if (rank == 0)
      std::printf("W2-MPI epoch=%d train_s=%.3f mean_loss=%.4f waiting_s=%.3f hooks_s=%.3f comm_share=%.3f "
                  "steps=%zu reductions_per_step=%.1f bytes_per_step=%zu\n",
                  epoch, e.train_s, e.mean_loss, s.seconds_waiting, s.seconds_in_hooks,
                  (s.seconds_waiting + s.seconds_in_hooks) / e.train_s, s.steps,
                  double(s.reductions) / double(steps), s.bytes / steps);
    std::fflush(stdout);
  }
  NoGradGuard no_grad;
  model.eval();
  const double acc = double(sum(eq(argmax(model(fm.test.images), 1), fm.test.labels)).item<std::int64_t>()) /
                     double(fm.test.labels.size(0));
  if (rank == 0)
    std::printf("RESULT W2-MPI descent ranks=%zu per_rank_batch=%zu buckets=%zu bucket_kb=%ld overlap=%d %s "
                "samples_per_s=%.1f s_per_epoch=%.3f test_acc=%.4f epochs=%d data=%s%s\n",
                ranks, global_batch / ranks, model.bucket_parameters().size(), flags.get("--bucket-kb", 25600),
                overlap ? 1 : 0, bench::threads_info().c_str(), double(N) * epochs / train_s, train_s / epochs, acc,
                epochs, fm.random ? "random" : "fashion-mnist", flags.smoke() ? " smoke=1" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_w2_mpi: %s\n", e.what());
  return 1;
}
