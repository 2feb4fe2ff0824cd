#pragma once
// Axis ticks of the charts (lib/plot/plot.cpp), private to the library and its tests.
#include <string>
#include <vector>

namespace descent::plot::detail {

/// Nice tick positions (steps 1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, std::size_t target = 6);
/// A short tick label for `value` on an axis whose step is `step`: "0.25", "2.5k", "1e-05".
std::string tick_label(double value, double step);

}  // namespace descent::plot::detail
