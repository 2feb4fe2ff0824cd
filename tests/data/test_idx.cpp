// IDX reader (MNIST format): plain and gzip files, every element type, malformed files.
#include "support/check.hpp"

#include <zlib.h>

#include <bit>
#include <cstring>

#include "data/temp_dir.hpp"
#include "descent/data/idx.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;
using descent::testing::TempDir;

using descent::testing::error_of;

namespace {

/// An IDX file: magic, big-endian dims, then `payload` (already big-endian).
std::string idx_bytes(unsigned type, std::vector<std::uint32_t> dims, const std::string& payload) {
  std::string out{'\0', '\0', char(type), char(dims.size())};
  for (auto d : dims)
    for (int b = 3; b >= 0; --b) out += char((d >> (8 * b)) & 0xFF);
  return out + payload;
}

/// Values as big-endian bytes.
template <class T> std::string big_endian(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    if constexpr (std::endian::native == std::endian::little) std::reverse(bytes, bytes + sizeof(T));
    out.append(bytes, sizeof(T));
  }
  return out;
}

/// `bytes` as a gzip stream in memory.
std::string gzip(const std::string& bytes) {
  z_stream z{};
  BOOST_TEST_REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, uLong(bytes.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  BOOST_TEST_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::filesystem::path write_gzip(const std::filesystem::path& file, const std::string& bytes) {
  gzFile out = gzopen(file.string().c_str(), "wb");
  BOOST_TEST_REQUIRE(out != nullptr);
  BOOST_TEST_REQUIRE(gzwrite(out, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  gzclose(out);
  return file;
}


}  // namespace

BOOST_AUTO_TEST_SUITE(idx)

BOOST_AUTO_TEST_CASE(write_then_read_uint8) {
  TempDir dir("idx");
  const Tensor images = tensor({{{0, 1}, {2, 3}, {4, 5}}, {{250, 251}, {252, 253}, {254, 255}}}, int64);
  const auto file = dir / "images-idx3-ubyte";
  data::write_idx(file, images);
  // The exact bytes: magic 00 00 08 03, dims 2, 3, 2, then the values.
  const std::string bytes = testing::read_bytes(file);
  BOOST_TEST(bytes.substr(0, 8) == std::string("\0\0\x08\x03\0\0\0\x02", 8));
  BOOST_TEST(bytes.size() == 4u + 12u + 12u);
  const Tensor back = data::read_idx(file);
  BOOST_TEST(to_string(back.dtype()) == "float32");
  BOOST_TEST(to_string(back.shape()) == "(2,3,2)");
  check_values(back, {{{0, 1}, {2, 3}, {4, 5}}, {{250, 251}, {252, 253}, {254, 255}}}, 0, 0);
  const Tensor labels = data::read_idx(file, int64);
  BOOST_TEST(to_string(labels.dtype()) == "int64");
  BOOST_TEST(labels.at({1, 2, 1}) == 255.0);
  check_values(data::read_idx(file, float64), {{{0, 1}, {2, 3}, {4, 5}}, {{250, 251}, {252, 253}, {254, 255}}});
}

BOOST_AUTO_TEST_CASE(gzip_files_read_transparently) {
  TempDir dir("idx");
  const std::string bytes = idx_bytes(0x08, {4}, std::string("\x03\x01\x04\x01", 4));
  const auto file = write_gzip(dir / "labels-idx1-ubyte.gz", bytes);
  BOOST_TEST(testing::read_bytes(file).substr(0, 2) == "\x1f\x8b");  // really compressed
  check_values(data::read_idx(file, int64), {3, 1, 4, 1});
  // A cut gzip stream is reported as such.
  const std::string gz = testing::read_bytes(file);
  const auto cut = dir.write("cut.gz", gz.substr(0, gz.size() - 12));
  check_error([&] { data::read_idx(cut); }, "read_idx: " + cut.string() + ": truncated gzip stream");
}

BOOST_AUTO_TEST_CASE(parse_idx_reads_gzip_bytes_in_memory) {
  const std::string bytes = idx_bytes(0x08, {2, 2}, std::string("\x01\x02\x03\xff", 4));
  const std::string gz = gzip(bytes);
  check_values(data::parse_idx(gz, int64), {{1, 2}, {3, 255}}, 0, 0);
  // Two gzip members one after the other hold the two halves of the file (like cat a.gz b.gz).
  check_values(data::parse_idx(gzip(bytes.substr(0, 5)) + gzip(bytes.substr(5)), int64), {{1, 2}, {3, 255}}, 0, 0);
  check_error([&] { data::parse_idx(gz.substr(0, gz.size() - 1), float32, "m.gz"); },
              "parse_idx: m.gz: truncated gzip stream");
  check_error([&] { data::parse_idx(gz + "junk"); }, "parse_idx: <memory>: 4 bytes of trailing data after the gzip stream");
  std::string damaged = gz;
  damaged[damaged.size() - 6] ^= 0x55;  // inside the CRC-32 of the trailer
  check_error([&] { data::parse_idx(damaged); }, "parse_idx: <memory>: corrupt gzip stream (incorrect data check)");
}

BOOST_AUTO_TEST_CASE(every_element_type) {
  const auto parse = [](unsigned type, const std::string& payload, std::uint32_t n, Dtype dtype = float64) {
    return data::parse_idx(idx_bytes(type, {n}, payload), dtype);
  };
  check_values(parse(0x09, std::string("\x80\xff\x00\x7f", 4), 4), {-128, -1, 0, 127});
  check_values(parse(0x0B, big_endian<std::int16_t>({-30000, 2, 300}), 3), {-30000, 2, 300});
  check_values(parse(0x0C, big_endian<std::int32_t>({-2000000000, 7}), 2, int64), {-2000000000, 7});
  check_values(parse(0x0D, big_endian<float>({1.5f, -0.25f}), 2, float32), {1.5, -0.25});
  check_values(parse(0x0E, big_endian<double>({1e300, -3.125}), 2), {1e300, -3.125}, 0, 0);
  // 2-d and 4-d shapes.
  const Tensor m = data::parse_idx(idx_bytes(0x08, {2, 1, 1, 3}, "abcdef"), int64);
  BOOST_TEST(to_string(m.shape()) == "(2,1,1,3)");
  BOOST_TEST(m.at({1, 0, 0, 2}) == double('f'));
  // Empty data is fine.
  BOOST_TEST(data::parse_idx(idx_bytes(0x08, {0, 28}, "")).numel() == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_files) {
  TempDir dir("idx");
  const auto bad_magic = dir.write("bad", std::string("\x01\x00\x08\x01\0\0\0\x01x", 9));
  BOOST_TEST(error_of([&] { data::read_idx(bad_magic); }) ==
             "read_idx: " + bad_magic.string() +
                 ": bad magic 0x01 0x00 0x08 0x01: an IDX file starts with 0x00 0x00 <type> <number of dims>");
  check_error([] { data::parse_idx(idx_bytes(0x0A, {1}, "x")); }, "parse_idx: <memory>: unknown type code 0x0a");
  check_error([] { data::parse_idx(idx_bytes(0x08, {}, "")); }, "0 dims, expected 1 to 4");
  check_error([] { data::parse_idx(idx_bytes(0x08, {1, 1, 1, 1, 1}, "x")); }, "5 dims, expected 1 to 4");
  check_error([] { data::parse_idx(std::string("\0\0", 2)); }, "2 bytes is too short for an IDX file");
  check_error([] { data::parse_idx(std::string("\0\0\x08\x02\0\0\0\x01\0\0", 10), float32, "f"); },
              "parse_idx: f: truncated header: 2 dims need 12 bytes, the file holds 10");

  const auto truncated = dir.write("truncated", idx_bytes(0x08, {2, 3}, "abcd"));
  BOOST_TEST(error_of([&] { data::read_idx(truncated); }) ==
             "read_idx: " + truncated.string() +
                 ": truncated: the header says (2,3) uint8, 6 bytes of data, the file holds 4");
  check_error([] { data::parse_idx(idx_bytes(0x0C, {3}, "12345678")); },
              "truncated: the header says (3,) int32, 12 bytes of data, the file holds 8");
  check_error([] { data::parse_idx(idx_bytes(0x08, {2}, "abc")); },
              "1 bytes of trailing data: the header says (2,) uint8, 2 bytes of data, the file holds 3");
  // Absurd dims fail before anything is allocated.
  check_error([] { data::parse_idx(idx_bytes(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, "")); },
              "bytes of data, the file holds 0");
  // A 0 dim empties the array, but the other dims must still give strides that fit (found by fuzz_idx).
  check_error([] { data::parse_idx(idx_bytes(0x0C, {0, 0x0A000001, 0x00FEFFFF, 0xFF000000}, ""), float32, "z"); },
              "parse_idx: z: shape (0,167772161,16711679,4278190080) cannot be represented: its non-zero dims "
              "multiply past 2^63");
  check_error([] { data::parse_idx(idx_bytes(0x0D, {1}, big_endian<float>({NAN})), int64); },
              "value nan at flat index 0 does not fit in int64");
  const auto missing = dir / "missing-idx1-ubyte";
  BOOST_TEST(error_of([&] { data::read_idx(missing); }) == "read_idx: cannot open " + missing.string() + " (no such file)");
}

BOOST_AUTO_TEST_CASE(every_truncation_and_corruption_is_an_error_not_a_crash) {
  const std::string good = idx_bytes(0x0B, {2, 3}, big_endian<std::int16_t>({1, 2, 3, 4, 5, 6}));
  check_values(data::parse_idx(good), {{1, 2, 3}, {4, 5, 6}});
  for (std::size_t n = 0; n < good.size(); ++n)
    check_error([&] { data::parse_idx(good.substr(0, n)); }, "parse_idx: <memory>: ");
  Generator gen(1);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = good;
    for (int flips = 0; flips < 3; ++flips) bytes[gen.below(bytes.size())] = char(gen.below(256));
    try {
      data::parse_idx(bytes);
    } catch (const Error&) {
    }
  }
}

BOOST_AUTO_TEST_CASE(write_idx_errors) {
  TempDir dir("idx");
  check_error([&] { data::write_idx(dir / "a", tensor({1.0, 256.0})); },
              "write_idx: value 256 at flat index 1 is not a whole number in [0, 255]");
  check_error([&] { data::write_idx(dir / "b", tensor({0.5})); }, "value 0.5 at flat index 0");
  check_error([&] { data::write_idx(dir / "c", tensor(3.0)); }, "write_idx: IDX files hold 1 to 4 dims, got shape ()");
  check_error([&] { data::write_idx(dir / "no-such-dir" / "d", tensor({1.0})); }, "write_idx: cannot open");
}

BOOST_AUTO_TEST_SUITE_END()
