// Printing tensors the way NumPy and PyTorch do: tensor([[1., 2.],\n        [3., 4.]]).
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "descent/autograd/node.hpp"
#include "descent/tensor.hpp"
#include "detail/dispatch.hpp"

namespace descent {

namespace {

constexpr std::size_t summarize_above = 1000;  // elements; larger tensors print their edges only
constexpr std::size_t edge_items = 3;

std::string format_value(double v, Dtype dtype) {
  if (dtype == Dtype::boolean) return v != 0 ? "true" : "false";
  if (dtype == Dtype::int64) return std::to_string(static_cast<long long>(v));
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*g", dtype == Dtype::float32 ? 6 : 8, v);
  std::string s = buffer;
  if (s.find_first_of(".e") == std::string::npos) s += ".";
  return s;
}

struct Printer {
  const Tensor& t;  // contiguous
  bool summarize;
  std::size_t width = 0;
  std::vector<std::string> cells;  // formatted values in visiting order
  std::size_t next = 0;

  std::vector<std::size_t> visible(std::size_t n) const {
    std::vector<std::size_t> idx;
    if (summarize && n > 2 * edge_items) {
      for (std::size_t i = 0; i < edge_items; ++i) idx.push_back(i);
      idx.push_back(SIZE_MAX);  // "..."
      for (std::size_t i = n - edge_items; i < n; ++i) idx.push_back(i);
    } else {
      for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::size_t axis, std::size_t offset, const std::vector<double>& values) {
    if (axis == t.dim()) {
      cells.push_back(format_value(values[offset], t.dtype()));
      width = std::max(width, cells.back().size());
      return;
    }
    const std::size_t stride = static_cast<std::size_t>(contiguous_strides(t.shape())[axis]);
    for (auto i : visible(t.shape()[axis]))
      if (i != SIZE_MAX) collect(axis + 1, offset + i * stride, values);
  }

  void print(std::ostream& out, std::size_t axis, std::size_t indent) {
    if (axis == t.dim()) {
      const std::string& c = cells[next++];
      out << std::string(width - c.size(), ' ') << c;
      return;
    }
    out << '[';
    const auto idx = visible(t.shape()[axis]);
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k) {
        out << ',';
        if (axis + 1 == t.dim()) out << ' ';
        else out << std::string(t.dim() - axis - 1, '\n') << std::string(indent + 1, ' ');
      }
      if (idx[k] == SIZE_MAX) out << "...";
      else print(out, axis + 1, indent + 1);
    }
    out << ']';
  }
};

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  if (!tensor.defined()) return out << "tensor(undefined)";
  Tensor t = tensor.contiguous();
  std::vector<double> values(t.numel());
  detail::dispatch(t.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* d = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(d[i]);
  });
  const std::string prefix = "tensor(";
  Printer printer{t, t.numel() > summarize_above, 0, {}, 0};
  printer.collect(0, 0, values);
  out << prefix;
  printer.print(out, 0, prefix.size());
  if (tensor.dtype() != Dtype::float32) out << ", dtype=" << to_string(tensor.dtype());
  if (tensor.grad_fn()) out << ", grad_fn=<" << tensor.grad_fn()->name() << ">";
  else if (tensor.requires_grad()) out << ", requires_grad=true";
  return out << ')';
}

std::string to_string(const Tensor& tensor) {
  std::ostringstream out;
  out << tensor;
  return out.str();
}

}  // namespace descent
