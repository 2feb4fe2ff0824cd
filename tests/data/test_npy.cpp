// .npy reader and writer: round trips, files written by NumPy, malformed files.
#include "support/check.hpp"

#include <cstring>

#include "data/temp_dir.hpp"
#include "descent/data/npy.hpp"
#include "io/write_conditions.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;
using descent::testing::TempDir;

using descent::testing::error_of;

namespace {

const std::filesystem::path files = DESCENT_TEST_FILES;

/// A .npy file from its header dict and raw data (length field little-endian, no padding).
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  std::string out = std::string("\x93NUMPY", 6) + char(major) + '\0';
  const std::size_t n = dict.size();
  out += char(n & 0xFF);
  out += char((n >> 8) & 0xFF);
  if (major > 1) out += std::string("\0\0", 2);
  return out + dict + data;
}

template <class T> std::string raw(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}


}  // namespace

BOOST_AUTO_TEST_SUITE(npy)

BOOST_AUTO_TEST_CASE(round_trip_every_dtype) {
  TempDir dir("npy");
  const std::vector<Tensor> tensors = {
      tensor({{1.5, -2}, {3, 4.25}, {5, 6}}, float32), tensor({1e-300, -0.1, 7}, float64),
      tensor({{-9007199254740993.0, 5}}, int64), tensor({1, 0, 1, 1}, boolean), tensor(2.5, float64),
      zeros({0, 3}, float32), reshape(arange(24, int64), {2, 3, 4})};
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    const auto file = dir / (std::to_string(i) + ".npy");
    data::write_npy(file, t);
    const std::string bytes = testing::read_bytes(file);
    BOOST_TEST(bytes.size() == 128u + t.numel() * element_size(t.dtype()));  // header padded to 64 bytes
    const Tensor back = data::read_npy(file);
    BOOST_TEST(to_string(back.dtype()) == to_string(t.dtype()));
    BOOST_TEST(to_string(back.shape()) == to_string(t.shape()));
    if (t.numel() > 0) BOOST_TEST(std::memcmp(back.impl().data, t.impl().data, t.numel() * element_size(t.dtype())) == 0);
    BOOST_TEST(data::serialize_npy(t) == bytes);
  }
}

BOOST_AUTO_TEST_CASE(writes_the_bytes_numpy_writes) {
  // numpy.save output, byte for byte (numpy 1.24).
  const auto same = [](const Tensor& t, const char* name) {
    BOOST_TEST(data::serialize_npy(t) == testing::read_bytes(files / name), name);
  };
  same(tensor({{-0.5, -0.25, 0}, {0.25, 0.5, 0.75}}, float32), "f4_2x3.npy");
  same(tensor(-42, int64), "i8_scalar.npy");
  same(tensor({1, 0, 1}, boolean), "b1_3.npy");
  same(zeros({0, 3}, float32), "f4_empty_0x3.npy");
  Tensor big = empty({2, 3, 2}, int64);  // arange(12) * 10**12 - 5
  for (std::int64_t i = 0; i < 12; ++i) big.data<std::int64_t>()[i] = i * 1000000000000 - 5;
  same(big, "i8_2x3x2.npy");
}

BOOST_AUTO_TEST_CASE(reads_files_written_by_numpy) {
  const Tensor f4 = data::read_npy(files / "f4_2x3.npy");
  BOOST_TEST(to_string(f4.dtype()) == "float32");
  check_values(f4, {{-0.5, -0.25, 0}, {0.25, 0.5, 0.75}}, 0, 0);
  // Fortran order comes back row-major.
  check_values(data::read_npy(files / "f8_fortran_2x3.npy"), {{1.5, -2.0, 3.25}, {4.0, 5.5, -6.75}}, 0, 0);
  const Tensor i4 = data::read_npy(files / "i4_labels.npy");
  BOOST_TEST(to_string(i4.dtype()) == "int64");
  check_values(i4, {3, -1, 7, 0}, 0, 0);
  const Tensor u1 = data::read_npy(files / "u1_2x2.npy");
  BOOST_TEST(to_string(u1.dtype()) == "int64");
  check_values(u1, {{0, 255}, {128, 7}}, 0, 0);
  const Tensor b1 = data::read_npy(files / "b1_3.npy");
  BOOST_TEST(to_string(b1.dtype()) == "bool");
  check_values(b1, {1, 0, 1}, 0, 0);
  const Tensor scalar = data::read_npy(files / "i8_scalar.npy");
  BOOST_TEST(scalar.dim() == 0u);
  BOOST_TEST(scalar.item<std::int64_t>() == -42);
  check_values(data::read_npy(files / "f8_big_endian.npy"), {1.0, -0.5, 1e300}, 0, 0);
  check_values(data::read_npy(files / "f4_v2.npy"), {{1, 2}, {3, 4}, {5, 6}}, 0, 0);  // version 2.0 header
  const Tensor big = data::read_npy(files / "i8_2x3x2.npy");
  BOOST_TEST(big.at({1, 2, 1}) == 11 * 1e12 - 5);
  BOOST_TEST(to_string(data::read_npy(files / "f4_empty_0x3.npy").shape()) == "(0,3)");
}

