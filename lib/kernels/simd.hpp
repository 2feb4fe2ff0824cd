#pragma once
// One-pass elementwise update loops over contiguous arrays (the optimizers' updates), vectorised
// with xsimd. The loop body is written once as a generic lambda body(i, V{}) and runs on
// xsimd::batch<T> lanes, then on the scalar tail with V = T. Why not a plain loop: without
// -fno-math-errno, GCC does not vectorise a loop that calls std::sqrt (errno handling is control
// flow), which made Adam ~8x slower per element.
#include "detail/gcc12_avx512_warnings.hpp"  // first: GCC 12's false warnings in AVX-512 sqrt/max

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace descent::kernels::simd {

template <class T, class Body> inline void for_each(std::size_t n, Body&& body) {
  using Batch = xsimd::batch<T>;
  constexpr std::size_t width = Batch::size;
  const std::size_t vector_end = n - n % width;
  for (std::size_t i = 0; i < vector_end; i += width) body(i, Batch{});
  for (std::size_t i = vector_end; i < n; ++i) body(i, T{});
}

/// V's worth of elements from p (one value, or one batch).
template <class V, class T> inline V load(const T* p) {
  if constexpr (std::is_same_v<V, T>)
    return *p;
  else
    return V::load_unaligned(p);
}

template <class T> inline void store(T* p, T value) { *p = value; }
template <class T, class A> inline void store(T* p, const xsimd::batch<T, A>& value) { value.store_unaligned(p); }

template <class T> inline T sqrt(T x) { return std::sqrt(x); }
template <class T, class A> inline xsimd::batch<T, A> sqrt(const xsimd::batch<T, A>& x) { return xsimd::sqrt(x); }

template <class T> inline T max(T a, T b) { return std::max(a, b); }
template <class T, class A> inline xsimd::batch<T, A> max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) {
  return xsimd::max(a, b);
}

}  // namespace descent::kernels::simd
