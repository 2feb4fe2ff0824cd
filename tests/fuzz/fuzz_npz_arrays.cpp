// libFuzzer target: well-formed NPZ archives of fuzzed arrays, for what happens after unzipping.
// (fuzz_npz mutates archive bytes, which mostly breaks CRCs; fuzz_npy covers .npy parsing.) The
// input is a list of arrays, each
//   <name byte> <dtype byte> <rank byte> <dims, a byte each> <values, raw bytes>
// with names drawn from those the model and the optimizers of checkpoint_targets.hpp really use
// (plus one unknown). They are zipped in memory and loaded as in fuzz_npz: into the model and into
// each optimizer, which then takes one step with what it loaded.
// Bad input must end in descent::Error; anything else escaping, a crash or a sanitizer report fails.
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_targets.hpp"
#include "descent/data/npy.hpp"
#include "descent/error.hpp"
#include "descent/io/checkpoint.hpp"

using namespace descent;

namespace {

/// Reads the input front to back; past its end every byte is 0.
struct Input {
  const std::uint8_t* p;
  std::size_t left;
  bool empty() const { return left == 0; }
  std::uint8_t byte() {
    if (left == 0) return 0;
    --left;
    return *p++;
  }
};

/// The next array of the input, as the name and bytes of its .npy member.
std::pair<std::string, std::string> next_array(Input& in) {
  const auto& names = fuzz::known_array_names();
  const std::string name = names[in.byte() % names.size()];
  constexpr Dtype dtypes[] = {float32, float64, int64, boolean};
  const Dtype dtype = dtypes[in.byte() % 4];
  Shape shape(in.byte() % 3);
  for (auto& d : shape) d = in.byte() % 4;
  Tensor values = empty(shape, dtype);
  auto* raw = static_cast<unsigned char*>(values.impl().data);
  const std::size_t bytes = values.numel() * element_size(dtype);
  for (std::size_t i = 0; i < bytes; ++i) raw[i] = in.byte();
  if (dtype == boolean)
    for (std::size_t i = 0; i < bytes; ++i) raw[i] &= 1;  // a bool is 0 or 1
  return {name + ".npy", data::serialize_npy(values)};
}

/// A zip archive (stored members, like numpy.savez) of `members`.
std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& members) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) std::abort();
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) std::abort();
  for (const auto& [name, bytes] : members) {
    zip_source_t* member = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    // (the same name twice: libzip refuses the second one, the archive holds the first)
    const zip_int64_t index = member ? zip_file_add(archive, name.c_str(), member, 0) : -1;
    if (index < 0) {
      zip_source_free(member);
      continue;
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) < 0) std::abort();
  std::string out;
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer, &stat) == 0 && (stat.valid & ZIP_STAT_SIZE) && zip_source_open(buffer) == 0) {
    out.resize(stat.size);
    if (zip_source_read(buffer, out.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) std::abort();
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  return out;  // empty for an empty archive (libzip writes nothing), which load rejects
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  Input in{bytes, size};
  std::vector<std::pair<std::string, std::string>> members;
  while (!in.empty() && members.size() < 64) members.push_back(next_array(in));
  fuzz::load_everywhere(zip_archive(members));
  return 0;
}
