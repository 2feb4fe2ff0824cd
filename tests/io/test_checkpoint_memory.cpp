// Checkpoints in bounded memory: saving and loading a ~100 MB model streams the arrays through the
// archive, so neither needs more than 1.3x the model's bytes above what the process already holds
// (before, the whole archive was built in memory: this test measured 3.0x the model to save, 2.3x
// to load).
#include "support/check.hpp"

#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "descent/io/checkpoint.hpp"
#include "descent/nn.hpp"

using namespace descent;
namespace fs = std::filesystem;

namespace {

// Address and thread sanitizers keep freed memory in quarantine and map shadow memory: resident
// size says nothing about our allocations there.
constexpr bool sanitized = testing::under_address_sanitizer || testing::under_thread_sanitizer;

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
std::size_t status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoul(line.substr(field.size() + 1));
  return 0;
}

/// The resident size `run` adds at its peak, in bytes: the high-water mark is reset to the current
/// resident size first (writing 5 to /proc/self/clear_refs, Linux 4.0+).
template <class F> std::size_t peak_growth(F&& run) {
  std::ofstream("/proc/self/clear_refs") << "5";
  const std::size_t baseline = status_kib("VmRSS");
  BOOST_REQUIRE(status_kib("VmHWM") <= baseline + 64);  // the reset worked
  run();
  const std::size_t peak = status_kib("VmHWM");
  return (peak > baseline ? peak - baseline : 0) * 1024;
}

std::size_t parameter_bytes(const nn::Module& module) {
  std::size_t bytes = 0;
  for (const Tensor& p : module.parameters()) bytes += p.numel() * 4;
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_memory)

// The measure itself (and a test that runs under sanitizers too): 50 MB touched and freed again
// show in the peak.
BOOST_AUTO_TEST_CASE(peak_growth_sees_a_temporary_allocation) {
  const std::size_t bytes = 50'000'000;
  const std::size_t peak = peak_growth([&] {
    const std::unique_ptr<char[]> block(new char[bytes]);
    std::memset(block.get(), 1, bytes);
    const volatile char* sink = block.get();
    BOOST_TEST(sink[bytes / 2] == 1);
  });
  BOOST_TEST(peak >= bytes * 9 / 10);
}

BOOST_AUTO_TEST_CASE(save_and_load_peak_below_1_3x_the_model, *boost::unit_test::enable_if<!sanitized>()) {
  std::string folder = (fs::temp_directory_path() / "descent-ckpt-memory-XXXXXX").string();
  BOOST_REQUIRE(mkdtemp(folder.data()) != nullptr);
  const fs::path file = fs::path(folder) / "big.npz";

  // Four float32 layers of 2500x2500 (+ bias): 100 MB of parameters.
  manual_seed(11);
  nn::Sequential model(nn::Linear(2500, 2500), nn::Linear(2500, 2500), nn::Linear(2500, 2500),
                       nn::Linear(2500, 2500));
  const std::size_t model_bytes = parameter_bytes(model);
  BOOST_TEST_REQUIRE(model_bytes > 100'000'000u);

  const std::size_t save_peak = peak_growth([&] { io::save(model, file); });
  BOOST_TEST_REQUIRE(fs::file_size(file) > model_bytes);

  nn::Sequential restored(nn::Linear(2500, 2500), nn::Linear(2500, 2500), nn::Linear(2500, 2500),
                          nn::Linear(2500, 2500));
  const std::size_t load_peak = peak_growth([&] { io::load(restored, file); });
  const auto expected = model.parameters(), got = restored.parameters();
  for (std::size_t i = 0; i < expected.size(); ++i) BOOST_TEST(max(abs(expected[i].detach() - got[i].detach())).item<double>() == 0.0);

  BOOST_TEST_MESSAGE("model " << model_bytes / 1048576.0 << " MiB; peak above baseline: save "
                              << save_peak / 1048576.0 << " MiB, load " << load_peak / 1048576.0 << " MiB");
  BOOST_TEST(save_peak <= model_bytes * 13 / 10);
  BOOST_TEST(load_peak <= model_bytes * 13 / 10);
  fs::remove_all(folder);
}

BOOST_AUTO_TEST_SUITE_END()