BOOST_AUTO_TEST_CASE(fortran_order_of_three_dims) {
  // a = arange(24).reshape(2,3,4) stored column-major: element (i,j,k) at i + 2j + 6k.
  std::vector<std::int64_t> column_major(24);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) column_major[i + 2 * j + 6 * k] = 12 * i + 4 * j + k;
  const std::string data(reinterpret_cast<const char*>(column_major.data()), 24 * 8);
  const Tensor t = data::parse_npy(npy_bytes("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3, 4), }", data));
  BOOST_TEST(to_string(t.shape()) == "(2,3,4)");
  for (std::int64_t i = 0; i < 24; ++i) BOOST_TEST(t.data<std::int64_t>()[i] == i);
}

BOOST_AUTO_TEST_CASE(header_variants) {
  // Double quotes, no trailing comma, other key order, Python 2 longs, extra spaces, other types.
  check_values(data::parse_npy(npy_bytes("{\"shape\":(2L,),\"fortran_order\":False,\"descr\":\"<i2\"}  \n",
                                         raw<std::int16_t>({-3, 300}))),
               {-3, 300});
  check_values(data::parse_npy(npy_bytes("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", "\xff\x05")),
               {-1, 5});
  check_values(data::parse_npy(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", "\xff\xff")),
               {65535});
  check_values(data::parse_npy(npy_bytes("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
                                         "\xff\xff\xff\xff")),
               {4294967295.0});
  check_values(data::parse_npy(npy_bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }",
                                         std::string("\0\0\x01\x02", 4))),
               {258});
  check_values(data::parse_npy(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                                         raw<double>({0.125}), 3)),
               {0.125});
  // bool bytes other than 0 and 1 read as true.
  check_values(data::parse_npy(npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                                         std::string("\x00\x07", 2))),
               {0, 1});
}

BOOST_AUTO_TEST_CASE(writes_strided_views_in_row_major_order) {
  Tensor base = tensor({{1, 2, 3}, {4, 5, 6}}, float64);
  auto impl = std::make_shared<TensorImpl>(base.impl());
  impl->shape = {3, 2};
  impl->strides = {1, 3};
  check_values(data::parse_npy(data::serialize_npy(Tensor(impl))), {{1, 4}, {2, 5}, {3, 6}});
}

BOOST_AUTO_TEST_CASE(malformed_files) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string two = raw<float>({1, 2});
  check_values(data::parse_npy(npy_bytes(ok, two)), {1, 2});
  check_error([&] { data::parse_npy("PK\x03\x04 not npy", "x.npy"); },
              "parse_npy: x.npy: not a .npy file (it does not start with \"\\x93NUMPY\")");
  std::string v4 = npy_bytes(ok, two);
  v4[6] = 4;
  check_error([&] { data::parse_npy(v4); }, "unsupported format version 4.0 (supported: 1.0, 2.0, 3.0)");
  check_error([&] { data::parse_npy(std::string("\x93NUMPY\x01\x00\x05", 9)); }, "truncated header (9 bytes)");
  check_error([&] { data::parse_npy(npy_bytes(ok, "").substr(0, 40)); },
              "truncated header: it should be 57 bytes, the file holds 30 after the length field");

  const auto header_error = [&](const std::string& dict, const std::string& fragment) {
    check_error([&] { data::parse_npy(npy_bytes(dict, two)); }, fragment);
  };
  header_error("{'descr': '<f4', 'shape': (2,), }", "malformed header: missing key 'fortran_order'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key 'x'");
  header_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "key 'descr' appears twice");
  header_error("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "expected True or False for 'fortran_order'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "expected a non-negative integer in 'shape'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')' in 'shape'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
               "dimension too large in 'shape'");
  header_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "structured dtypes");
  header_error("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "unexpected text after the closing '}'");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'");
  header_error("'descr'", "expected '{'");
  header_error("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
               "parse_npy: <memory>: unsupported dtype '<c8' (supported: f4, f8 as float32/float64; i1, i2, i4, i8, "
               "u1, u2, u4 as int64; b1 as bool)");
  header_error("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype '<u8'");
  header_error(std::string("{'descr': '<f4'\x01}", 17), "in \"{'descr': '<f4'\\x01}\"");

  check_error([&] { data::parse_npy(npy_bytes(ok, two.substr(0, 5)), "w.npy"); },
              "parse_npy: w.npy: truncated: shape (2,) of '<f4' needs 8 bytes of data, the file holds 5");
  check_error([&] { data::parse_npy(npy_bytes(ok, two + "xy")); },
              "2 bytes of trailing data after the (2,) '<f4' array (8 bytes expected)");
  check_error([&] {
    data::parse_npy(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", ""));
  }, "needs more than 2^64 bytes of data");
  check_error([&] {
    data::parse_npy(npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 4294967296, 4294967296)}", ""));
  }, "parse_npy: <memory>: shape (0,4294967296,4294967296) cannot be represented: its non-zero dims multiply past 2^63");
}

