// Checkpoints: NPZ files of a model's parameters and of an optimizer's state. Round trips, exact
// resumption of training, files written by NumPy, the archive's structure, every validation error,
// corrupt files and atomic writes.
#include "support/check.hpp"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "descent/io/checkpoint.hpp"
#include "descent/nn.hpp"
#include "descent/optim.hpp"
#include "io/write_conditions.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;
using descent::testing::FileSizeLimit;
using descent::testing::mode_of;
using descent::testing::UmaskGuard;
namespace fs = std::filesystem;

// Every call of umask() in this process, counted (this definition takes the place of the C
// library's, which it calls): saving must not change the umask even for a moment, since files other
// threads create meanwhile would get the wrong mode.
std::atomic<int> umask_calls{0};
extern "C" mode_t umask(mode_t mask) noexcept {
  ++umask_calls;
  return static_cast<mode_t>(::syscall(SYS_umask, mask));
}

namespace {

/// A fresh folder for one test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string name = (fs::temp_directory_path() / "descent-ckpt-XXXXXX").string();
    BOOST_REQUIRE(mkdtemp(name.data()) != nullptr);
    path = name;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
  /// Files whose name contains ".tmp-" (left-over temporaries).
  std::size_t temporaries() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) ++n;
    return n;
  }
};

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Same shape, dtype and bytes.
bool identical(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const Tensor x = a.detach().contiguous(), y = b.detach().contiguous();
  const std::size_t size = x.numel() * (x.dtype() == float32 ? 4 : 8);
  return x.dtype() == float32 ? std::memcmp(x.data<float>(), y.data<float>(), size) == 0
                              : std::memcmp(x.data<double>(), y.data<double>(), size) == 0;
}

bool identical_parameters(const nn::Module& a, const nn::Module& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!identical(pa[i], pb[i])) return false;
  return true;
}

std::uint32_t u32(const std::string& s, std::size_t at) {
  return std::uint32_t(std::uint8_t(s[at])) | std::uint32_t(std::uint8_t(s[at + 1])) << 8 |
         std::uint32_t(std::uint8_t(s[at + 2])) << 16 | std::uint32_t(std::uint8_t(s[at + 3])) << 24;
}
std::uint16_t u16(const std::string& s, std::size_t at) {
  return std::uint16_t(std::uint8_t(s[at]) | std::uint8_t(s[at + 1]) << 8);
}

/// A small network and a fixed regression problem.
nn::Sequential make_net() { return nn::Sequential(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1)); }

struct Problem {
  Tensor x, y;
  Problem() {
    manual_seed(7);
    x = randn({8, 3});
    y = randn({8, 1});
  }
};

void train_steps(nn::Module& net, optim::Optimizer& opt, const Problem& p, int steps) {
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    nn::mse_loss(net(p.x), p.y).backward();
    opt.step();
  }
}

// Parameters registered by name, to build files with chosen names, shapes and dtypes.
struct Bag : nn::Module {
  Bag(std::vector<std::tuple<std::string, Shape, Dtype>> entries) {
    for (auto& [name, shape, dtype] : entries) register_parameter(name, full(shape, 1.5, dtype));
  }
  Tensor forward(const Tensor& x) override { return x; }
};

// An optimizer whose State cannot describe itself: it cannot be saved.
struct OpaqueState {
  Tensor buffer;
};
class Opaque : public optim::OptimizerImpl<optim::SGDOptions, OpaqueState> {
 public:
  explicit Opaque(std::vector<Tensor> params) : OptimizerImpl("Opaque", {.lr = 0.1}) {
    add_param_group(std::move(params));
  }

 protected:
  void update(Tensor&, const Tensor&, State&, const Options&) override {}
};

// An optimizer exporting two arrays with the same name: its archive fails while being built.
class Twice : public optim::SGD {
 public:
  using SGD::SGD;
  std::vector<std::pair<std::string, Tensor>> state_tensors() const override {
    return {{"group0.lr", zeros({})}, {"group0.lr", zeros({})}};
  }
};

