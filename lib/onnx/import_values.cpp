// Reading an imported node's attributes and constant tensors (import_graph.hpp): every count and
// size is checked against the bytes there are, so a corrupt file ends in descent::Error.
#include <cstring>

#include "descent/error.hpp"
#include "import_graph.hpp"

namespace descent::onnx::detail {

namespace {

constexpr const char* kOp = "onnx::import";

template <class T, class Field> Tensor typed(const Field& field, const Shape& shape) {
  std::vector<T> v(field.begin(), field.end());
  return from_buffer<T>(v.data(), shape);
}

}  // namespace

Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where) {
  DESCENT_CHECK(proto.data_location() != ::onnx::TensorProto::EXTERNAL, kOp, where,
                ": external data is not supported (keep the weights inside the .onnx file)");
  Shape shape;
  std::size_t n = 1;
  bool empty = false;
  for (auto d : proto.dims()) {
    DESCENT_CHECK(d >= 0, kOp, where, ": negative dimension ", d);
    shape.push_back(std::size_t(d));
    empty = empty || d == 0;
  }
  // the element count, bounded by the bytes the file holds (an empty tensor holds none)
  const std::size_t limit = std::size_t(proto.raw_data().size()) + std::size_t(proto.float_data_size()) +
                            std::size_t(proto.double_data_size()) + std::size_t(proto.int64_data_size()) +
                            std::size_t(proto.int32_data_size());
  if (empty) n = 0;
  else
    for (auto d : shape) {
      DESCENT_CHECK(d <= limit && n <= limit / d, kOp, where, ": shape ", to_string(shape),
                    " holds more values than the tensor has data for");
      n *= d;
    }
  std::size_t element = 0;
  Dtype dtype;
  switch (proto.data_type()) {
    case ::onnx::TensorProto::FLOAT: dtype = Dtype::float32; element = 4; break;
    case ::onnx::TensorProto::DOUBLE: dtype = Dtype::float64; element = 8; break;
    case ::onnx::TensorProto::INT64: dtype = Dtype::int64; element = 8; break;
    case ::onnx::TensorProto::INT32: dtype = Dtype::int64; element = 4; break;
    case ::onnx::TensorProto::BOOL: dtype = Dtype::boolean; element = 1; break;
    default:
      throw Error(descent::detail::concat(kOp, ": ", where, ": element type ", proto.data_type(),
                                 " is not supported (float, double, int32, int64, bool)"));
  }
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    DESCENT_CHECK(raw.size() == n * element, kOp, where, ": ", raw.size(), " bytes of raw data for shape ",
                  to_string(shape), " (", n * element, " expected)");
    // little-endian, as in memory on x86-64; memcpy as raw_data need not be aligned
    switch (proto.data_type()) {
      case ::onnx::TensorProto::INT32: {
        std::vector<std::int32_t> v(n);
        if (n) std::memcpy(v.data(), raw.data(), raw.size());
        std::vector<std::int64_t> w(v.begin(), v.end());
        return from_buffer<std::int64_t>(w.data(), shape);
      }
      case ::onnx::TensorProto::BOOL: {
        std::vector<std::uint8_t> v(n);
        if (n) std::memcpy(v.data(), raw.data(), raw.size());
        Tensor t = zeros(shape, Dtype::boolean);
        bool* out = t.data<bool>();
        for (std::size_t i = 0; i < n; ++i) out[i] = v[i] != 0;
        return t;
      }
      default: {
        Tensor t = zeros(shape, dtype);
        if (n) std::memcpy(t.impl().data, raw.data(), raw.size());
        return t;
      }
    }
  }
  auto count = [&](int size) {
    DESCENT_CHECK(std::size_t(size) == n, kOp, where, ": ", size, " values for shape ", to_string(shape), " (", n,
                  " expected)");
  };
  switch (proto.data_type()) {
    case ::onnx::TensorProto::FLOAT: count(proto.float_data_size()); return typed<float>(proto.float_data(), shape);
    case ::onnx::TensorProto::DOUBLE: count(proto.double_data_size()); return typed<double>(proto.double_data(), shape);
    case ::onnx::TensorProto::INT64: count(proto.int64_data_size()); return typed<std::int64_t>(proto.int64_data(), shape);
    case ::onnx::TensorProto::INT32: count(proto.int32_data_size()); return typed<std::int64_t>(proto.int32_data(), shape);
    default: {  // BOOL: in int32_data
      count(proto.int32_data_size());
      Tensor t = zeros(shape, Dtype::boolean);
      for (std::size_t i = 0; i < n; ++i) t.data<bool>()[i] = proto.int32_data(int(i)) != 0;
      return t;
    }
  }
}

const ::onnx::AttributeProto* NodeArgs::attribute(const char* name) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t NodeArgs::get_int(const char* name, std::int64_t fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  DESCENT_CHECK(a->type() == ::onnx::AttributeProto::INT, kOp, "attribute '", name, "' is not an int");
  return a->i();
}

double NodeArgs::get_float(const char* name, double fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  DESCENT_CHECK(a->type() == ::onnx::AttributeProto::FLOAT, kOp, "attribute '", name, "' is not a float");
  return a->f();
}

std::vector<std::int64_t> NodeArgs::get_ints(const char* name, const std::vector<std::int64_t>& fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  DESCENT_CHECK(a->type() == ::onnx::AttributeProto::INTS, kOp, "attribute '", name, "' is not a list of ints");
  return {a->ints().begin(), a->ints().end()};
}

std::string NodeArgs::get_string(const char* name, const std::string& fallback) const {
  const auto* a = attribute(name);
  if (!a) return fallback;
  DESCENT_CHECK(a->type() == ::onnx::AttributeProto::STRING, kOp, "attribute '", name, "' is not a string");
  return a->s();
}

const Tensor& NodeArgs::input(std::size_t i) const {
  DESCENT_CHECK(has_input(i), kOp, "input ", i, " is required");
  return inputs[i];
}

std::vector<std::int64_t> NodeArgs::ints_of(std::size_t i) const {
  const Tensor& t = input(i);
  DESCENT_CHECK(t.dtype() == Dtype::int64, kOp, "input ", i, " must be int64, got ", to_string(t.dtype()));
  const Tensor c = t.contiguous();
  const std::int64_t* p = c.data<std::int64_t>();
  return {p, p + c.numel()};
}

std::string NodeArgs::where() const {
  return "node '" + node.name() + "' (" + node.op_type() + ")";
}

}  // namespace descent::onnx::detail
