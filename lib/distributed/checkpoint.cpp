#include "descent/distributed/checkpoint.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "descent/io/checkpoint.hpp"
#include "distributed/mpi.hpp"

namespace descent::distributed {

namespace {

/// The file's bytes on every rank, read by `root`; a failure there becomes the same error everywhere.
std::string read_on_root(const std::filesystem::path& path, std::size_t root, const char* op) {
  detail::require_mpi(op);
  DESCENT_CHECK(root < world_size(), op, "root ", root, " is not a rank (world size ", world_size(), ")");
  std::string bytes;
  std::uint64_t ok = 1;
  if (rank() == root) {
    std::ifstream in(path, std::ios::binary);
    if (in) bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (!in || in.bad()) {
      ok = 0;
      bytes = descent::detail::concat(op, ": cannot read ", path.string(), " on rank ", root, ": ", std::strerror(errno));
    }
  }
  std::uint64_t header[2] = {ok, bytes.size()};
  detail::check(MPI_Bcast(header, 2, MPI_UINT64_T, static_cast<int>(root), MPI_COMM_WORLD), op);
  bytes.resize(header[1]);
  detail::in_pieces(header[1], [&](std::size_t offset, int count) {
    detail::check(MPI_Bcast(bytes.data() + offset, count, MPI_CHAR, static_cast<int>(root), MPI_COMM_WORLD), op);
  });
  if (!header[0]) throw Error(bytes);
  return bytes;
}

}  // namespace

void load(nn::Module& module, const std::filesystem::path& path, std::size_t root) {
  io::load_from_memory(module, read_on_root(path, root, "distributed::load"), path.string());
}

void load(optim::Optimizer& optimizer, const std::filesystem::path& path, std::size_t root) {
  io::load_from_memory(optimizer, read_on_root(path, root, "distributed::load"), path.string());
}

}  // namespace descent::distributed