// An Adam that saves its step counters as `count`, to write checkpoints no real training writes.
class ForgedSteps : public optim::Adam {
 public:
  ForgedSteps(std::vector<Tensor> params, std::int64_t count) : Adam(std::move(params)), count_(count) {}
  std::vector<std::pair<std::string, Tensor>> state_tensors() const override {
    auto out = Adam::state_tensors();
    for (auto& [name, value] : out)
      if (name.ends_with(".step")) value = full({}, static_cast<double>(count_), int64);
    return out;
  }

 private:
  std::int64_t count_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint)

BOOST_AUTO_TEST_CASE(module_round_trip) {
  TempDir dir;
  manual_seed(1);
  nn::Sequential net = make_net();
  nn::Sequential fresh = make_net();  // other random values
  BOOST_TEST(!identical_parameters(net, fresh));
  io::save(net, dir / "net.npz");
  io::load(fresh, dir / "net.npz");
  BOOST_TEST(identical_parameters(net, fresh));
  // Loading writes into the parameters' storage: handles held elsewhere see the values.
  BOOST_TEST(fresh.parameters()[0].requires_grad());

  // float64 models too.
  nn::Linear wide(2, 3, {.dtype = float64}), other(2, 3, {.dtype = float64});
  io::save(wide, dir / "wide.npz");
  io::load(other, dir / "wide.npz");
  BOOST_TEST(identical_parameters(wide, other));
}

BOOST_AUTO_TEST_CASE(load_from_memory_reads_archive_bytes) {
  TempDir dir;
  manual_seed(2);
  nn::Sequential net = make_net(), fresh = make_net();
  io::save(net, dir / "net.npz");
  io::load_from_memory(fresh, bytes_of(dir / "net.npz"));
  BOOST_TEST(identical_parameters(net, fresh));
  check_error([&] { io::load_from_memory(fresh, "not a zip", "net.npz"); }, "load: net.npz: not a zip archive");

  // An optimizer's state: the step counters come back.
  const Problem problem;
  optim::Adam adam(net.parameters());
  train_steps(net, adam, problem, 2);
  io::save(adam, dir / "adam.npz");
  optim::Adam restored(net.parameters());
  io::load_from_memory(restored, bytes_of(dir / "adam.npz"), "adam.npz");
  BOOST_TEST(restored.state_tensors()[1].second.item<std::int64_t>() == 2);
  check_error([&] { io::load_from_memory(restored, bytes_of(dir / "net.npz"), "net.npz"); },
              "load: net.npz: Adam: the state does not fit");
}

BOOST_AUTO_TEST_CASE(archive_structure_is_what_numpy_reads) {
  // What numpy.load needs: a zip whose members "<name>.npy" are .npy files (checked by hand once with
  // numpy.load(path).files == ['0.weight', '0.bias', '2.weight', '2.bias']).
  TempDir dir;
  nn::Sequential net = make_net();
  io::save(net, dir / "net.npz");
  const std::string zip = bytes_of(dir / "net.npz");
  std::vector<std::string> names;
  std::size_t at = 0;
  while (at + 30 <= zip.size() && u32(zip, at) == 0x04034b50) {  // local file header
    BOOST_TEST((u16(zip, at + 6) & 8) == 0);                      // sizes in the header, no data descriptor
    BOOST_TEST(u16(zip, at + 8) == 0);                            // stored, like numpy.savez
    const std::size_t size = u32(zip, at + 18), name_length = u16(zip, at + 26), extra = u16(zip, at + 28);
    BOOST_TEST(size == u32(zip, at + 22));
    const std::string name = zip.substr(at + 30, name_length);
    names.push_back(name);
    const std::string member = zip.substr(at + 30 + name_length + extra, size);
    const Tensor value = data::parse_npy(member, name);
    const auto params = net.named_parameters();
    BOOST_TEST(identical(value, params[names.size() - 1].second));
    at += 30 + name_length + extra + size;
  }
  BOOST_TEST(names == (std::vector<std::string>{"0.weight.npy", "0.bias.npy", "2.weight.npy", "2.bias.npy"}),
             boost::test_tools::per_element());
  BOOST_TEST(u32(zip, at) == 0x02014b50u);                  // the central directory follows
  BOOST_TEST(u32(zip, zip.size() - 22) == 0x06054b50u);     // end of central directory record
  BOOST_TEST(u16(zip, zip.size() - 12) == names.size());   // its entry count
}

