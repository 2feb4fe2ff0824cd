#pragma once
// DataParallel: one replica of a model per process, trained on each rank's share of every batch
// with gradients averaged over the ranks during backward — PyTorch's DistributedDataParallel:
//
//   distributed::Environment mpi(argc, argv);
//   auto net = std::make_shared<nn::Sequential>(...);
//   distributed::DataParallel model(net);             // rank 0's parameters and buffers everywhere
//   optim::Adam opt(model.parameters(), {.lr = 1e-3});
//   auto sampler = std::make_shared<data::DistributedSampler>(distributed::world_size(), distributed::rank());
//   data::DataLoader loader(train_set, {.batch_size = 64, .sampler = sampler});
//   train::fit(model, opt, loss_fn, loader, {.epochs = 10});   // every rank; progress on rank 0
//
// At construction the parameters and buffers are broadcast from rank 0, after checking that every
// rank has the same names, shapes and dtypes (a mismatch fails on every rank, naming the first
// difference). Parameters are grouped into buckets of about bucket_cap_mb, in reverse registration
// order (roughly the order backward produces their gradients). During backward, a post-accumulate hook
// copies each gradient into its bucket; a full bucket starts its MPI_Iallreduce at once (in bucket
// order, the same on every rank), overlapping the reduction with the rest of backward. When the pass
// ends, the reductions are waited for and every parameter's .grad() holds the average over the ranks:
// after loss.backward() returns, optimizer.step() sees averaged gradients, as with PyTorch's DDP.
//
// A parameter that gets no gradient on a rank (unused in its forward) contributes zeros there; one
// that gets none on any rank keeps .grad() undefined. Under no_sync() gradients accumulate locally;
// the next synchronised backward averages the accumulated sums. In training mode each forward first
// broadcasts the buffers (BatchNorm's running statistics) from rank 0; an evaluation forward does
// not (ranks may evaluate different numbers of batches): sync_buffers() does, and train::evaluate
// calls it. Not supported: backward with
// create_graph (the averaged gradients are not differentiable), and using one DataParallel from two
// threads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "descent/autograd/hooks.hpp"
#include "descent/nn/module.hpp"
#include "descent/train/replicated.hpp"

namespace descent::distributed {

struct DataParallelOptions {
  /// The size of a bucket of gradients reduced together (PyTorch's default: 25 MB).
  double bucket_cap_mb = 25;
  /// Broadcast rank 0's buffers at every training-mode forward (BatchNorm's running statistics).
  bool broadcast_buffers = true;
  /// Start each bucket's reduction as soon as it is full (false: all of them when backward ends; for
  /// measuring what the overlap gains).
  bool overlap = true;
};

/// What the reductions cost so far (reset_statistics() starts over).
struct CommunicationStatistics {
  std::size_t steps = 0;             ///< synchronised backward passes
  std::size_t reductions = 0;        ///< MPI_Iallreduce calls (buckets reduced)
  std::size_t bytes = 0;             ///< gradient bytes sent into the reductions (each rank's own)
  double seconds_waiting = 0;        ///< spent in MPI after backward, waiting for reductions to end
  double seconds_in_hooks = 0;       ///< spent packing buckets and starting reductions during backward
};

class DataParallel : public nn::Module, public train::Replicated {
 public:
  explicit DataParallel(std::shared_ptr<nn::Module> module, DataParallelOptions options = {});
  ~DataParallel() override;

  Tensor forward(const Tensor& input) override;
  std::string describe() const override;
  /// The wrapped model (its state_dict has no "module." prefix: what checkpoints usually hold).
  nn::Module& module() const { return *module_; }

  /// While the returned guard lives, backward passes keep their gradients on this rank (gradient
  /// accumulation); the first synchronised pass after it averages what was accumulated.
  class NoSync {
   public:
    explicit NoSync(DataParallel& owner);
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    DataParallel& owner_;
    bool previous_;
  };
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

  /// Waits for the reductions of the current pass and writes the averaged gradients: called when a
  /// backward pass ends, so only needed when a hook of yours must see them earlier. A no-op when
  /// nothing is pending.
  void finish();

  /// The buckets: the parameters (indices into parameters()) each one reduces, in launch order.
  std::vector<std::vector<std::size_t>> bucket_parameters() const;
  const CommunicationStatistics& statistics() const { return statistics_; }
  void reset_statistics() { statistics_ = {}; }

  // train::Replicated
  std::size_t replica_rank() const override { return rank_; }
  std::size_t replica_count() const override { return world_size_; }
  void sum_over_replicas(std::span<double> values) override;
  /// Broadcasts rank 0's buffers now (evaluate() and fit's validation do it first, so that every
  /// rank evaluates the model rank 0 saves).
  void sync_buffers() override;

 private:
  struct Bucket;
  struct Slot;
  void check_same_model_everywhere() const;
  void build_buckets();
  void gradient_ready(std::size_t parameter);
  void launch_ready_buckets();
  void launch(Bucket& bucket);

  std::shared_ptr<nn::Module> module_;
  DataParallelOptions options_;
  struct Communicator;
  std::unique_ptr<Communicator> comm_;
  std::size_t rank_ = 0, world_size_ = 1;
  std::vector<Tensor> parameters_;  ///< those that require grad, in registration order
  std::vector<Slot> slots_;         ///< where each of them sits in its bucket
  std::vector<Bucket> buckets_;
  std::vector<autograd::RemovableHandle> hooks_;
  std::size_t next_launch_ = 0;  ///< the first bucket not started in this pass
  bool synchronising_ = true;    ///< false under no_sync()
  bool pass_pending_ = false;    ///< a pass has delivered gradients that finish() has not averaged
  CommunicationStatistics statistics_;
};

}  // namespace descent::distributed
