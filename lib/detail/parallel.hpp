#pragma once
// parallel_for: the one way a kernel uses more than one thread (descent/parallel.hpp).
#include <cstddef>

namespace descent::detail {

/// A borrowed callable void(begin, end), without std::function's allocation.
class RangeBody {
 public:
  template <class F>
  RangeBody(F& f) : object_(&f), call_([](void* o, std::size_t b, std::size_t e) { (*static_cast<F*>(o))(b, e); }) {}
  void operator()(std::size_t begin, std::size_t end) const { call_(object_, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, std::size_t, std::size_t);
};

/// Runs body(begin, end) over contiguous parts of [0, n) that cover it once, in parallel when
/// there are at least 2·grain items and the pool is free (another thread's parallel region, or a
/// call from inside one, runs serially here instead of waiting). Parts are at least `grain` items
/// (choose it so that a part is ≥ ~50 µs of work). body must write only its part's outputs.
/// Always through the one out-of-line call: a kernel's body is compiled once, not also inline for
/// the serial case (the kernels are large template instantiations; compile time matters).
void parallel_for_impl(std::size_t n, std::size_t grain, RangeBody body);

template <class F> void parallel_for(std::size_t n, std::size_t grain, F&& body) {
  parallel_for_impl(n, grain, RangeBody(body));
}

}  // namespace descent::detail
