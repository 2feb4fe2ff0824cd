#pragma once
// Checks of numeric hyper-parameters (rates, decays, epsilons): one wording everywhere,
// "<op>: invalid <name> <value> (must be ...)". Each also rejects NaN and infinity, which
// would otherwise pass a plain `value >= 0` (infinity) or slip into the weights as NaN.
#include <cmath>

#include "descent/error.hpp"

namespace descent::detail {

inline void check_non_negative(const char* op, const char* name, double value) {
  DESCENT_CHECK(std::isfinite(value) && value >= 0, op, "invalid ", name, " ", value, " (must be a finite number >= 0)");
}

inline void check_positive(const char* op, const char* name, double value) {
  DESCENT_CHECK(std::isfinite(value) && value > 0, op, "invalid ", name, " ", value, " (must be a finite number > 0)");
}

/// value in [0, 1) or, with `one_allowed`, in [0, 1].
inline void check_unit_interval(const char* op, const char* name, double value, bool one_allowed) {
  DESCENT_CHECK(value >= 0 && (one_allowed ? value <= 1 : value < 1), op, "invalid ", name, " ", value,
                one_allowed ? " (must be in [0, 1])" : " (must be in [0, 1))");
}

}  // namespace descent::detail
