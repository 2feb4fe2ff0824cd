#pragma once
// Resampling loops: pad (constant / reflect / replicate, over any axes) and interpolate (nearest,
// bilinear) with their adjoints. Each output element reads input elements through a per-axis index
// rule (PadAxis, ResampleAxis), computed on the fly: no tables.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace descent::kernels {

enum class PadMode { constant, reflect, replicate };

/// One axis of a pad: out = before + in + after; source(o) is the input position output o reads,
/// -1 where a constant pad fills it.
struct PadAxis {
  std::ptrdiff_t in = 1, out = 1, before = 0;
  PadMode mode = PadMode::constant;
  std::ptrdiff_t source(std::ptrdiff_t o) const {
    const std::ptrdiff_t i = o - before;
    if (i >= 0 && i < in) return i;
    switch (mode) {
      case PadMode::constant: return -1;
      case PadMode::reflect: return i < 0 ? -i : 2 * (in - 1) - i;  // the edge itself is not repeated
      case PadMode::replicate: break;
    }
    return i < 0 ? 0 : in - 1;
  }
};

/// Walks a pad's output in row-major order: element(out_pos, in_offset) for each element read from
/// the input, fill(out_pos, count) for each run of constant fill. in_strides are x's (contiguous).
template <class Element, class Fill>
void pad_walk(const std::vector<PadAxis>& axes, const std::vector<std::ptrdiff_t>& in_strides, Element element,
              Fill fill) {
  std::vector<std::size_t> block(axes.size() + 1, 1);  // output elements below each axis
  for (std::size_t a = axes.size(); a-- > 0;) block[a] = block[a + 1] * static_cast<std::size_t>(axes[a].out);
  std::size_t pos = 0;
  const auto walk = [&](const auto& self, std::size_t a, std::ptrdiff_t offset) -> void {
    const PadAxis& ax = axes[a];
    for (std::ptrdiff_t o = 0; o < ax.out; ++o) {
      const std::ptrdiff_t s = ax.source(o);
      if (s < 0) {
        fill(pos, block[a + 1]);
        pos += block[a + 1];
      } else if (a + 1 == axes.size()) {
        element(pos++, offset + s);
      } else {
        self(self, a + 1, offset + s * in_strides[a]);
      }
    }
  };
  if (!axes.empty() && block[0] > 0) walk(walk, 0, 0);
}

/// One output position's two taps along an axis: value = l0·x[i0] + l1·x[i1] (nearest: x[i0] alone).
struct Taps {
  std::size_t i0 = 0, i1 = 0;
  double l0 = 1, l1 = 0;
};

/// PyTorch's index rules (aten/src/ATen/native/UpSample.h) along one axis. scale is the
/// scale_factor when given (0 otherwise: in/out is used).
struct ResampleAxis {
  std::size_t in = 1, out = 1;
  bool bilinear = false, align_corners = false;
  double scale_factor = 0;

  /// nearest: floor(o·in/out) in float, as PyTorch's nearest_idx (with its exact paths for 1× and 2×).
  std::size_t nearest(std::size_t o) const {
    if (out == in) return o;
    if (out == 2 * in) return o >> 1;
    const float scale = scale_factor > 0 ? static_cast<float>(1.0 / scale_factor)
                                         : static_cast<float>(in) / static_cast<float>(out);
    return std::min(static_cast<std::size_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
  }

  /// bilinear: area_pixel_compute_scale and area_pixel_compute_source_index, in T.
  template <class T> Taps linear(std::size_t o) const {
    T scale;
    if (align_corners) scale = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
    else scale = scale_factor > 0 ? static_cast<T>(1.0 / scale_factor) : static_cast<T>(in) / static_cast<T>(out);
    const T real = align_corners ? scale * static_cast<T>(o)
                                 : std::max(scale * (static_cast<T>(o) + T(0.5)) - T(0.5), T(0));
    const auto i0 = static_cast<std::size_t>(real);
    const T l1 = real - static_cast<T>(i0);
    return {i0, i0 + (i0 + 1 < in ? 1 : 0), 1 - static_cast<double>(l1), static_cast<double>(l1)};
  }
};

/// y = interpolate(x) over planes of h.in × w.in.
template <class T>
void interpolate_forward(const T* x, T* y, std::size_t planes, const ResampleAxis& h, const ResampleAxis& w) {
  for (std::size_t p = 0; p < planes; ++p, x += h.in * w.in) {
    for (std::size_t oh = 0; oh < h.out; ++oh) {
      if (!h.bilinear) {
        const T* row = x + h.nearest(oh) * w.in;
        for (std::size_t ow = 0; ow < w.out; ++ow) *y++ = row[w.nearest(ow)];
        continue;
      }
      const Taps th = h.linear<T>(oh);
      const T* r0 = x + th.i0 * w.in;
      const T* r1 = x + th.i1 * w.in;
      for (std::size_t ow = 0; ow < w.out; ++ow) {
        const Taps tw = w.linear<T>(ow);
        *y++ = static_cast<T>(th.l0 * (tw.l0 * r0[tw.i0] + tw.l1 * r0[tw.i1]) +
                              th.l1 * (tw.l0 * r1[tw.i0] + tw.l1 * r1[tw.i1]));
      }
    }
  }
}

/// dx = the adjoint of interpolate_forward applied to g (each g added back to its taps, weighted).
template <class T>
void interpolate_adjoint(const T* g, T* dx, std::size_t planes, const ResampleAxis& h, const ResampleAxis& w) {
  std::fill(dx, dx + planes * h.in * w.in, T(0));
  for (std::size_t p = 0; p < planes; ++p, dx += h.in * w.in) {
    for (std::size_t oh = 0; oh < h.out; ++oh) {
      if (!h.bilinear) {
        T* row = dx + h.nearest(oh) * w.in;
        for (std::size_t ow = 0; ow < w.out; ++ow) row[w.nearest(ow)] += *g++;
        continue;
      }
      const Taps th = h.linear<T>(oh);
      T* r0 = dx + th.i0 * w.in;
      T* r1 = dx + th.i1 * w.in;
      for (std::size_t ow = 0; ow < w.out; ++ow, ++g) {
        const Taps tw = w.linear<T>(ow);
        const double v = static_cast<double>(*g);
        r0[tw.i0] += static_cast<T>(th.l0 * tw.l0 * v);
        r0[tw.i1] += static_cast<T>(th.l0 * tw.l1 * v);
        r1[tw.i0] += static_cast<T>(th.l1 * tw.l0 * v);
        r1[tw.i1] += static_cast<T>(th.l1 * tw.l1 * v);
      }
    }
  }
}

}  // namespace descent::kernels
