#include "descent/data/idx.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "data/io.hpp"
#include "detail/buffer.hpp"
#include "detail/dispatch.hpp"

namespace descent::data {

namespace {

/// A big-endian value of type S at p.
template <class S> S load_big_endian(const unsigned char* p) {
  if constexpr (sizeof(S) == 1) {
    return std::bit_cast<S>(p[0]);
  } else {
    using U = std::conditional_t<sizeof(S) == 2, std::uint16_t,
                                 std::conditional_t<sizeof(S) == 4, std::uint32_t, std::uint64_t>>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(S); ++i) u = static_cast<U>((u << 8) | p[i]);
    return std::bit_cast<S>(u);
  }
}

/// Calls f with a value of the element type of an IDX type code; false for an unknown code.
template <class F> bool dispatch_idx_type(unsigned code, F&& f) {
  switch (code) {
    case 0x08: f(std::uint8_t{}); return true;
    case 0x09: f(std::int8_t{}); return true;
    case 0x0B: f(std::int16_t{}); return true;
    case 0x0C: f(std::int32_t{}); return true;
    case 0x0D: f(float{}); return true;
    case 0x0E: f(double{}); return true;
    default: return false;
  }
}

const char* idx_type_name(unsigned code) {
  switch (code) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

std::string hex(unsigned byte) {
  constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[(byte >> 4) & 15] + digits[byte & 15];
}

Tensor parse(std::string_view bytes, Dtype dtype, const char* op, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t size = bytes.size();
  DESCENT_CHECK(size >= 4, op, name, ": ", size, " bytes is too short for an IDX file (the magic alone is 4 bytes)");
  DESCENT_CHECK(p[0] == 0 && p[1] == 0, op, name, ": bad magic ", hex(p[0]), " ", hex(p[1]), " ", hex(p[2]), " ",
                hex(p[3]), ": an IDX file starts with 0x00 0x00 <type> <number of dims>");
  const unsigned type = p[2], ndims = p[3];
  std::size_t element_bytes = 0;
  DESCENT_CHECK(dispatch_idx_type(type, [&](auto e) { element_bytes = sizeof(e); }), op, name, ": unknown type code ",
                hex(type), " (known: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)");
  DESCENT_CHECK(ndims >= 1 && ndims <= 4, op, name, ": ", ndims, " dims, expected 1 to 4");
  const std::size_t header = 4 + 4 * std::size_t{ndims};
  DESCENT_CHECK(size >= header, op, name, ": truncated header: ", ndims, " dims need ", header, " bytes, the file holds ",
                size);

  Shape shape;
  std::size_t count = 1;
  bool overflow = false;
  for (unsigned i = 0; i < ndims; ++i) {
    shape.push_back(load_big_endian<std::uint32_t>(p + 4 + 4 * i));
    overflow = overflow || __builtin_mul_overflow(count, shape.back(), &count);
  }
  std::size_t data_bytes = 0;
  overflow = overflow || __builtin_mul_overflow(count, element_bytes, &data_bytes);
  const std::size_t available = size - header;
  DESCENT_CHECK(!overflow && data_bytes <= available, op, name, ": truncated: the header says ", to_string(shape), " ",
                idx_type_name(type), ", ", overflow ? std::string("more than 2^64") : std::to_string(data_bytes),
                " bytes of data, the file holds ", available);
  DESCENT_CHECK(data_bytes == available, op, name, ": ", available - data_bytes,
                " bytes of trailing data: the header says ", to_string(shape), " ", idx_type_name(type), ", ",
                data_bytes, " bytes of data, the file holds ", available);

  detail::check_representable(shape, dtype, op, name);

  Tensor out = empty(shape, dtype);
  const unsigned char* src = p + header;
  dispatch_idx_type(type, [&](auto s) {
    using S = decltype(s);
    detail::dispatch(dtype, [&](auto t) {
      using T = decltype(t);
      T* dst = out.data<T>();
      for (std::size_t i = 0; i < count; ++i) {
        const S value = load_big_endian<S>(src + i * sizeof(S));
        if constexpr (std::is_floating_point_v<S> && std::is_same_v<T, std::int64_t>) {
          DESCENT_CHECK(value >= S(-0x1p63) && value < S(0x1p63), op, name, ": value ", value, " at flat index ", i,
                        " does not fit in int64");
        }
        dst[i] = static_cast<T>(value);
      }
    });
  });
  return out;
}

/// Plain or gzip bytes: files and memory go through here alike.
Tensor parse_plain_or_gzip(std::string_view bytes, Dtype dtype, const char* op, const std::string& name) {
  if (!detail::is_gzip(bytes)) return parse(bytes, dtype, op, name);
  return parse(detail::gunzip(bytes, op, name), dtype, op, name);
}

}  // namespace

Tensor read_idx(const std::filesystem::path& path, Dtype dtype) {
  return parse_plain_or_gzip(detail::read_bytes(path, "read_idx"), dtype, "read_idx", path.string());
}

Tensor parse_idx(std::string_view bytes, Dtype dtype, const std::string& name) {
  return parse_plain_or_gzip(bytes, dtype, "parse_idx", name);
}

void write_idx(const std::filesystem::path& path, const Tensor& values) {
  constexpr const char* op = "write_idx";
  DESCENT_CHECK(values.dim() >= 1 && values.dim() <= 4, op, "IDX files hold 1 to 4 dims, got shape ",
                to_string(values.shape()));
  for (auto d : values.shape())
    DESCENT_CHECK(d <= 0xFFFFFFFFu, op, "dimension ", d, " of shape ", to_string(values.shape()),
                  " does not fit in 32 bits");
  const Tensor v = detail::contiguous_values(values.detach().to(float64));
  const double* x = v.data<double>();
  std::string bytes(4 + 4 * values.dim() + values.numel(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(bytes.data());
  p[2] = 0x08;
  p[3] = static_cast<unsigned char>(values.dim());
  for (std::size_t i = 0; i < values.dim(); ++i) {
    const auto d = static_cast<std::uint32_t>(values.shape()[i]);
    for (int b = 0; b < 4; ++b) p[4 + 4 * i + b] = static_cast<unsigned char>(d >> (24 - 8 * b));
  }
  unsigned char* data = p + 4 + 4 * values.dim();
  for (std::size_t i = 0; i < values.numel(); ++i) {
    DESCENT_CHECK(x[i] >= 0 && x[i] <= 255 && x[i] == std::floor(x[i]), op, "value ", x[i], " at flat index ", i,
                  " is not a whole number in [0, 255] (IDX uint8)");
    data[i] = static_cast<unsigned char>(x[i]);
  }
  detail::write_file(path, bytes, op);
}

}  // namespace descent::data
