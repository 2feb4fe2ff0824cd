// broadcast and all_reduce on tensors: in place on contiguous ones, through a row-major copy otherwise.
#include <cstring>

#include "descent/autograd/grad_mode.hpp"
#include "distributed/mpi.hpp"

namespace descent::distributed {

namespace {

int size_of(MPI_Comm comm) {
  int size = 0;
  detail::check(MPI_Comm_size(comm, &size), "distributed");
  return size;
}

/// Runs `transfer` on a contiguous tensor holding `t`'s values, then puts them back into `t`.
template <class F> void in_place(const Tensor& t, F transfer) {
  if (t.is_contiguous()) {
    transfer(t);
  } else {
    NoGradGuard no_grad;
    Tensor values = t.contiguous();
    transfer(values);
    Tensor(t).copy_(values);
  }
  t.bump_version();
}

MPI_Op mpi_op(ReduceOp reduce) {
  switch (reduce) {
    case ReduceOp::sum:
    case ReduceOp::mean: return MPI_SUM;
    case ReduceOp::product: return MPI_PROD;
    case ReduceOp::min: return MPI_MIN;
    case ReduceOp::max: return MPI_MAX;
  }
  return MPI_SUM;
}

}  // namespace

namespace detail {

void broadcast(MPI_Comm comm, const std::vector<Tensor>& tensors, std::size_t root, const char* op) {
  require_mpi(op);
  const int size = size_of(comm);
  DESCENT_CHECK(root < static_cast<std::size_t>(size), op, "root ", root, " is not a rank (world size ", size, ")");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    DESCENT_CHECK(tensors[i].defined(), op, "tensor ", i, " is undefined");
    in_place(tensors[i], [&](const Tensor& t) {
      char* data = static_cast<char*>(t.impl().data);
      const std::size_t element = element_size(t.dtype());
      in_pieces(t.numel(), [&](std::size_t offset, int count) {
        check(MPI_Bcast(data + offset * element, count, mpi_type(t.dtype()), static_cast<int>(root), comm), op);
      });
    });
  }
}

void all_reduce(MPI_Comm comm, const std::vector<Tensor>& tensors, ReduceOp reduce, const char* op) {
  require_mpi(op);
  const int size = size_of(comm);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& tensor = tensors[i];
    DESCENT_CHECK(tensor.defined(), op, "tensor ", i, " is undefined");
    DESCENT_CHECK(tensor.dtype() != Dtype::boolean, op, "tensor ", i, " is bool: only broadcast takes bool tensors");
    DESCENT_CHECK(reduce != ReduceOp::mean || is_floating(tensor.dtype()), op, "mean needs a floating tensor, tensor ",
                  i, " is ", to_string(tensor.dtype()));
    in_place(tensor, [&](const Tensor& t) {
      char* data = static_cast<char*>(t.impl().data);
      const std::size_t element = element_size(t.dtype());
      in_pieces(t.numel(), [&](std::size_t offset, int count) {
        check(MPI_Allreduce(MPI_IN_PLACE, data + offset * element, count, mpi_type(t.dtype()), mpi_op(reduce), comm), op);
      });
      if (reduce == ReduceOp::mean) {
        NoGradGuard no_grad;
        Tensor(t).div_(size);
      }
    });
  }
}

}  // namespace detail

void broadcast(const std::vector<Tensor>& tensors, std::size_t root) {
  detail::broadcast(MPI_COMM_WORLD, tensors, root, "broadcast");
}

void all_reduce(const std::vector<Tensor>& tensors, ReduceOp reduce) {
  detail::all_reduce(MPI_COMM_WORLD, tensors, reduce, "all_reduce");
}

}  // namespace descent::distributed
