#include "descent/dtype.hpp"

namespace descent {

std::string to_string(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return "float32";
    case Dtype::float64: return "float64";
    case Dtype::int64: return "int64";
    case Dtype::boolean: return "bool";
  }
  return "unknown";
}

std::size_t element_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return 4;
    case Dtype::float64: return 8;
    case Dtype::int64: return 8;
    case Dtype::boolean: return 1;
  }
  return 0;
}

}  // namespace descent
