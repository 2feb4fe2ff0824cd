#include "descent/nn/conv.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <utility>

#include "descent/nn/init.hpp"

namespace descent::nn {

namespace {

// A negative int passed for a size_t arrives as a huge number: report it as the negative it was.
std::ptrdiff_t as_signed(std::size_t n) { return static_cast<std::ptrdiff_t>(n); }

/// "(3,)" or "(3, 3)": a tuple as PyTorch's repr prints it.
// (detail::concat rather than string +: GCC 12 warns falsely on "(" + std::to_string(...), -Wstringop-overflow)
std::string tuple(std::ptrdiff_t v) { return detail::concat("(", v, ",)"); }
std::string tuple(Size2 v) { return detail::concat("(", v.h, ", ", v.w, ")"); }

struct Common {
  std::size_t in, out;
  std::ptrdiff_t groups;
  bool bias;
  Dtype dtype;
};

/// Checks what every convolution layer shares and creates its parameters: weight of `shape`,
/// kaiming_uniform_(a = √5) as PyTorch's reset_parameters, and bias (`bias_size`) in ±1/√fan_in.
void make_parameters(const char* layer, const Common& c, const Shape& shape, std::size_t bias_size, Generator& gen,
                     Tensor& weight, Tensor& bias, const std::function<Tensor(std::string, Tensor)>& add) {
  DESCENT_CHECK(as_signed(c.in) > 0 && as_signed(c.out) > 0, layer,
                "in_channels and out_channels must be positive, got in_channels=", as_signed(c.in),
                " out_channels=", as_signed(c.out));
  DESCENT_CHECK(c.groups > 0, layer, "groups must be positive, got ", c.groups);
  const auto groups = static_cast<std::size_t>(c.groups);
  DESCENT_CHECK(c.in % groups == 0 && c.out % groups == 0, layer, "groups ", c.groups,
                " must divide in_channels ", c.in, " and out_channels ", c.out);
  for (std::size_t i = 2; i < shape.size(); ++i)
    DESCENT_CHECK(as_signed(shape[i]) > 0, layer, "kernel_size must be positive, got ", as_signed(shape[i]));
  Tensor w = empty(shape, c.dtype);
  init::kaiming_uniform_(w, std::sqrt(5.0), gen);
  weight = add("weight", w);
  if (!c.bias) return;
  const double bound = 1.0 / std::sqrt(init::fans(w).first);
  bias = add("bias", uniform({bias_size}, -bound, bound, gen, c.dtype));
}

/// The op's error for this input, prefixed with the layer's description (it names the shapes).
template <class F> Tensor named(const Module& layer, F f) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(layer.describe() + ": " + e.what());
  }
}

void check_input(const char* layer, const Tensor& input, std::size_t spatial, std::size_t channels) {
  DESCENT_CHECK(input.dim() == spatial + 1 || input.dim() == spatial + 2, layer, "expected a ", spatial + 1, "-D or ",
                spatial + 2, "-D input, got shape ", to_string(input.shape()));
  const std::size_t c = input.size(input.dim() == spatial + 2 ? 1 : 0);
  DESCENT_CHECK(c == channels, layer, "expected input with ", channels, " channels (in_channels), got ", c,
                " in shape ", to_string(input.shape()));
}

/// PyTorch's repr of a convolution layer (_ConvNd.extra_repr): the settings that differ from their
/// defaults are passed non-empty.
std::string repr(const char* layer, std::size_t in, std::size_t out, const std::string& kernel,
                 const std::string& stride, const std::string& padding, const std::string& dilation,
                 const std::string& output_padding, std::ptrdiff_t groups, bool bias) {
  std::string s = detail::concat(layer, "(", in, ", ", out, ", kernel_size=", kernel, ", stride=", stride);
  if (!padding.empty()) s += ", padding=" + padding;
  if (!dilation.empty()) s += ", dilation=" + dilation;
  if (!output_padding.empty()) s += ", output_padding=" + output_padding;
  if (groups != 1) s += detail::concat(", groups=", groups);
  if (!bias) s += ", bias=False";
  return s + ")";
}

/// PyTorch refuses these when the layer is built, not at its first forward.
void check_padding(const char* layer, const ConvPadding& padding, bool unit_stride) {
  DESCENT_CHECK(padding.mode.empty() || padding.mode == "same" || padding.mode == "valid", layer,
                "padding must be a number, \"same\" or \"valid\", got \"", padding.mode, "\"");
  DESCENT_CHECK(padding.mode != "same" || unit_stride, layer, "padding \"same\" needs stride 1");
}

