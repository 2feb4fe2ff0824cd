#include "descent/data/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "data/io.hpp"
#include "data/npy_format.hpp"
#include "detail/buffer.hpp"
#include "detail/dispatch.hpp"
#include "kernels/copy.hpp"

namespace descent::data {

namespace {

constexpr std::string_view magic = "\x93NUMPY";
constexpr std::size_t max_dims = 32;  // NumPy's limit

/// A recursive-descent reader of the Python dict literal of a .npy header:
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const char* op, const std::string& name) : text_(text), op_(op), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        fail_if(seen_descr, "key 'descr' appears twice");
        seen_descr = true;
        skip_space();
        fail_if(peek() == '[', "structured dtypes (a list descr) are not supported");
        header.descr = string_literal();
      } else if (key == "fortran_order") {
        fail_if(seen_order, "key 'fortran_order' appears twice");
        seen_order = true;
        header.fortran_order = boolean_literal();
      } else if (key == "shape") {
        fail_if(seen_shape, "key 'shape' appears twice");
        seen_shape = true;
        header.shape = shape_literal();
      } else {
        fail("unexpected key '" + key + "' (expected 'descr', 'fortran_order' and 'shape')");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      fail_if(peek() != '}', "expected ',' or '}' after the value of '" + key + "'");
    }
    ++pos_;  // '}'
    skip_space();
    fail_if(pos_ != text_.size(), "unexpected text after the closing '}'");
    fail_if(!seen_descr || !seen_order || !seen_shape,
            std::string("missing key '") + (!seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape") + "'");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(detail::concat(op_, ": ", name_, ": malformed header: ", what, " in \"", printable(), "\""));
  }
  void fail_if(bool condition, const std::string& what) const {
    if (condition) fail(what);
  }
  /// The header text for messages: at most 200 characters, control bytes escaped.
  std::string printable() const {
    std::string out;
    for (char c : text_.substr(0, 200)) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x7f) {
        out += c;
      } else {
        constexpr char digits[] = "0123456789abcdef";
        out += std::string("\\x") + digits[u >> 4] + digits[u & 15];
      }
    }
    if (text_.size() > 200) out += "...";
    return out;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    skip_space();
    fail_if(peek() != c || pos_ >= text_.size(), std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    fail_if(quote != '\'' && quote != '"', "expected a quoted string");
    const auto end = text_.find(quote, pos_ + 1);
    fail_if(end == std::string_view::npos, "unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool boolean_literal() {
    skip_space();
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (rest.starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail("expected True or False for 'fortran_order'");
  }
  Shape shape_literal() {
    Shape shape;
    expect('(');
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      fail_if(peek() < '0' || peek() > '9', "expected a non-negative integer in 'shape'");
      std::size_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::size_t>(peek() - '0');
        fail_if(value > (SIZE_MAX - digit) / 10, "dimension too large in 'shape'");
        value = value * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long
      fail_if(shape.size() == max_dims, "more than 32 dims in 'shape'");
      shape.push_back(value);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      fail_if(peek() != ')', "expected ',' or ')' in 'shape'");
    }
    ++pos_;  // ')'
    return shape;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  const char* op_;
  const std::string& name_;
};

/// Fills in the element type from descr, or throws for unsupported ones.
void decode_descr(NpyHeader& header, const char* op, const std::string& name) {
  const std::string& d = header.descr;
  const bool known = d.size() == 3 && std::string_view("<>|=").find(d[0]) != std::string_view::npos &&
                     std::string_view("fiub").find(d[1]) != std::string_view::npos && d[2] >= '1' && d[2] <= '8';
  if (known) {
    header.byte_order = d[0];
    header.kind = d[1];
    header.item_size = static_cast<std::size_t>(d[2] - '0');
  }
  const std::size_t s = header.item_size;
  const bool supported = known && ((header.kind == 'f' && (s == 4 || s == 8)) ||
                                   (header.kind == 'i' && (s == 1 || s == 2 || s == 4 || s == 8)) ||
                                   (header.kind == 'u' && (s == 1 || s == 2 || s == 4)) ||
                                   (header.kind == 'b' && s == 1));
  DESCENT_CHECK(supported, op, name, ": unsupported dtype '", d,
                "' (supported: f4, f8 as float32/float64; i1, i2, i4, i8, u1, u2, u4 as int64; b1 as bool)");
}

/// Calls f with a value of the file's element type (bool files read as uint8 bytes).
template <class F> void dispatch_element(const NpyHeader& h, F&& f) {
  if (h.kind == 'f') {
    if (h.item_size == 4) f(float{});
    else f(double{});
  } else if (h.kind == 'i') {
    if (h.item_size == 1) f(std::int8_t{});
    else if (h.item_size == 2) f(std::int16_t{});
    else if (h.item_size == 4) f(std::int32_t{});
    else f(std::int64_t{});
  } else if (h.kind == 'u') {
    if (h.item_size == 1) f(std::uint8_t{});
    else if (h.item_size == 2) f(std::uint16_t{});
    else f(std::uint32_t{});
  } else {
    f(std::uint8_t{});
  }
}

Dtype result_dtype(const NpyHeader& h) {
  if (h.kind == 'f') return h.item_size == 4 ? float32 : float64;
  return h.kind == 'b' ? boolean : int64;
}

/// Reverses the bytes of each of `count` elements of `size` bytes.
void swap_bytes(unsigned char* p, std::size_t count, std::size_t size) {
  if (size == 1) return;
  for (std::size_t i = 0; i < count; ++i, p += size) std::reverse(p, p + size);
}

std::uint32_t load_little_endian(const unsigned char* p, std::size_t bytes) {
  std::uint32_t v = 0;
  for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

/// The bytes of a .npy file in memory as a source.
ReadBytes read_from(std::string_view bytes) {
  return [bytes, at = std::size_t{0}](void* out, std::size_t size) mutable {
    if (size > 0) std::memcpy(out, bytes.data() + at, size);  // (sizes are checked against bytes.size())
    at += size;
  };
}

Tensor parse(std::string_view bytes, const char* op, const std::string& name) {
  const ReadBytes read = read_from(bytes);
  return read_npy_data(read_npy_header(read, bytes.size(), op, name), read);
}

}  // namespace

NpyHeader read_npy_header(const ReadBytes& read, std::uint64_t size, const char* op, const std::string& name) {
  // Magic, version and the header's length: 10 bytes (version 1) or 12 (versions 2 and 3).
  unsigned char p[12];
  read(p, static_cast<std::size_t>(std::min<std::uint64_t>(size, 10)));
  DESCENT_CHECK(size >= magic.size() && std::string_view(reinterpret_cast<const char*>(p), magic.size()) == magic, op,
                name, ": not a .npy file (it does not start with \"\\x93NUMPY\")");
  DESCENT_CHECK(size >= 10, op, name, ": truncated header (", size, " bytes)");
  const unsigned major = p[6], minor = p[7];
  DESCENT_CHECK((major == 1 || major == 2 || major == 3) && minor == 0, op, name, ": unsupported format version ",
                major, ".", minor, " (supported: 1.0, 2.0, 3.0)");
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  DESCENT_CHECK(size >= 8 + length_bytes, op, name, ": truncated header (", size, " bytes)");
  if (length_bytes == 4) read(p + 10, 2);
  const std::size_t header_length = load_little_endian(p + 8, length_bytes);
  const std::uint64_t data_start = 8 + length_bytes + header_length;
  DESCENT_CHECK(header_length <= size - 8 - length_bytes, op, name, ": truncated header: it should be ",
                header_length, " bytes, the file holds ", size - 8 - length_bytes, " after the length field");

  std::string text(header_length, '\0');
  if (header_length > 0) read(text.data(), header_length);
  NpyHeader header = HeaderParser(text, op, name).parse();
  decode_descr(header, op, name);

  std::size_t count = 1, data_bytes = 0;
  bool overflow = false;
  for (auto d : header.shape) overflow = overflow || __builtin_mul_overflow(count, d, &count);
  overflow = overflow || __builtin_mul_overflow(count, header.item_size, &data_bytes);
  const std::uint64_t available = size - data_start;
  DESCENT_CHECK(!overflow && data_bytes <= available, op, name, ": truncated: shape ", to_string(header.shape),
                " of '", header.descr, "' needs ", overflow ? std::string("more than 2^64") : std::to_string(data_bytes),
                " bytes of data, the file holds ", available);
  DESCENT_CHECK(data_bytes == available, op, name, ": ", available - data_bytes, " bytes of trailing data after the ",
                to_string(header.shape), " '", header.descr, "' array (", data_bytes, " bytes expected)");
  header.dtype = result_dtype(header);
  header.data_bytes = data_bytes;
  detail::check_representable(header.shape, header.dtype, op, name);
  return header;
}

Tensor read_npy_data(const NpyHeader& header, const ReadBytes& read) {
  // The values in file order (row-major, or column-major for fortran_order), read straight into the
  // tensor when the file holds its element type.
  const Dtype dtype = header.dtype;
  const std::size_t count = header.item_size ? header.data_bytes / header.item_size : 0;
  Tensor flat = empty(header.shape, dtype);
  const bool file_big = header.byte_order == '>' || (header.byte_order == '=' && std::endian::native == std::endian::big);
  const bool swap = header.item_size > 1 && file_big != (std::endian::native == std::endian::big);
  dispatch_element(header, [&](auto e) {
    using S = decltype(e);
    detail::dispatch(dtype, [&](auto t) {
      using T = decltype(t);
      T* dst = flat.data<T>();
      if constexpr (std::is_same_v<S, T>) {
        if (header.data_bytes > 0) read(dst, header.data_bytes);  // (no read into null)
        if (swap) swap_bytes(reinterpret_cast<unsigned char*>(dst), count, sizeof(S));
        return;
      }
      std::string raw(header.data_bytes, '\0');
      if (header.data_bytes > 0) read(raw.data(), header.data_bytes);
      const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
      if constexpr (std::is_same_v<T, bool>) {
        for (std::size_t i = 0; i < count; ++i) dst[i] = src[i] != 0;
      } else if constexpr (!std::is_same_v<S, T>) {
        for (std::size_t i = 0; i < count; ++i) {
          S value;
          std::memcpy(&value, src + i * sizeof(S), sizeof(S));
          if (swap) swap_bytes(reinterpret_cast<unsigned char*>(&value), 1, sizeof(S));
          dst[i] = static_cast<T>(value);
        }
      }
    });
  });
  if (!header.fortran_order || header.shape.size() < 2 || count == 0) return flat;

  // Column-major values seen through Fortran strides, copied out in row-major order.
  Strides strides(header.shape.size());
  std::ptrdiff_t stride = 1;
  for (std::size_t i = 0; i < header.shape.size(); ++i) {
    strides[i] = stride;
    stride *= static_cast<std::ptrdiff_t>(header.shape[i]);
  }
  const Tensor column_major = detail::make_view(flat, flat.impl().data, header.shape, strides);
  Tensor out = empty(header.shape, dtype);
  kernels::copy_to_contiguous(column_major, out.impl().data);
  return out;
}

Tensor read_npy(const std::filesystem::path& path) {
  const std::string bytes = detail::read_file(path, "read_npy");
  return parse(bytes, "read_npy", path.string());
}

Tensor parse_npy(std::string_view bytes, const std::string& name) { return parse(bytes, "parse_npy", name); }

std::string npy_header(const Tensor& values) {
  const char* descr = nullptr;
  switch (values.dtype()) {
    case Dtype::float32: descr = "<f4"; break;
    case Dtype::float64: descr = "<f8"; break;
    case Dtype::int64: descr = "<i8"; break;
    case Dtype::boolean: descr = "|b1"; break;
  }
  // The dict exactly as numpy.save writes it (numpy/lib/format.py, _write_array_header).
  const Shape& shape = values.shape();
  std::string shape_repr = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) shape_repr += (i ? ", " : "") + std::to_string(shape[i]);
  shape_repr += shape.size() == 1 ? ",)" : ")";
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_repr + ", }";
  if (!shape.empty()) dict.append(21 - std::min<std::size_t>(21, std::to_string(shape[0]).size()), ' ');  // room to grow
  // Magic, version, length, dict, spaces and '\n', padded to a multiple of 64 bytes.
  const bool v2 = magic.size() + 2 + 2 + dict.size() + 1 + 64 > 0xFFFF;
  const std::size_t prefix = magic.size() + 2 + (v2 ? 4 : 2);
  const std::size_t padding = 64 - (prefix + dict.size() + 1) % 64;
  const std::size_t header_length = dict.size() + padding + 1;

  std::string out;
  out.reserve(prefix + header_length);
  out += magic;
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  for (std::size_t i = 0; i < (v2 ? 4u : 2u); ++i) out += static_cast<char>((header_length >> (8 * i)) & 0xFF);
  out += dict;
  out.append(padding, ' ');
  out += '\n';
  return out;
}

Tensor npy_data(const Tensor& values) {
  const Tensor data = values.detach().contiguous();
  if constexpr (std::endian::native == std::endian::big) {
    Tensor swapped = data.clone();
    swap_bytes(static_cast<unsigned char*>(swapped.impl().data), swapped.numel(), element_size(swapped.dtype()));
    return swapped;
  }
  return data;
}

std::string serialize_npy(const Tensor& values) {
  const Tensor data = npy_data(values);
  const std::size_t data_bytes = data.numel() * element_size(data.dtype());
  std::string out = npy_header(values);
  if (data_bytes > 0) out.append(static_cast<const char*>(data.impl().data), data_bytes);  // (no copy from null)
  return out;
}

void write_npy(const std::filesystem::path& path, const Tensor& values) {
  // Written from the tensor's own memory (no copy of the file in memory when it is contiguous).
  const std::string header = npy_header(values);
  const Tensor data = npy_data(values);
  detail::AtomicFile file(path, "write_npy");
  file.write(header.data(), header.size());
  if (data.numel() > 0) file.write(data.impl().data, data.numel() * element_size(data.dtype()));
  file.commit();
}

}  // namespace descent::data
