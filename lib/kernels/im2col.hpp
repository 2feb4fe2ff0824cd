#pragma once
// im2col / col2im: the unrolling that turns a convolution into one matrix product. A 1-D
// convolution is the 2-D one with height 1.
//
// For one image x (C×H×W) and a kh×kw kernel, column matrix row (c, ki, kj) holds, at output
// position (y, x), the input pixel that tap meets: x[c][y·sh − ph + ki·dh][x·sw − pw + kj·dw], or 0
// in the padding. Then conv = W (O × C·kh·kw) · col (C·kh·kw × OH·OW).
#include <algorithm>
#include <cstddef>

namespace descent::kernels {

/// Where a convolution's taps land: input (C×H×W), output (OH×OW), kernel, stride, the padding
/// before each axis (top, left; the padding after only decides OH and OW, which are given), dilation.
struct ConvGeometry {
  std::size_t n = 1, c = 1, h = 1, w = 1;  ///< input: batch, channels, height, width
  std::size_t o = 1, oh = 1, ow = 1;       ///< output channels, height, width
  std::size_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;

  std::size_t in_image() const { return c * h * w; }
  std::size_t out_image() const { return o * oh * ow; }
  std::size_t spatial() const { return oh * ow; }
  /// Rows of one group's column matrix: its input channels times the kernel's taps.
  std::size_t group_rows() const { return c / groups * kh * kw; }
  /// A kernel that reads each input pixel once in place: the image is its own column matrix.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

/// The output positions [first, last) of one axis whose tap at `offset` (= k·d − p) lands inside
/// [0, size): first·s + offset >= 0 and (last − 1)·s + offset < size.
inline void valid_range(std::ptrdiff_t offset, std::size_t size, std::size_t stride, std::size_t count,
                        std::size_t& first, std::size_t& last) {
  const auto s = static_cast<std::ptrdiff_t>(stride), n = static_cast<std::ptrdiff_t>(size);
  const std::ptrdiff_t lo = offset >= 0 ? 0 : (-offset + s - 1) / s;
  const std::ptrdiff_t hi = n - offset <= 0 ? 0 : (n - offset + s - 1) / s;
  first = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(lo, 0, static_cast<std::ptrdiff_t>(count)));
  last = std::max(first, static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(hi, 0, static_cast<std::ptrdiff_t>(count))));
}

/// Visits each (column row, output row y) of one image with where that row starts in a column
/// matrix of row stride `ld`, whether it is inside the input, the input element its first valid
/// output column reads and the valid output columns [x0, x1): the loop shared by im2col (copy) and
/// col2im (accumulate).
template <class Visit> void for_each_tap_row(const ConvGeometry& g, std::size_t ld, Visit&& visit) {
  for (std::size_t c = 0; c < g.c; ++c)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        const std::size_t row = (c * g.kh + ki) * g.kw + kj;
        const std::ptrdiff_t off_h = static_cast<std::ptrdiff_t>(ki * g.dh) - static_cast<std::ptrdiff_t>(g.ph);
        const std::ptrdiff_t off_w = static_cast<std::ptrdiff_t>(kj * g.dw) - static_cast<std::ptrdiff_t>(g.pw);
        std::size_t y0, y1, x0, x1;
        valid_range(off_h, g.h, g.sh, g.oh, y0, y1);
        valid_range(off_w, g.w, g.sw, g.ow, x0, x1);
        for (std::size_t y = 0; y < g.oh; ++y) {
          const bool inside = y >= y0 && y < y1 && x0 < x1;
          const std::size_t in_row = inside ? c * g.h + static_cast<std::size_t>(static_cast<std::ptrdiff_t>(y * g.sh) + off_h) : 0;
          const std::size_t in_col = inside ? static_cast<std::size_t>(static_cast<std::ptrdiff_t>(x0 * g.sw) + off_w) : 0;
          visit(row * ld + y * g.ow, inside, in_row * g.w + in_col, x0, x1);
        }
      }
}

/// Whether each tap's column row is the image plane shifted by a constant: stride 1 and an output
/// as wide as the input (e.g. padding "same"), so that a tap row is one contiguous copy.
inline bool shifted_planes(const ConvGeometry& g) { return g.sh == 1 && g.sw == 1 && g.ow == g.w; }

