#pragma once
// What the distributed files share: MPI's return codes as descent::Error, descent's dtypes as MPI's,
// and counts that fit MPI's int.
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include <vector>

#include "descent/distributed/environment.hpp"

namespace descent::distributed::detail {

/// Throws a descent::Error naming `op` and MPI's message unless `code` is MPI_SUCCESS (MPI returns
/// codes instead of aborting: the Environment sets MPI_ERRORS_RETURN).
void check(int code, const char* op);
/// Throws unless MPI is initialised (and not finalised).
void require_mpi(const char* op);

/// float32 → MPI_FLOAT, float64 → MPI_DOUBLE, int64 → MPI_INT64_T, bool → MPI_C_BOOL.
MPI_Datatype mpi_type(Dtype dtype);

/// broadcast() and all_reduce() on communicator `comm`; `op` names the caller in errors.
void broadcast(MPI_Comm comm, const std::vector<Tensor>& tensors, std::size_t root, const char* op);
void all_reduce(MPI_Comm comm, const std::vector<Tensor>& tensors, ReduceOp reduce, const char* op);

/// Calls f(offset, count) over [0, n) in pieces whose count fits an int.
template <class F> void in_pieces(std::size_t n, F f) {
  constexpr std::size_t piece = std::size_t{1} << 30;
  for (std::size_t offset = 0; offset < n; offset += piece) f(offset, static_cast<int>(std::min(piece, n - offset)));
}

}  // namespace descent::distributed::detail
