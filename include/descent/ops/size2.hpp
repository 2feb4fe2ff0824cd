#pragma once
// Size2: the int-or-pair argument of the 2-D ops (kernel_size=2 or kernel_size={2, 3}, PyTorch's
// _pair), and Scale2, its floating counterpart (interpolate's scale_factor). A default-constructed
// one is "not given" (PyTorch's None): stride then defaults to kernel_size.
#include <cstdint>
#include <string>

namespace descent {

struct Size2 {
  std::int64_t h = 0, w = 0;
  bool given = false;  ///< false: not given (None)
  bool pair = false;   ///< given as {h, w} (printed as a tuple) rather than one number
  Size2() = default;
  Size2(std::int64_t v) : h(v), w(v), given(true) {}  // implicit, like PyTorch's int argument
  Size2(std::int64_t h, std::int64_t w) : h(h), w(w), given(true), pair(true) {}
};

struct Scale2 {
  double h = 0, w = 0;
  bool given = false;
  bool pair = false;
  Scale2() = default;
  Scale2(double v) : h(v), w(v), given(true) {}
  Scale2(double h, double w) : h(h), w(w), given(true), pair(true) {}
};

/// "2" or "(2, 3)", as PyTorch prints an int or a tuple; "None" when not given.
std::string to_string(const Size2& s);
/// "2.0" or "(2.0, 1.5)", as Python prints floats.
std::string to_string(const Scale2& s);

}  // namespace descent