BOOST_AUTO_TEST_CASE(files_errors_name_the_file) {
  TempDir dir("npy");
  const std::string good = testing::read_bytes(files / "f4_2x3.npy");
  const auto cut = dir.write("cut.npy", good.substr(0, good.size() - 3));
  BOOST_TEST(error_of([&] { data::read_npy(cut); }) ==
             "read_npy: " + cut.string() + ": truncated: shape (2,3) of '<f4' needs 24 bytes of data, the file holds 21");
  const auto missing = dir / "missing.npy";
  BOOST_TEST(error_of([&] { data::read_npy(missing); }) == "read_npy: cannot open " + missing.string() + " (no such file)");
  check_error([&] { data::write_npy(dir / "no-such-dir" / "x.npy", tensor({1.0})); }, "write_npy: cannot open");
}

BOOST_AUTO_TEST_CASE(every_truncation_and_corruption_is_an_error_not_a_crash) {
  const std::string good = testing::read_bytes(files / "f8_fortran_2x3.npy");
  for (std::size_t n = 0; n < good.size(); ++n)
    check_error([&] { data::parse_npy(good.substr(0, n)); }, "parse_npy: <memory>: ");
  Generator gen(2);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    for (int flips = 0; flips < 2; ++flips) bytes[gen.below(128)] = char(gen.below(256));  // in the header
    try {
      data::parse_npy(bytes);
    } catch (const Error&) {
    }
  }
}

BOOST_AUTO_TEST_CASE(write_npy_is_atomic_and_says_why) {
  TempDir dir("npy");
  const auto file = dir / "x.npy";
  data::write_npy(file, tensor({1.0, 2.0}));
  const std::string before = testing::read_bytes(file);
  // Every failure names the file and the system's reason, and leaves the old file as it was.
  check_error([&] { data::write_npy(dir / "no-such-dir" / "x.npy", tensor({1.0})); },
              "write_npy: cannot open " + (dir / "no-such-dir" / "x.npy").string() + ".tmp-");
  check_error([&] { data::write_npy(dir / "no-such-dir" / "x.npy", tensor({1.0})); },
              " for writing (No such file or directory)");
  std::filesystem::create_directory(dir / "folder.npy");
  check_error([&] { data::write_npy(dir / "folder.npy", tensor({1.0})); },
              " to " + (dir / "folder.npy").string() + " (Is a directory)");
  {
    testing::FileSizeLimit limit(4096);  // the disk fills up half-way through 80 KB
    check_error([&] { data::write_npy(file, zeros({10000}, float64)); }, "write_npy: cannot write " + file.string());
    check_error([&] { data::write_npy(file, zeros({10000}, float64)); }, "(File too large)");
  }
  BOOST_TEST(testing::read_bytes(file) == before);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  BOOST_TEST(files == 2u);  // x.npy and folder.npy: no temporary left behind

  // A new file gets the mode the umask gives any new file; the umask is left as it was.
  {
    testing::UmaskGuard mask(027);
    data::write_npy(dir / "y.npy", tensor({1.0}));
    BOOST_TEST(testing::mode_of((dir / "y.npy").c_str()) == 0640u);
    BOOST_TEST(::umask(027) == 027u);
  }
  // Streamed from the tensor's memory: a transposed view is written in row-major order.
  data::write_npy(dir / "t.npy", transpose(reshape(arange(6.0, float64), {2, 3})));
  check_values(data::read_npy(dir / "t.npy"), {{0, 3}, {1, 4}, {2, 5}});
}

BOOST_AUTO_TEST_SUITE_END()
