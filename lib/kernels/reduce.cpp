// Planning a reduction (kernels/reduce.hpp): which axes fold, merged into few contiguous runs.
#include "kernels/reduce.hpp"

#include <algorithm>

namespace descent::kernels {

ReduceLayout reduce_layout(const char* op, const Tensor& x, const Axes& axes, bool keepdim) {
  const Shape& shape = x.shape();
  ReduceLayout l;
  for (auto a : axes) l.axes.push_back(normalize_axis(op, a, x.dim(), shape));
  std::sort(l.axes.begin(), l.axes.end());
  const auto repeated = std::adjacent_find(l.axes.begin(), l.axes.end());
  DESCENT_CHECK(repeated == l.axes.end(), op, "repeated axis ", repeated == l.axes.end() ? 0 : *repeated,
                " in a reduction over shape ", to_string(shape));
  l.kept = shape;
  for (auto a : l.axes) {
    l.extent *= shape[a];
    l.kept[a] = 1;
  }
  l.out_numel = numel(l.kept);
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (keepdim || !std::binary_search(l.axes.begin(), l.axes.end(), i)) l.result.push_back(l.kept[i]);
  if (x.numel() == 0) return l;

  // Merge: drop axes of length 1, join neighbours of the same kind.
  std::vector<bool> reduced;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    const bool r = std::binary_search(l.axes.begin(), l.axes.end(), i);
    if (!reduced.empty() && reduced.back() == r) {
      l.runs.back() *= shape[i];
    } else {
      l.runs.push_back(shape[i]);
      reduced.push_back(r);
    }
  }
  if (l.runs.empty()) {  // a single element
    l.runs.push_back(1);
    reduced.push_back(false);
  }
  l.out_strides.resize(l.runs.size());
  std::ptrdiff_t stride = 1;
  for (std::size_t d = l.runs.size(); d-- > 0;) {
    l.out_strides[d] = reduced[d] ? 0 : stride;
    if (!reduced[d]) stride *= static_cast<std::ptrdiff_t>(l.runs[d]);
  }
  l.last_reduced = reduced.back();
  return l;
}

ReduceLayout reduce_layout_all(const Tensor& x) {
  Axes all(x.dim());
  for (std::size_t i = 0; i < x.dim(); ++i) all[i] = static_cast<std::ptrdiff_t>(i);
  return reduce_layout("reduce", x, all, false);
}

}  // namespace descent::kernels
