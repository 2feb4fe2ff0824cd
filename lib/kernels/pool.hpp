#pragma once
// Pooling loops over planes (the N·C images of an (N, C, H, W) tensor, contiguous): max pooling with
// its argmax, average pooling and its adjoint, and the gather / scatter at saved indices that max
// pooling's backward and double backward are. Regular and adaptive windows share the loops through
// PoolAxis, which gives each output position its window along one axis.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "detail/parallel.hpp"

namespace descent::kernels {

/// One output position's window along an axis: `taps` input positions first, first + step, ...
/// inside the input, and the divisor average pooling uses there.
struct Window {
  std::size_t first = 0, taps = 0, divisor = 1;
};

/// The windows along one axis: PyTorch's regular (kernel, stride, padding, dilation) windows, or
/// adaptive ones [floor(o·in/out), ceil((o+1)·in/out)).
struct PoolAxis {
  std::size_t in = 1, out = 1;
  std::ptrdiff_t kernel = 1, stride = 1, padding = 0, dilation = 1;
  bool adaptive = false;
  bool count_include_pad = true;  ///< average pooling: divide by the window clipped to the padded input

  std::ptrdiff_t step() const { return adaptive ? 1 : dilation; }

  Window at(std::size_t o) const {
    const auto n = static_cast<std::ptrdiff_t>(in);
    if (adaptive) {
      const std::size_t first = o * in / out, end = ((o + 1) * in + out - 1) / out;
      return {first, end - first, end - first};
    }
    const std::ptrdiff_t start = static_cast<std::ptrdiff_t>(o) * stride - padding;
    std::ptrdiff_t j0, j1;  // the taps j in [j0, j1] land inside the input
    if (dilation == 1) {    // (no division on the common path)
      j0 = std::max<std::ptrdiff_t>(0, -start);
      j1 = std::min(kernel - 1, n - 1 - start);
    } else {
      j0 = start < 0 ? (-start + dilation - 1) / dilation : 0;
      j1 = n - 1 - start < 0 ? -1 : std::min(kernel - 1, (n - 1 - start) / dilation);
    }
    const std::ptrdiff_t taps = std::max<std::ptrdiff_t>(0, j1 - j0 + 1);
    // PyTorch's avg_pool divisor with count_include_pad: the window cut at the end of the right padding
    const std::ptrdiff_t padded = std::min(start + kernel, n + padding) - start;
    return {static_cast<std::size_t>(start + j0 * dilation), static_cast<std::size_t>(taps),
            static_cast<std::size_t>(count_include_pad ? padded : taps)};
  }
};

/// The extent of a pooling: planes of h.in × w.in in, h.out × w.out out.
struct PoolGeometry {
  std::size_t planes = 0;
  PoolAxis h, w;
  std::size_t in_plane() const { return h.in * w.in; }
  std::size_t out_plane() const { return h.out * w.out; }
};

/// Planes per thread at least (detail::parallel_for): ~64K input values.
inline std::size_t plane_grain(std::size_t in_plane) {
  return std::max<std::size_t>(1, (std::size_t(1) << 16) / std::max<std::size_t>(in_plane, 1));
}

/// The windows of every output position along one axis, computed once per call into a reused
/// per-thread buffer (slot 0 for h, 1 for w): Window::at's arithmetic stays out of the inner loops.
inline const Window* axis_windows(const PoolAxis& a, int slot) {
  thread_local std::vector<Window> cache[2];
  std::vector<Window>& ws = cache[slot];
  ws.resize(a.out);
  for (std::size_t o = 0; o < a.out; ++o) ws[o] = a.at(o);
  return ws.data();
}

/// Calls visit(plane, window along h, window along w) for every output position in row-major order.
template <class Visit> void for_each_window(const PoolGeometry& g, Visit visit) {
  const Window* hs = axis_windows(g.h, 0);
  const Window* ws = axis_windows(g.w, 1);
  for (std::size_t p = 0; p < g.planes; ++p)
    for (std::size_t oh = 0; oh < g.h.out; ++oh)
      for (std::size_t ow = 0; ow < g.w.out; ++ow) visit(p, hs[oh], ws[ow]);
}

/// Whether the windows along an axis are 2 adjacent taps each, 2 apart (kernel 2, stride 2, every
/// window inside the input): W5's MaxPool2d(2), taken by a plane kernel the compiler vectorises.
inline bool adjacent_pairs(const Window* ws, std::size_t n, std::ptrdiff_t step) {
  if (step != 1) return false;
  for (std::size_t o = 0; o < n; ++o)
    if (ws[o].taps != 2 || ws[o].first != ws[0].first + 2 * o) return false;
  return true;
}

/// A take-if-larger step of a running maximum: a NaN wins; on ties the earlier position stays.
template <class T> inline void take_max(T v, std::int64_t at, T& best, std::int64_t& best_at) {
  const bool take = v > best || v != v;
  best = take ? v : best;
  best_at = take ? at : best_at;
}

/// One plane of 2×2 windows whose top-left taps are at `first` (in-plane offsets; W the input row
/// length): a loop over the whole output plane, which the compiler vectorises with gathers.
template <class T>
void max_pool_plane_2x2(const T* __restrict xp, const std::int32_t* __restrict first, std::size_t n, std::int32_t W,
                        T* __restrict y, std::int64_t* __restrict idx) {
  for (std::size_t o = 0; o < n; ++o) {
    const std::int32_t a = first[o];
    T best = xp[a];
    std::int64_t at = a;
    take_max(xp[a + 1], a + 1, best, at);
    take_max(xp[a + W], a + W, best, at);
    take_max(xp[a + W + 1], a + W + 1, best, at);
    y[o] = best;
    idx[o] = at;
  }
}

/// y = the maximum of each window, idx = its position in the plane (row-major; the first maximum,
/// NaN wins as in PyTorch; -1 for a window with no input position in it, whose y is -inf).
template <class T> void max_pool_forward(const T* x, T* y, std::int64_t* idx, const PoolGeometry& g) {
  const std::size_t W = g.w.in, OW = g.w.out, out_plane = g.out_plane();
  const auto sh = static_cast<std::size_t>(g.h.step()), sw = static_cast<std::size_t>(g.w.step());
  const Window* hs = axis_windows(g.h, 0);
  const Window* ws = axis_windows(g.w, 1);
  if (adjacent_pairs(hs, g.h.out, g.h.step()) && adjacent_pairs(ws, OW, g.w.step()) &&
      g.in_plane() < (std::size_t(1) << 30)) {
    thread_local std::vector<std::int32_t> table;
    table.resize(out_plane);
    for (std::size_t oh = 0; oh < g.h.out; ++oh)
      for (std::size_t ow = 0; ow < OW; ++ow)
        table[oh * OW + ow] = static_cast<std::int32_t>(hs[oh].first * W + ws[ow].first);
    const std::int32_t* first = table.data();  // (the workers' own thread_local tables are empty)
    detail::parallel_for(g.planes, plane_grain(g.in_plane()), [&](std::size_t p_begin, std::size_t p_end) {
      for (std::size_t p = p_begin; p < p_end; ++p)
        max_pool_plane_2x2(x + p * g.in_plane(), first, out_plane, static_cast<std::int32_t>(W),
                           y + p * out_plane, idx + p * out_plane);
    });
    return;
  }
  detail::parallel_for(g.planes, plane_grain(g.in_plane()), [&](std::size_t p_begin, std::size_t p_end) {
    for (std::size_t p = p_begin; p < p_end; ++p) {
      const T* xp = x + p * g.in_plane();
      T* yp = y + p * out_plane;
      std::int64_t* ip = idx + p * out_plane;
      for (std::size_t oh = 0; oh < g.h.out; ++oh)
        for (std::size_t ow = 0; ow < OW; ++ow, ++yp, ++ip) {
          const Window wh = hs[oh], ww = ws[ow];
          if (wh.taps == 0 || ww.taps == 0) {
            *yp = -std::numeric_limits<T>::infinity();
            *ip = -1;
            continue;
          }
          const std::size_t first = wh.first * W + ww.first;
          T best = xp[first];
          std::int64_t best_at = static_cast<std::int64_t>(first);
          for (std::size_t i = 0; i < wh.taps; ++i)
            for (std::size_t j = 0; j < ww.taps; ++j) {
              const std::size_t at = first + i * sh * W + j * sw;
              take_max(xp[at], static_cast<std::int64_t>(at), best, best_at);
            }
          *yp = best;
          *ip = best_at;
        }
    }
  });
}

/// dst[p, o] = src[p, idx[p, o]] (0 where idx is -1): max pooling's values at its saved argmax.
template <class T>
void gather_planes(const T* src, const std::int64_t* idx, T* dst, std::size_t planes, std::size_t in_plane,
                   std::size_t out_plane) {
  detail::parallel_for(planes, plane_grain(in_plane), [&](std::size_t p_begin, std::size_t p_end) {
    for (std::size_t p = p_begin; p < p_end; ++p)
      for (std::size_t o = p * out_plane; o < (p + 1) * out_plane; ++o)
        dst[o] = idx[o] < 0 ? T(0) : src[p * in_plane + static_cast<std::size_t>(idx[o])];
  });
}

/// dst[p, idx[p, o]] += src[p, o], dst zeroed first: the adjoint of gather_planes.
template <class T>
void scatter_planes(const T* src, const std::int64_t* idx, T* dst, std::size_t planes, std::size_t in_plane,
                    std::size_t out_plane) {
  detail::parallel_for(planes, plane_grain(in_plane), [&](std::size_t p_begin, std::size_t p_end) {
    std::fill(dst + p_begin * in_plane, dst + p_end * in_plane, T(0));
    for (std::size_t p = p_begin; p < p_end; ++p) {
      T* plane = dst + p * in_plane;
      for (std::size_t o = p * out_plane; o < (p + 1) * out_plane; ++o)
        if (idx[o] >= 0) plane[idx[o]] += src[o];
    }
  });
}

/// y = each window's sum / its divisor (summed in double).
template <class T> void avg_pool_forward(const T* x, T* y, const PoolGeometry& g) {
  const std::size_t W = g.w.in;
  const std::ptrdiff_t sh = g.h.step(), sw = g.w.step();
  for_each_window(g, [&](std::size_t p, Window wh, Window ww) {
    const T* xp = x + p * g.in_plane();
    double sum = 0;
    for (std::size_t i = 0; i < wh.taps; ++i) {
      const T* row = xp + (wh.first + i * sh) * W + ww.first;
      for (std::size_t j = 0; j < ww.taps; ++j) sum += row[j * sw];
    }
    *y++ = static_cast<T>(sum / static_cast<double>(wh.divisor * ww.divisor));
  });
}

/// dx = the adjoint of avg_pool_forward applied to g: each g spread over its window / the divisor.
template <class T> void avg_pool_adjoint(const T* g, T* dx, const PoolGeometry& geo) {
  const std::size_t W = geo.w.in;
  const std::ptrdiff_t sh = geo.h.step(), sw = geo.w.step();
  std::fill(dx, dx + geo.planes * geo.in_plane(), T(0));
  for_each_window(geo, [&](std::size_t p, Window wh, Window ww) {
    T* dp = dx + p * geo.in_plane();
    const T share = static_cast<T>(static_cast<double>(*g++) / static_cast<double>(wh.divisor * ww.divisor));
    for (std::size_t i = 0; i < wh.taps; ++i) {
      T* row = dp + (wh.first + i * sh) * W + ww.first;
      for (std::size_t j = 0; j < ww.taps; ++j) row[j * sw] += share;
    }
  });
}

}  // namespace descent::kernels
