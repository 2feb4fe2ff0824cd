#include "descent/nn/activation.hpp"

#include <sstream>
#include <utility>

#include "detail/check.hpp"

namespace descent::nn {

namespace {
template <class T> std::string with_setting(const char* type, const char* name, T value) {
  std::ostringstream out;
  out << type << "(" << name << "=" << value << ")";
  return out.str();
}
}  // namespace

GELU::GELU(std::string approximate) : approximate(std::move(approximate)) {
  DESCENT_CHECK(this->approximate == "none" || this->approximate == "tanh", "GELU",
                "approximate must be \"none\" or \"tanh\", got \"", this->approximate, "\"");
}

std::string LeakyReLU::describe() const { return with_setting("LeakyReLU", "negative_slope", negative_slope); }
std::string Softmax::describe() const { return with_setting("Softmax", "axis", axis); }
std::string LogSoftmax::describe() const { return with_setting("LogSoftmax", "axis", axis); }

}  // namespace descent::nn
