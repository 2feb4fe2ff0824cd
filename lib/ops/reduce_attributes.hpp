#pragma once
// What a reduction reports to an active tracer (autograd/trace.hpp): its axes and keepdims, as
// ONNX's Reduce* ops take them. Shared by reduce.cpp and reduce_extrema.cpp.
#include "descent/autograd/trace.hpp"
#include "kernels/reduce.hpp"

namespace descent::detail {

inline autograd::TraceAttributes reduce_attributes(const kernels::ReduceLayout& l) {
  return {{"axes", l.axes}, {"keepdims", l.result.size() == l.kept.size()}};
}

}  // namespace descent::detail