BOOST_AUTO_TEST_CASE(reads_numpy_savez_files) {
  // np.savez(path, **{"0.weight": w, "0.bias": b}) with float32
  //   w = [[0.5, -1.25, 2.0], [0.125, 3.5, -0.75]], b = [0.25, -0.5]; and the same with savez_compressed.
  for (const char* file : {"linear_3_2.npz", "linear_3_2_compressed.npz"}) {
    BOOST_TEST_CONTEXT(file) {
      nn::Sequential net(nn::Linear(3, 2));
      io::load(net, fs::path(DESCENT_IO_FILES) / file);
      const auto params = net.named_parameters();
      check_values(params[0].second, {{0.5, -1.25, 2.0}, {0.125, 3.5, -0.75}}, 0, 0);
      check_values(params[1].second, {0.25, -0.5}, 0, 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_module) {
  TempDir dir;
  nn::Sequential nothing{nn::ReLU()};
  io::save(nothing, dir / "empty.npz");
  BOOST_TEST(bytes_of(dir / "empty.npz").size() == 22u);  // the end record alone, as numpy.savez writes
  io::load(nothing, dir / "empty.npz");
}

BOOST_AUTO_TEST_CASE(resume_training_exactly) {
  const Problem problem;
  for (const char* name : {"adam", "sgd_momentum", "rmsprop", "adagrad"}) {
    const std::string kind = name;
    BOOST_TEST_CONTEXT(kind) {
      TempDir dir;
      const auto make_opt = [&](nn::Module& net) -> std::unique_ptr<optim::Optimizer> {
        if (kind == "adam") return std::make_unique<optim::Adam>(net.parameters(), optim::AdamOptions{.lr = 0.01});
        if (kind == "rmsprop")
          return std::make_unique<optim::RMSprop>(net.parameters(),
                                                  optim::RMSpropOptions{.momentum = 0.5, .centered = true});
        if (kind == "adagrad") return std::make_unique<optim::Adagrad>(net.parameters());
        return std::make_unique<optim::SGD>(net.parameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
      };
      manual_seed(3);
      nn::Sequential net = make_net();
      auto opt = make_opt(net);
      train_steps(net, *opt, problem, 3);
      opt->set_lr(0, opt->lr(0) * 0.5);  // as a scheduler would
      io::save(net, dir / "net.npz");
      io::save(*opt, dir / "opt.npz");
      std::vector<std::pair<std::string, Tensor>> saved_state;
      for (const auto& [name, value] : opt->state_tensors()) saved_state.emplace_back(name, value.detach().clone());

      manual_seed(4);
      nn::Sequential resumed = make_net();
      auto resumed_opt = make_opt(resumed);
      io::load(resumed, dir / "net.npz");
      io::load(*resumed_opt, dir / "opt.npz");
      // Exactly the state training stopped with: parameters, lr, counters, buffers.
      BOOST_TEST(identical_parameters(net, resumed));
      BOOST_TEST(resumed_opt->lr(0) == opt->lr(0));
      const auto restored = resumed_opt->state_tensors();
      BOOST_TEST_REQUIRE(restored.size() == saved_state.size());
      for (std::size_t k = 0; k < restored.size(); ++k) {
        BOOST_TEST(restored[k].first == saved_state[k].first);
        BOOST_TEST((restored[k].second.dtype() == int64
                        ? restored[k].second.item<std::int64_t>() == saved_state[k].second.item<std::int64_t>()
                        : identical(restored[k].second, saved_state[k].second)),
                   restored[k].first);
      }
      // Training goes on as if never interrupted, to the last bit (every buffer is 64-byte aligned,
      // so vectorised loops split the same values the same way in both runs).
      train_steps(net, *opt, problem, 4);
      train_steps(resumed, *resumed_opt, problem, 4);
      BOOST_TEST(identical_parameters(net, resumed));
    }
  }
}

BOOST_AUTO_TEST_CASE(optimizer_state_names) {
  manual_seed(5);
  nn::Linear layer(2, 1);
  optim::Adam adam(layer.parameters());
  auto names = [](const optim::Optimizer& opt) {
    std::vector<std::string> out;
    for (const auto& [name, value] : opt.state_tensors()) out.push_back(name);
    return out;
  };
  // Before the first step: lr and counters only (buffers do not exist yet).
  BOOST_TEST(names(adam) == (std::vector<std::string>{"group0.lr", "group0.param0.step", "group0.param1.step"}),
             boost::test_tools::per_element());
  const Problem problem;
  sum(layer(narrow(problem.x, 1, 0, 2))).backward();
  adam.step();
  BOOST_TEST(names(adam) == (std::vector<std::string>{"group0.lr", "group0.param0.step", "group0.param0.exp_avg",
                                                      "group0.param0.exp_avg_sq", "group0.param1.step",
                                                      "group0.param1.exp_avg", "group0.param1.exp_avg_sq"}),
             boost::test_tools::per_element());
  BOOST_TEST(adam.state_tensors()[1].second.item<std::int64_t>() == 1);
}

BOOST_AUTO_TEST_CASE(every_mismatch_in_one_message) {
  TempDir dir;
  Bag written({{"a", {2}, float32}, {"b", {3}, float32}, {"extra", {1}, float32}});
  io::save(written, dir / "bag.npz");
  Bag target({{"a", {2}, float64}, {"b", {4}, float32}, {"c", {1}, float32}});
  const std::string file = (dir / "bag.npz").string();
  for (const std::string& fragment :
       {"load: " + file + ": the checkpoint does not fit the model (", std::string("missing: c"),
        std::string("unexpected: extra"), std::string("b has shape (3,) in the file, the model has (4,)"),
        std::string("a has dtype float32 in the file, the model has float64")})
    check_error([&] { io::load(target, dir / "bag.npz"); }, fragment);
  // Nothing changed.
  for (const Tensor& p : target.parameters()) BOOST_TEST(p.detach().to(float64).at({0}) == 1.5);
}

BOOST_AUTO_TEST_CASE(optimizer_mismatches) {
  TempDir dir;
  const Problem problem;
  manual_seed(6);
  nn::Sequential net = make_net();
  optim::Adam adam(net.parameters());
  train_steps(net, adam, problem, 1);
  io::save(adam, dir / "adam.npz");
  const std::string file = (dir / "adam.npz").string();

  // Adam's state into SGD.
  optim::SGD sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  check_error([&] { io::load(sgd, dir / "adam.npz"); }, "load: " + file + ": SGD: the state does not fit");
  check_error([&] { io::load(sgd, dir / "adam.npz"); }, "group0.param0.exp_avg");

  // Into an Adam over other parameters: shapes, dtypes and counts differ.
  nn::Sequential other(nn::Linear(3, 5, {.dtype = float64}), nn::Tanh(), nn::Linear(5, 1));
  optim::Adam adam2(other.parameters());
  check_error([&] { io::load(adam2, dir / "adam.npz"); },
              "group0.param0.exp_avg has shape (4,3), expected (5,3); group0.param0.exp_avg has dtype float32, "
              "expected float64");
  nn::Linear small(3, 4);
  optim::Adam adam3(small.parameters());
  check_error([&] { io::load(adam3, dir / "adam.npz"); }, "unexpected: group0.param2.exp_avg");

  // A state written by an optimizer with one parameter fewer misses a counter.
  optim::Adam adam4(small.parameters());
  io::save(adam4, dir / "small.npz");
  optim::Adam adam5(net.parameters());
  check_error([&] { io::load(adam5, dir / "small.npz"); }, "missing: group0.param2.step, group0.param3.step");

  // An optimizer whose State cannot describe itself.
  Opaque opaque(net.parameters());
  check_error([&] { io::save(opaque, dir / "opaque.npz"); },
              "Opaque: cannot save or load its state (its State struct has no visit()");
}

BOOST_AUTO_TEST_CASE(step_counters_out_of_range) {
  // A counter at INT64_MAX made the next step overflow (found by fuzz_npz_arrays); negative ones
  // are no counts either.
  TempDir dir;
  nn::Linear layer(3, 2);
  for (std::int64_t count : {std::int64_t{-1}, std::int64_t{1} << 62}) {
    io::save(ForgedSteps(layer.parameters(), count), dir / "forged.npz");
    optim::Adam adam(layer.parameters());
    check_error([&] { io::load(adam, dir / "forged.npz"); },
                "group0.param0.step is " + std::to_string(count) + ", expected a step count from 0 to 2^53");
  }
  io::save(ForgedSteps(layer.parameters(), std::int64_t{1} << 53), dir / "forged.npz");
  optim::Adam adam(layer.parameters());
  io::load(adam, dir / "forged.npz");
  BOOST_TEST(adam.state(0, 0).step == std::int64_t{1} << 53);
}

BOOST_AUTO_TEST_CASE(corrupt_files) {
  TempDir dir;
  nn::Sequential net = make_net();
  io::save(net, dir / "net.npz");
  const std::string good = bytes_of(dir / "net.npz");
  const std::string file = (dir / "bad.npz").string();

  check_error([&] { io::load(net, dir / "missing.npz"); }, "load: cannot open " + (dir / "missing.npz").string());
  for (std::size_t keep : {std::size_t(0), std::size_t(10), good.size() / 2, good.size() - 1}) {
    write_bytes(dir / "bad.npz", good.substr(0, keep));
    check_error([&] { io::load(net, dir / "bad.npz"); }, "load: " + file + ": ");
  }
  write_bytes(dir / "bad.npz", "this is not a zip archive at all, just some text");
  check_error([&] { io::load(net, dir / "bad.npz"); }, "load: " + file + ": not a zip archive");

  // A damaged byte inside a member: the CRC check catches it.
  std::string damaged = good;
  damaged[30 + 12 + 128 + 5] ^= 0x5a;  // inside the first member's array data
  write_bytes(dir / "bad.npz", damaged);
  check_error([&] { io::load(net, dir / "bad.npz"); }, "load: " + file + ": member 0.weight.npy is corrupt");

  // A well-formed archive whose member is not a .npy file.
  nn::Sequential other = make_net();
  io::save(other, dir / "bad.npz");
  std::string renamed = bytes_of(dir / "bad.npz");
  const std::size_t magic = renamed.find("\x93NUMPY");
  BOOST_REQUIRE(magic != std::string::npos);
  // Changing the magic breaks the CRC too, so check both outcomes name the file.
  renamed[magic + 1] = 'X';
  write_bytes(dir / "bad.npz", renamed);
  check_error([&] { io::load(net, dir / "bad.npz"); }, "load: " + file + ": ");
}

BOOST_AUTO_TEST_CASE(bad_npy_member) {
  // Written with Python's zipfile: a valid archive whose 0.weight.npy (float32 (2,3)) lost its last
  // 8 bytes and whose 0.bias.npy is 16 bytes of text.
  nn::Linear layer(3, 2);
  const fs::path path = fs::path(DESCENT_IO_FILES) / "bad_member.npz";
  check_error([&] { io::load(layer, path); }, "load: " + path.string() + ": ");
  check_error([&] { io::load(layer, path); }, "0.weight.npy");
}

BOOST_AUTO_TEST_CASE(saving_is_atomic) {
  TempDir dir;
  manual_seed(8);
  nn::Sequential net = make_net();
  io::save(net, dir / "net.npz");
  const std::string before = bytes_of(dir / "net.npz");

  // Into a folder that does not exist.
  check_error([&] { io::save(net, dir / "nowhere" / "net.npz"); },
              "save: cannot open " + (dir / "nowhere" / "net.npz").string() + ".tmp-");
  check_error([&] { io::save(net, dir / "nowhere" / "net.npz"); }, "for writing (No such file or directory)");
  // Over a folder: the temporary is written, the rename fails, the temporary goes.
  fs::create_directory(dir / "folder.npz");
  check_error([&] { io::save(net, dir / "folder.npz"); }, "to " + (dir / "folder.npz").string() + " (Is a directory)");
  BOOST_TEST(fs::is_directory(dir / "folder.npz"));
  // An optimizer that cannot be saved, over an existing checkpoint.
  Opaque opaque(net.parameters());
  check_error([&] { io::save(opaque, dir / "net.npz"); }, "cannot save or load its state");
  // An archive that fails while being built.
  Twice twice(net.parameters(), {.lr = 0.1});
  check_error([&] { io::save(twice, dir / "net.npz"); }, "two arrays are named group0.lr");

  BOOST_TEST(bytes_of(dir / "net.npz") == before);
  BOOST_TEST(dir.temporaries() == 0u);

  // A successful save replaces the file.
  nn::Sequential other = make_net();
  io::save(other, dir / "net.npz");
  BOOST_TEST(bytes_of(dir / "net.npz") != before);
  BOOST_TEST(dir.temporaries() == 0u);
}

BOOST_AUTO_TEST_CASE(empty_and_other_files_are_not_zip_archives) {
  // A 0-byte file was read as an archive without arrays: "missing: 0.weight, ...".
  TempDir dir;
  nn::Sequential net = make_net();
  optim::SGD sgd(net.parameters(), {.lr = 0.1});
  write_bytes(dir / "empty.npz", "");
  const std::string file = (dir / "empty.npz").string();
  check_error([&] { io::load(net, dir / "empty.npz"); }, "load: " + file + ": not a zip archive (it is empty)");
  check_error([&] { io::load(sgd, dir / "empty.npz"); }, "load: " + file + ": not a zip archive (it is empty)");
  check_error([&] { io::load_from_memory(net, "", "empty.npz"); }, "load: empty.npz: not a zip archive (it is empty)");
  write_bytes(dir / "text.npz", "numbers: 1, 2, 3 and more text than a zip end record is long");
  check_error([&] { io::load(net, dir / "text.npz"); },
              "load: " + (dir / "text.npz").string() + ": not a zip archive (no end of central directory record)");
  check_error([&] { io::load(net, dir / "missing.npz"); },
              "load: cannot open " + (dir / "missing.npz").string() + " (No such file or directory)");
}

BOOST_AUTO_TEST_CASE(member_sizes_must_fit_the_archive) {
  // Sizes are checked before a tensor of them is allocated: here the first member claims 1 GB
  // (local header and central directory alike) in an archive of a few hundred bytes.
  TempDir dir;
  nn::Linear layer(3, 2);
  io::save(layer, dir / "net.npz");
  std::string zip = bytes_of(dir / "net.npz");
  const auto put_u32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>(v >> (8 * i));
  };
  put_u32(22, 1000000000);  // local header: uncompressed size
  const std::size_t central = zip.find("PK\x01\x02");
  BOOST_REQUIRE(central != std::string::npos);
  put_u32(central + 24, 1000000000);
  check_error([&] { io::load_from_memory(layer, zip, "big.npz"); },
              "load: big.npz: member weight.npy is corrupt (it claims 1000000000 bytes, ");
  // Compression methods other than numpy's: Python's zipfile with ZIP_BZIP2
  // (zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2).writestr("0.weight.npy", b"x" * 100)).
  check_error([&] { io::load(layer, fs::path(DESCENT_IO_FILES) / "bzip2_member.npz"); },
              "member 0.weight.npy is compressed with method 12 (supported: stored or deflated");
}

BOOST_AUTO_TEST_CASE(saving_leaves_the_umask_alone_and_follows_it) {
  TempDir dir;
  nn::Sequential net = make_net();
  optim::SGD sgd(net.parameters(), {.lr = 0.1});
  for (const mode_t mask : {mode_t{027}, mode_t{077}}) {
    UmaskGuard guard(mask);
    const int calls = umask_calls;
    io::save(net, dir / "net.npz");
    io::save(sgd, dir / "sgd.npz");
    BOOST_TEST(umask_calls == calls);  // not read, not changed, not even for a moment
    for (const char* name : {"net.npz", "sgd.npz"})
      BOOST_TEST(mode_of((dir / name).c_str()) == (0666 & ~mask), name << " with umask " << mask);
  }
}

BOOST_AUTO_TEST_CASE(temporaries_are_recognisable) {
  // "<name>.tmp-<pid>-<8 random hex digits>", removed when the save fails.
  TempDir dir;
  nn::Sequential net = make_net();
  fs::create_directory(dir / "folder.npz");
  std::set<std::string> names;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      io::save(net, dir / "folder.npz");
      BOOST_FAIL("saving over a folder succeeded");
    } catch (const Error& e) {
      const std::string message = e.what();
      std::smatch match;
      const std::regex pattern("save: cannot rename (.*/folder\\.npz\\.tmp-" + std::to_string(::getpid()) +
                               "-[0-9a-f]{8}) to .*");
      BOOST_TEST_REQUIRE(std::regex_match(message, match, pattern), message);
      BOOST_TEST(!fs::exists(match[1].str()));
      names.insert(match[1].str());
    }
  }
  BOOST_TEST(names.size() == 2u);  // a new name each time
  BOOST_TEST(dir.temporaries() == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_write_says_why_and_keeps_the_old_file) {
  // The disk fills up half-way through a 40 KB archive (a file size limit of 16 KB).
  TempDir dir;
  nn::Linear small(2, 1), big(100, 100);
  io::save(small, dir / "net.npz");
  const std::string before = bytes_of(dir / "net.npz");
  {
    FileSizeLimit limit(16384);
    const std::string start = "save: cannot write " + (dir / "net.npz").string() + ".tmp-";
    check_error([&] { io::save(big, dir / "net.npz"); }, start);
    check_error([&] { io::save(big, dir / "net.npz"); }, "(File too large)");
    optim::Adam adam(big.parameters());
    sum(big(ones({1, 100}))).backward();
    adam.step();
    check_error([&] { io::save(adam, dir / "net.npz"); }, "(File too large)");
  }
  BOOST_TEST(bytes_of(dir / "net.npz") == before);
  BOOST_TEST(dir.temporaries() == 0u);
  io::save(big, dir / "net.npz");  // and without the limit it works
  nn::Linear restored(100, 100);
  io::load(restored, dir / "net.npz");
  BOOST_TEST(identical_parameters(big, restored));
}

BOOST_AUTO_TEST_CASE(non_contiguous_parameters_are_saved_in_row_major_order) {
  // A member is streamed from the tensor's memory: a transposed view is copied out while written.
  struct Transposed : nn::Module {
    Transposed() { register_parameter("w", transpose(reshape(arange(6.0, float64), {2, 3}))); }
    Tensor forward(const Tensor& x) override { return x; }
  };
  TempDir dir;
  Transposed written;
  BOOST_TEST_REQUIRE(!written.parameters()[0].is_contiguous());
  io::save(written, dir / "t.npz");
  Bag target({{"w", {3, 2}, float64}});
  io::load(target, dir / "t.npz");
  check_values(target.parameters()[0], {{0, 3}, {1, 4}, {2, 5}}, 0, 0);
}

BOOST_AUTO_TEST_SUITE_END()