/// im2col for shifted_planes geometries: per tap, one copy of the valid block of the plane (rows
/// [y0, y1), whose column gaps x < x0 and x >= x1 are read from the neighbouring input row and then
/// zeroed), zeros above and below. The block's reads stay inside the plane.
template <class T> void im2col_shifted(const T* __restrict x, const ConvGeometry& g, std::size_t ld, T* __restrict col) {
  const std::size_t ow = g.ow, sp = g.spatial();
  for (std::size_t c = 0; c < g.c; ++c)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        const std::ptrdiff_t off_h = static_cast<std::ptrdiff_t>(ki * g.dh) - static_cast<std::ptrdiff_t>(g.ph);
        const std::ptrdiff_t off_w = static_cast<std::ptrdiff_t>(kj * g.dw) - static_cast<std::ptrdiff_t>(g.pw);
        std::size_t y0, y1, x0, x1;
        valid_range(off_h, g.h, 1, g.oh, y0, y1);
        valid_range(off_w, g.w, 1, ow, x0, x1);
        T* __restrict dst = col + ((c * g.kh + ki) * g.kw + kj) * ld;
        if (y0 >= y1 || x0 >= x1) {
          std::fill(dst, dst + sp, T(0));
          continue;
        }
        const std::size_t k0 = y0 * ow + x0, k1 = (y1 - 1) * ow + x1;  // the valid block [k0, k1)
        const T* src = x + c * g.h * g.w + (off_h * static_cast<std::ptrdiff_t>(g.w) + off_w);
        std::fill(dst, dst + k0, T(0));
        std::copy(src + k0, src + k1, dst + k0);
        std::fill(dst + k1, dst + sp, T(0));
        // the gaps between valid rows; one element for a 3×3 kernel with padding 1, stored directly
        // (a fill call per row of 14 would cost more than the copy)
        const std::size_t gap = ow - x1 + x0;
        if (gap == 1)
          for (std::size_t y = y0; y + 1 < y1; ++y) dst[y * ow + x1] = T(0);
        else if (gap > 1)
          for (std::size_t y = y0; y + 1 < y1; ++y) std::fill(dst + y * ow + x1, dst + (y + 1) * ow + x0, T(0));
      }
}

/// col (C·kh·kw × OH·OW, row stride ld: images of a chunk side by side) = the column matrix of one
/// image x (C×H×W).
template <class T> void im2col(const T* __restrict x, const ConvGeometry& g, std::size_t ld, T* __restrict col) {
  if (shifted_planes(g)) return im2col_shifted(x, g, ld, col);
  const std::size_t sw = g.sw, ow = g.ow;
  for_each_tap_row(g, ld, [&](std::size_t out, bool inside, std::size_t in, std::size_t x0, std::size_t x1) {
    T* __restrict dst = col + out;
    if (!inside) {
      std::fill(dst, dst + ow, T(0));
      return;
    }
    std::fill(dst, dst + x0, T(0));
    const T* __restrict src = x + in;
    if (sw == 1)
      std::copy(src, src + (x1 - x0), dst + x0);
    else
      for (std::size_t i = 0; i < x1 - x0; ++i) dst[x0 + i] = src[i * sw];
    std::fill(dst + x1, dst + ow, T(0));
  });
}

/// x (C×H×W) += the column matrix col folded back: each entry added to the pixel it was read from
/// (the adjoint of im2col).
template <class T> void col2im_add(const T* __restrict col, const ConvGeometry& g, std::size_t ld, T* __restrict x) {
  const std::size_t sw = g.sw;
  for_each_tap_row(g, ld, [&](std::size_t out, bool inside, std::size_t in, std::size_t x0, std::size_t x1) {
    if (!inside) return;
    const T* __restrict src = col + out + x0;
    T* __restrict dst = x + in;
    if (sw == 1)
      for (std::size_t i = 0; i < x1 - x0; ++i) dst[i] += src[i];
    else
      for (std::size_t i = 0; i < x1 - x0; ++i) dst[i * sw] += src[i];
  });
}

}  // namespace descent::kernels
