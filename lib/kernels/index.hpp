#pragma once
// Indexing kernels over contiguous values: rows taken or added by index (embedding), elements
// gathered or added along an axis (gather, scatter_add), triangles (triu, tril), one-hot rows,
// masked fills and cumulative sums. Indices are checked by the ops before they get here. Nothing
// is recorded.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "descent/shape.hpp"
#include "detail/parallel.hpp"
#include "kernels/elementwise.hpp"

namespace descent::kernels {

/// out row j = table row index[j], rows of `width` values (embedding's forward): one copy per row,
/// rows split over threads. A row whose index is `zeroed` (when >= 0) is written as zeros instead.
template <class T>
void take_rows(const T* table, const std::int64_t* index, std::size_t count, std::size_t width, T* out,
               std::int64_t zeroed = -1) {
  const std::size_t grain = std::max<std::size_t>(1, elementwise_grain / std::max<std::size_t>(1, width));
  detail::parallel_for(count, grain, [&](std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      T* row = out + j * width;
      if (index[j] == zeroed) std::fill_n(row, width, T(0));
      else std::copy_n(table + static_cast<std::size_t>(index[j]) * width, width, row);
    }
  });
}

/// table row index[j] += rows row j for every j, skipping the rows whose index is `skipped` (when
/// >= 0): embedding's backward, one pass in order (repeated indices accumulate).
template <class T>
void add_rows(const T* rows, const std::int64_t* index, std::size_t count, std::size_t width, T* table,
              std::int64_t skipped = -1) {
  for (std::size_t j = 0; j < count; ++j) {
    if (index[j] == skipped) continue;
    T* dst = table + static_cast<std::size_t>(index[j]) * width;
    const T* src = rows + j * width;
    for (std::size_t k = 0; k < width; ++k) dst[k] += src[k];
  }
}

/// f(k, a, b) for every element k (row-major) of a tensor of shape `shape`: a and b are its element
/// offsets under strides `sa` and `sb`. gather and scatter_add walk their index with it, one side's
/// stride along the indexed axis set to 0 (the index value supplies that term).
template <class F> void for_each_offset(const Shape& shape, const Strides& sa, const Strides& sb, F f) {
  const std::size_t total = numel(shape);
  if (total == 0) return;
  if (shape.empty()) return f(std::size_t{0}, std::ptrdiff_t{0}, std::ptrdiff_t{0});
  const std::size_t last = shape.size() - 1, n = shape[last];
  Shape position(shape.size(), 0);
  std::ptrdiff_t a = 0, b = 0;
  for (std::size_t k = 0; k < total; k += n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto step = static_cast<std::ptrdiff_t>(i);
      f(k + i, a + step * sa[last], b + step * sb[last]);
    }
    for (std::size_t d = last; d-- > 0;) {  // the odometer over the axes before the last
      a += sa[d];
      b += sb[d];
      if (++position[d] < shape[d]) break;
      a -= sa[d] * static_cast<std::ptrdiff_t>(shape[d]);
      b -= sb[d] * static_cast<std::ptrdiff_t>(shape[d]);
      position[d] = 0;
    }
  }
}

/// The `rows`×`cols` matrices of x (`batch` of them) with the elements outside a triangle zeroed:
/// upper keeps column - row >= diagonal (triu), lower keeps column - row <= diagonal (tril).
template <class T>
void triangle(const T* x, T* out, std::size_t batch, std::size_t rows, std::size_t cols, std::int64_t diagonal,
              bool upper) {
  const auto clamp = [cols](std::int64_t c) {
    return static_cast<std::size_t>(std::clamp<std::int64_t>(c, 0, static_cast<std::int64_t>(cols)));
  };
  for (std::size_t m = 0; m < batch; ++m)
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t offset = (m * rows + r) * cols;
      const T* in = x + offset;
      T* o = out + offset;
      // the kept columns of this row are [first, last)
      const auto row = static_cast<std::int64_t>(r);
      const std::size_t first = upper ? clamp(row + diagonal) : 0, last = upper ? cols : clamp(row + diagonal + 1);
      std::fill_n(o, first, T(0));
      std::copy(in + first, in + std::max(first, last), o + first);
      std::fill(o + std::max(first, last), o + cols, T(0));
    }
}

/// out (contiguous, of shape `shape`) = value where `mask` (contiguous, broadcasting to shape) is true.
template <class T> void fill_where(T* out, const Shape& shape, const Tensor& mask, T value) {
  const bool* m = mask.data<bool>();
  for_each_broadcast_run<1>(shape, {&mask}, [&](std::size_t start, std::size_t n, const auto& offset, const auto& step) {
    const bool* k = m + offset[0];
    T* o = out + start;
    for (std::size_t i = 0; i < n; ++i)
      if (k[i * step[0]]) o[i] = value;
  });
}

/// out (zeros, `count` rows of `classes`) with a 1 at column index[j] of row j (one_hot).
inline void one_hot_rows(const std::int64_t* index, std::size_t count, std::size_t classes, std::int64_t* out) {
  for (std::size_t j = 0; j < count; ++j) out[j * classes + static_cast<std::size_t>(index[j])] = 1;
}

/// Cumulative sums along the middle axis of values laid out (outer, length, inner), accumulated in
/// A (double for float32, as PyTorch's CPU kernel); `reverse` sums from the end (cumsum's backward).
template <class A, class T, class O>
void cumulative_sum(const T* x, O* out, std::size_t outer, std::size_t length, std::size_t inner, bool reverse) {
  std::vector<A> total(inner);
  for (std::size_t o = 0; o < outer; ++o) {
    std::fill(total.begin(), total.end(), A(0));
    for (std::size_t step = 0; step < length; ++step) {
      const std::size_t r = reverse ? length - 1 - step : step;
      const std::size_t offset = (o * length + r) * inner;
      for (std::size_t j = 0; j < inner; ++j) {
        total[j] += static_cast<A>(x[offset + j]);
        out[offset + j] = static_cast<O>(total[j]);
      }
    }
  }
}

}  // namespace descent::kernels
