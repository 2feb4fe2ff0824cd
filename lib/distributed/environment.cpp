#include "descent/distributed/environment.hpp"

#include <cstdlib>
#include <exception>

#include "distributed/mpi.hpp"

namespace descent::distributed {

namespace detail {

void check(int code, const char* op) {
  if (code == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) length = 0;
  throw Error(descent::detail::concat(op, ": MPI error ", code, ": ", std::string(message, static_cast<std::size_t>(length))));
}

void require_mpi(const char* op) {
  DESCENT_CHECK(is_initialized(), op, "MPI is not initialised: create a distributed::Environment first (in main)");
}

MPI_Datatype mpi_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return MPI_FLOAT;
    case Dtype::float64: return MPI_DOUBLE;
    case Dtype::int64: return MPI_INT64_T;
    case Dtype::boolean: return MPI_C_BOOL;
  }
  throw Error(descent::detail::concat("distributed: no MPI type for ", to_string(dtype)));
}

}  // namespace detail

namespace {
void start(int* argc, char*** argv, bool& owns) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // Funneled: only the thread that initialised MPI calls it (descent's intra-op workers never do).
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw Error("distributed::Environment: MPI_Init_thread failed");
    owns = true;
  }
  detail::check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "distributed::Environment");
}
}  // namespace

Environment::Environment() : exceptions_at_start_(std::uncaught_exceptions()) { start(nullptr, nullptr, owns_); }
Environment::Environment(int& argc, char**& argv) : exceptions_at_start_(std::uncaught_exceptions()) {
  start(&argc, &argv, owns_);
}

Environment::~Environment() {
  if (!owns_ || !is_initialized()) return;
  // Leaving by an exception: the other ranks may be waiting in a collective, and MPI_Finalize would
  // wait for them forever. Ending without it makes mpirun end the job with this process's error.
  if (std::uncaught_exceptions() > exceptions_at_start_) return;
  MPI_Finalize();
}

bool is_initialized() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

bool launched_by_mpi() {
  // Open MPI's mpirun, MPICH's and Intel's Hydra, PMIx launchers (srun --mpi=pmix), Slurm.
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_NTASKS"})
    if (std::getenv(variable)) return true;
  return false;
}

std::size_t world_size() {
  detail::require_mpi("world_size");
  int size = 0;
  detail::check(MPI_Comm_size(MPI_COMM_WORLD, &size), "world_size");
  return static_cast<std::size_t>(size);
}

std::size_t rank() {
  detail::require_mpi("rank");
  int r = 0;
  detail::check(MPI_Comm_rank(MPI_COMM_WORLD, &r), "rank");
  return static_cast<std::size_t>(r);
}

void barrier() {
  detail::require_mpi("barrier");
  detail::check(MPI_Barrier(MPI_COMM_WORLD), "barrier");
}

}  // namespace descent::distributed
