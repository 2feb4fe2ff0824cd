#pragma once
// Resuming a distributed run from one checkpoint: rank `root` reads the file and every rank loads the
// same bytes (io::load_from_memory), so no rank needs the file on its own disk. Collectives: every
// rank calls them together. A file that cannot be read or loaded is a descent::Error on every rank.
//
//   distributed::load(model.module(), "model.npz");   // then every rank has rank 0's weights
//   distributed::load(opt, "adam.npz");
//   if (distributed::rank() == 0) io::save(model.module(), "model.npz");   // saving: one rank writes
#include <cstddef>
#include <filesystem>

namespace descent::nn {
class Module;
}
namespace descent::optim {
class Optimizer;
}

namespace descent::distributed {

void load(nn::Module& module, const std::filesystem::path& path, std::size_t root = 0);
void load(optim::Optimizer& optimizer, const std::filesystem::path& path, std::size_t root = 0);

}  // namespace descent::distributed
