#pragma once
// The MPI environment and the collectives on tensors (torch.distributed's), built when MPI is found
// (DESCENT_MPI) into the descent::distributed library:
//
//   int main(int argc, char** argv) {
//     try {
//       distributed::Environment mpi(argc, argv);   // MPI_Init ... MPI_Finalize
//       std::printf("rank %zu of %zu\n", distributed::rank(), distributed::world_size());
//       distributed::all_reduce({t}, distributed::ReduceOp::sum);   // in place, on every rank
//     } catch (const std::exception& e) { ... return 1; }
//   }
//
// Run it with `mpirun -np 4 ./program` (on one machine, a cluster, or under Slurm), or alone: one rank.
//
// A rank that fails must not leave the others waiting in a collective: when an exception leaves the
// Environment's scope, its destructor does not call MPI_Finalize (which would wait for every rank), so
// the process ends and mpirun ends the job. Declare the Environment inside main's try block, as above.
// MPI errors are descent::Error with MPI's own message.
#include <cstddef>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::distributed {

/// Initialises MPI for its lifetime (if the program has not already: then it leaves MPI alone).
class Environment {
 public:
  Environment();
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

 private:
  bool owns_ = false;
  int exceptions_at_start_ = 0;
};

/// True between MPI's initialisation and its finalisation.
bool is_initialized();
/// True when the process was started by an MPI launcher (mpirun, mpiexec, srun): what samples check
/// to run distributed without a flag.
bool launched_by_mpi();

/// The number of processes (ranks), and this one's rank, 0 ≤ rank() < world_size().
std::size_t world_size();
std::size_t rank();
/// Waits until every rank has called it.
void barrier();

enum class ReduceOp { sum, product, min, max, mean };

/// Every rank's `tensors` get rank `root`'s values (same shapes and dtypes on every rank), in place.
void broadcast(const std::vector<Tensor>& tensors, std::size_t root = 0);
/// Every rank's `tensors` become the element-wise reduction over all ranks, in place (mean: sum over
/// world_size, floating dtypes only). float32, float64 and int64 tensors; bool only in broadcast.
void all_reduce(const std::vector<Tensor>& tensors, ReduceOp op = ReduceOp::sum);

}  // namespace descent::distributed
