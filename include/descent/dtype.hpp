#pragma once
// Element types a Tensor can hold, chosen at run time.
#include <cstdint>
#include <string>

namespace descent {

enum class Dtype { float32, float64, int64, boolean };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;
inline constexpr Dtype boolean = Dtype::boolean;

/// "float32", "float64", "int64" or "bool".
std::string to_string(Dtype dtype);
/// Bytes per element.
std::size_t element_size(Dtype dtype);
/// float32 or float64: the types that can carry gradients.
inline bool is_floating(Dtype dtype) { return dtype == Dtype::float32 || dtype == Dtype::float64; }

/// The Dtype of a C++ element type (float, double, std::int64_t, bool).
template <class T> constexpr Dtype dtype_of();
template <> constexpr Dtype dtype_of<float>() { return Dtype::float32; }
template <> constexpr Dtype dtype_of<double>() { return Dtype::float64; }
template <> constexpr Dtype dtype_of<std::int64_t>() { return Dtype::int64; }
template <> constexpr Dtype dtype_of<bool>() { return Dtype::boolean; }

}  // namespace descent