bool is_zero(const ConvPadding& p) { return p.mode.empty() && p.size.h == 0 && p.size.w == 0; }
bool is_one(Size2 v) { return v.h == 1 && v.w == 1; }

}  // namespace

Conv1d::Conv1d(std::size_t in_channels, std::size_t out_channels, std::ptrdiff_t kernel_size, Conv1dOptions options_,
               Generator& gen)
    : options(std::move(options_)) {
  check_padding("Conv1d", options.padding, options.stride == 1);
  make_parameters("Conv1d", {in_channels, out_channels, options.groups, options.bias, options.dtype},
                  {out_channels, in_channels / std::size_t(std::max<std::ptrdiff_t>(options.groups, 1)),
                   std::size_t(kernel_size)},
                  out_channels, gen, weight, bias, [this](std::string n, Tensor t) { return register_parameter(n, t); });
}

Tensor Conv1d::forward(const Tensor& input) {
  check_input("Conv1d", input, 1, weight.size(1) * std::size_t(options.groups));
  return named(*this, [&] {
    return conv1d(input, weight, bias, options.stride, options.padding, options.dilation, options.groups);
  });
}

std::string Conv1d::describe() const {
  const auto& p = options.padding;
  return repr("Conv1d", weight.size(1) * std::size_t(options.groups), weight.size(0),
              tuple(std::ptrdiff_t(weight.size(2))), tuple(options.stride),
              is_zero(p) ? "" : p.mode.empty() ? tuple(p.size.w) : p.mode,
              options.dilation == 1 ? "" : tuple(options.dilation), "", options.groups, bias.defined());
}

Conv2d::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Conv2dOptions options_,
               Generator& gen)
    : options(std::move(options_)) {
  check_padding("Conv2d", options.padding, is_one(options.stride));
  make_parameters("Conv2d", {in_channels, out_channels, options.groups, options.bias, options.dtype},
                  {out_channels, in_channels / std::size_t(std::max<std::ptrdiff_t>(options.groups, 1)),
                   std::size_t(kernel_size.h), std::size_t(kernel_size.w)},
                  out_channels, gen, weight, bias, [this](std::string n, Tensor t) { return register_parameter(n, t); });
}

Tensor Conv2d::forward(const Tensor& input) {
  check_input("Conv2d", input, 2, weight.size(1) * std::size_t(options.groups));
  return named(*this, [&] {
    return conv2d(input, weight, bias, options.stride, options.padding, options.dilation, options.groups);
  });
}

std::string Conv2d::describe() const {
  const auto& p = options.padding;
  return repr("Conv2d", weight.size(1) * std::size_t(options.groups), weight.size(0),
              tuple(Size2(weight.size(2), weight.size(3))), tuple(options.stride),
              is_zero(p) ? "" : p.mode.empty() ? tuple(p.size) : p.mode,
              is_one(options.dilation) ? "" : tuple(options.dilation), "", options.groups, bias.defined());
}

ConvTranspose2d::ConvTranspose2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
                                 ConvTranspose2dOptions options_, Generator& gen)
    : options(options_) {
  // PyTorch's layout (in, out/groups, kh, kw): its fan_in is then out/groups·kh·kw, as PyTorch computes it.
  make_parameters("ConvTranspose2d", {in_channels, out_channels, options.groups, options.bias, options.dtype},
                  {in_channels, out_channels / std::size_t(std::max<std::ptrdiff_t>(options.groups, 1)),
                   std::size_t(kernel_size.h), std::size_t(kernel_size.w)},
                  out_channels, gen, weight, bias, [this](std::string n, Tensor t) { return register_parameter(n, t); });
}

Tensor ConvTranspose2d::forward(const Tensor& input) {
  check_input("ConvTranspose2d", input, 2, weight.size(0));
  return named(*this, [&] {
    return conv_transpose2d(input, weight, bias, options.stride, options.padding, options.output_padding,
                            options.groups, options.dilation);
  });
}

std::string ConvTranspose2d::describe() const {
  const Size2 p = options.padding, op = options.output_padding;
  return repr("ConvTranspose2d", weight.size(0), weight.size(1) * std::size_t(options.groups),
              tuple(Size2(weight.size(2), weight.size(3))), tuple(options.stride),
              p.h == 0 && p.w == 0 ? "" : tuple(p), is_one(options.dilation) ? "" : tuple(options.dilation),
              op.h == 0 && op.w == 0 ? "" : tuple(op), options.groups, bias.defined());
}

}  // namespace descent::nn
