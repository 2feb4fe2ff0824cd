#pragma once
// Checkpoints: a model's parameters and buffers or an optimizer's state as an NPZ file (a zip of .npy arrays,
// what numpy.savez writes), so that training can stop and resume exactly:
//
//   io::save(model, "model.npz");         // numpy.load("model.npz")["0.weight"] reads it
//   io::save(opt, "adam.npz");            // step counters, running averages, each group's lr
//   ...
//   io::load(model, "model.npz");         // also reads numpy.savez / numpy.savez_compressed files
//   io::load(opt, "adam.npz");
//   io::save(loader, "loader.npz");       // a DataLoader's position: resumed runs see the same batches
//
// A model's arrays are named and ordered as PyTorch's state_dict (Module::state_dict(): "0.weight",
// "1.running_mean", "1.num_batches_tracked" as int64), so numpy.savez({k: v.numpy() for k, v in
// model.state_dict().items()}) writes a file that loads; an optimizer's after Optimizer::state_tensors() ("group0.lr", "group0.param1.exp_avg").
//
// Both stream one array at a time between the tensors and the file: saving needs no memory for the
// archive, loading one model's worth (new tensors, copied in once every array has been read).
//
// Saving is atomic: the archive goes to a new temporary file `<path>.tmp-<pid>-<random>` in the same
// folder (mode 0666 less the umask), is flushed to disk and renamed over `path`; on failure the old
// file is left untouched and the error says why (the system's reason). Loading checks everything
// before changing anything: every missing or unexpected array, wrong shape and wrong dtype is
// reported in one descent::Error naming the file, as are files that are not zip archives (0 bytes
// included) and corrupt or truncated archives.
#include <filesystem>
#include <string>
#include <string_view>

namespace descent::nn {
class Module;
}
namespace descent::optim {
class Optimizer;
}
namespace descent::data {
class DataLoader;
}

namespace descent::io {

/// Writes every parameter and buffer of `module` (values only, in their dtype) to `path`.
void save(const nn::Module& module, const std::filesystem::path& path);
/// Copies the arrays of `path` into the parameters and buffers of `module` (same names, shapes and dtypes).
void load(nn::Module& module, const std::filesystem::path& path);
/// The same from the bytes of an NPZ archive in memory; `name` stands for the file in error messages.
void load_from_memory(nn::Module& module, std::string_view npz, const std::string& name = "<memory>");

/// Writes the state of `optimizer` (Optimizer::state_tensors()) to `path`.
void save(const optim::Optimizer& optimizer, const std::filesystem::path& path);
/// Restores a state written by save() into an optimizer built over the same parameters.
void load(optim::Optimizer& optimizer, const std::filesystem::path& path);
/// The same from the bytes of an NPZ archive in memory; `name` stands for the file in error messages.
void load_from_memory(optim::Optimizer& optimizer, std::string_view npz, const std::string& name = "<memory>");

/// Writes the position of `loader` (DataLoader::state_tensors(): pass, batch, generator and sampler
/// state) to `path`, so that a restored loader hands out the batches the saved one would have next.
void save(const data::DataLoader& loader, const std::filesystem::path& path);
/// Restores a position written by save() into a loader of the same dataset size and options.
void load(data::DataLoader& loader, const std::filesystem::path& path);
/// The same from the bytes of an NPZ archive in memory; `name` stands for the file in error messages.
void load_from_memory(data::DataLoader& loader, std::string_view npz, const std::string& name = "<memory>");

}  // namespace descent::io
