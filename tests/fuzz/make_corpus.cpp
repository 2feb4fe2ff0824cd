// Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/) with descent's own
// writers: small valid files of each format. Run once from the repository root after changing it:
//   build-fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
// (run.sh also seeds fuzz_npy with tests/data/files and fuzz_npz with tests/io/files, NumPy-written.)
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "checkpoint_targets.hpp"
#include "descent/data/idx.hpp"
#include "descent/data/npy.hpp"
#include "descent/io/checkpoint.hpp"

using namespace descent;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string gzip(const std::string& plain) {
  uLongf size = compressBound(static_cast<uLong>(plain.size())) + 32;
  std::string out(size, '\0');
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// An IDX file of `type` with dims `dims` and `payload` (already big-endian).
std::string idx(unsigned type, std::initializer_list<std::uint32_t> dims, const std::string& payload) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims)
    for (int b = 3; b >= 0; --b) out += static_cast<char>((d >> (8 * b)) & 0xFF);
  return out + payload;
}

/// `arrays` in fuzz_npz_arrays' input format (name index, dtype, rank, dims, raw values).
std::string array_records(const std::vector<std::pair<std::string, Tensor>>& arrays) {
  const auto& names = fuzz::known_array_names();
  std::string out;
  for (const auto& [name, value] : arrays) {
    out += static_cast<char>(std::find(names.begin(), names.end(), name) - names.begin());
    const Dtype dtypes[] = {float32, float64, int64, boolean};
    out += static_cast<char>(std::find(std::begin(dtypes), std::end(dtypes), value.dtype()) - std::begin(dtypes));
    out += static_cast<char>(value.dim());
    for (auto d : value.shape()) out += static_cast<char>(d);
    const Tensor contiguous = value.detach().contiguous();
    out.append(static_cast<const char*>(contiguous.impl().data), contiguous.numel() * element_size(value.dtype()));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];

  // CSV: every column, CRLF and a byte-order mark, ';' delimiter, the x/y columns fuzz_csv chooses.
  write(root / "fuzz_csv/plain.csv", "x,y,label\n0.5,-1.25,1\n2e3,nan,0\n-inf,+7,2\n");
  write(root / "fuzz_csv/crlf_bom.csv", "\xEF\xBB\xBF\"x\" , \"y\"\r\n1 , 2\r\n\r\n3,4\r\n");
  write(root / "fuzz_csv/semicolon.csv", "a;y;x\n1;2;3\n4;5;6\n");
  write(root / "fuzz_csv/header_only.csv", "x,y\n");

  // IDX: every element type, 1 to 4 dims, written by write_idx or byte by byte; gzip versions.
  const fs::path images = root / "fuzz_idx/images-idx3-ubyte";
  fs::create_directories(images.parent_path());
  data::write_idx(images, reshape(arange(0, 24, 1, int64), {2, 3, 4}));
  data::write_idx(root / "fuzz_idx/labels-idx1-ubyte", tensor({3, 1, 4, 1, 5}, int64));
  write(root / "fuzz_idx/int8-idx2", idx(0x09, {2, 2}, std::string("\x80\xff\x00\x7f", 4)));
  write(root / "fuzz_idx/int16-idx1", idx(0x0B, {2}, std::string("\x8a\xd0\x00\x02", 4)));
  write(root / "fuzz_idx/int32-idx4", idx(0x0C, {1, 1, 1, 2}, std::string("\x80\0\0\0\0\0\0\x07", 8)));
  write(root / "fuzz_idx/float32-idx1", idx(0x0D, {2}, std::string("\x3f\xc0\0\0\xbe\x80\0\0", 8)));
  write(root / "fuzz_idx/float64-idx1", idx(0x0E, {1}, std::string("\x7e\x37\xe4\x3c\x88\x00\x75\x9c", 8)));
  write(root / "fuzz_idx/images-idx3-ubyte.gz", gzip(read(images)));
  for (const auto& entry : fs::directory_iterator(root / "fuzz_idx"))
    if (entry.path().extension() != ".gz") write(root / "fuzz_idx_gzip" / entry.path().filename(), read(entry.path()));

  // NPZ: the model's parameters and each optimizer's state after one step (checkpoint_targets.hpp),
  // as archives for fuzz_npz and as array lists for fuzz_npz_arrays.
  manual_seed(1);
  nn::Sequential model = fuzz::make_model();
  fs::create_directories(root / "fuzz_npz");
  io::save(model, root / "fuzz_npz/model.npz");
  write(root / "fuzz_npz_arrays/model", array_records(model.named_parameters()));
  for (auto& optimizer : fuzz::make_optimizers(model)) {
    fuzz::step(model, *optimizer);
    io::save(*optimizer, root / "fuzz_npz" / (optimizer->name() + ".npz"));
    write(root / "fuzz_npz_arrays" / optimizer->name(), array_records(optimizer->state_tensors()));
  }

  // NPY: what serialize_npy writes for each dtype (tests/data/files adds NumPy-written variants).
  fs::create_directories(root / "fuzz_npy");
  data::write_npy(root / "fuzz_npy/f4_2x2.npy", tensor({{1.5, -2}, {0, 3}}, float32));
  data::write_npy(root / "fuzz_npy/i8_3.npy", tensor({-1, 0, 7}, int64));
  data::write_npy(root / "fuzz_npy/b1_2.npy", tensor({1, 0}, boolean));
  return 0;
}
