#pragma once
// Raw-loop kernels of batch_norm and layer_norm (lib/ops/norm.cpp).
//
// batch_norm: x is a contiguous (N, C, S) array (S = L or H·W, 1 for (N, C)) and every channel c
// is normalised over its N·S values, the N runs of S at x + (n·C + c)·S. Each is one pass per
// channel (channels split over the intra-op threads), so that the second read of a channel
// (statistics, then normalising) comes from cache: on (128, 32, 28, 28) a channel is 400 KB.
//
// layer_norm: x is a contiguous (R, D) array, every row normalised over its D values, each row one
// pass for the statistics and one for the result, rows split over the threads; the weight and
// bias gradients are summed per block of rows and the blocks added in order, so the result does
// not depend on the number of threads.
//
// Statistics accumulate in double for float32 too, like the reductions (kernels/reduce.hpp), and
// are kept in double: a float32 mean far from 0 against the spread would round by a sizeable part
// of the spread (300 ± 0.01: by 0.2%).
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "detail/parallel.hpp"

namespace descent::kernels {

struct ChannelLayout {
  std::size_t batch, channels, inner;  ///< N, C, S
  std::size_t count() const { return batch * inner; }  ///< values per channel, M = N·S
  /// Channels per thread at least (detail::parallel_for): ~64K values.
  std::size_t channel_grain() const { return std::max<std::size_t>(1, (std::size_t(1) << 16) / std::max<std::size_t>(count(), 1)); }
};

/// Runs f(offset) for the N runs of S values of channel c.
template <class F> void for_each_channel_run(const ChannelLayout& l, std::size_t c, F&& f) {
  for (std::size_t n = 0; n < l.batch; ++n) f((n * l.channels + c) * l.inner);
}

/// Σ (x - k) and Σ (x - k)² over n values in double, 8 independent accumulators each (so that the
/// compiler vectorises them without reordering a sum).
template <class T> void shifted_sums(const T* x, std::size_t n, double k, double& s1, double& s2) {
  constexpr std::size_t K = 8;
  double a[K] = {}, b[K] = {};
  std::size_t i = 0;
  for (; i + K <= n; i += K)
    for (std::size_t j = 0; j < K; ++j) {
      const double d = static_cast<double>(x[i + j]) - k;
      a[j] += d;
      b[j] += d * d;
    }
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - k;
    a[0] += d;
    b[0] += d * d;
  }
  for (std::size_t j = 0; j < K; ++j) {
    s1 += a[j];
    s2 += b[j];
  }
}

/// Σ g and Σ g·(x - m) over n values in double, as shifted_sums; with a weight w (not null), of
/// g·w instead of g.
template <class T>
void gradient_sums(const T* g, const T* x, std::size_t n, double m, double& sg, double& sgx, const T* w = nullptr) {
  constexpr std::size_t K = 8;
  double a[K] = {}, b[K] = {};
  const auto add = [&](std::size_t j, std::size_t i) {
    const double gv = static_cast<double>(w ? g[i] * w[i] : g[i]);
    a[j] += gv;
    b[j] += gv * (static_cast<double>(x[i]) - m);
  };
  std::size_t i = 0;
  if (w) {
    for (; i + K <= n; i += K)
      for (std::size_t j = 0; j < K; ++j) add(j, i + j);
  } else {
    for (; i + K <= n; i += K)
      for (std::size_t j = 0; j < K; ++j) add(j, i + j);
  }
  for (; i < n; ++i) add(0, i);
  for (std::size_t j = 0; j < K; ++j) {
    sg += a[j];
    sgx += b[j];
  }
}

/// y = (x - mean)·invstd·w + b per channel (w, b may be null: 1 and 0). With `batch_stats`, first
/// sets mean[c] and var[c] (biased) to the channel's statistics and invstd[c] = 1/√(var + eps);
/// otherwise mean and invstd are given. The sums are shifted by the channel's first value, which
/// keeps the one-pass variance accurate when the mean is far from 0.
template <class T>
void batch_norm_forward(const T* x, const T* w, const T* b, const ChannelLayout& l, bool batch_stats, double eps,
                        double* mean, double* var, double* invstd, T* y) {
  const std::size_t s = l.inner;
  const double m = static_cast<double>(l.count());
  detail::parallel_for(l.channels, l.channel_grain(), [&](std::size_t c_begin, std::size_t c_end) {
    for (std::size_t c = c_begin; c < c_end; ++c) {
      if (batch_stats) {
        const double k = static_cast<double>(x[c * s]);
        double s1 = 0, s2 = 0;
        for_each_channel_run(l, c, [&](std::size_t o) { shifted_sums(x + o, s, k, s1, s2); });
        const double v = std::max(0.0, (s2 - s1 * s1 / m) / m);
        mean[c] = k + s1 / m;
        var[c] = v;
        invstd[c] = 1 / std::sqrt(v + eps);
      }
      // y = (x - mu)·scale + shift with mu the mean rounded to T and shift = b - (mean - mu)·scale
      // (not x·scale + (b - mean·scale), which cancels catastrophically in float32 when the mean is
      // far from 0 against the spread; x - mu is exact for x near the mean)
      const double scale = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
      const T mu = static_cast<T>(mean[c]), ts = static_cast<T>(scale);
      const T shift = static_cast<T>((b ? static_cast<double>(b[c]) : 0.0) - (mean[c] - static_cast<double>(mu)) * scale);
      for_each_channel_run(l, c, [&](std::size_t o) {
        for (std::size_t i = 0; i < s; ++i) y[o + i] = (x[o + i] - mu) * ts + shift;
      });
    }
  });
}

/// The gradients of batch_norm_forward for the upstream gradient g, given its mean and invstd.
/// With xhat = (x - mean)·invstd: dw = Σ g·xhat, db = Σ g, and dx = w·invstd·g in eval (`batch_stats`
/// false: the statistics are constants), w·invstd·(g - Σg/M - xhat·Σ g·xhat/M) in training. Any of
/// dx, dw, db may be null (not wanted).
template <class T>
void batch_norm_backward(const T* g, const T* x, const T* w, const double* mean, const double* invstd, const ChannelLayout& l,
                         bool batch_stats, T* dx, T* dw, T* db) {
  const std::size_t s = l.inner;
  const double m = static_cast<double>(l.count());
  detail::parallel_for(l.channels, l.channel_grain(), [&](std::size_t c_begin, std::size_t c_end) {
    for (std::size_t c = c_begin; c < c_end; ++c) {
      double sg = 0, sgx = 0;
      const double mu = mean[c], is = invstd[c];
      for_each_channel_run(l, c, [&](std::size_t o) { gradient_sums(g + o, x + o, s, mu, sg, sgx); });
      if (dw) dw[c] = static_cast<T>(sgx * is);
      if (db) db[c] = static_cast<T>(sg);
      if (!dx) continue;
      // dx = g·a + (x - mean)·k + e, with a = w·invstd and (training) k = -a·invstd²·Σg(x-mean)/M,
      // e = -a·Σg/M; x - mean as (x - tm) - (mean - tm), tm the mean rounded to T (see the forward)
      const double a = is * (w ? static_cast<double>(w[c]) : 1.0);
      const double k = batch_stats ? -a * is * is * sgx / m : 0.0;
      const T tm = static_cast<T>(mu);
      const double e = batch_stats ? -a * sg / m - (mu - static_cast<double>(tm)) * k : 0.0;
      const T ta = static_cast<T>(a), tk = static_cast<T>(k), te = static_cast<T>(e);
      for_each_channel_run(l, c, [&](std::size_t o) {
        for (std::size_t i = 0; i < s; ++i) dx[o + i] = g[o + i] * ta + (x[o + i] - tm) * tk + te;
      });
    }
  });
}

/// mean = running_mean and invstd = 1/√(running_var + eps), for evaluation.
template <class T>
void running_invstd(const T* running_mean, const T* running_var, std::size_t channels, double eps, double* mean,
                    double* invstd) {
  for (std::size_t c = 0; c < channels; ++c) {
    mean[c] = static_cast<double>(running_mean[c]);
    invstd[c] = 1 / std::sqrt(static_cast<double>(running_var[c]) + eps);
  }
}

/// running = (1 - momentum)·running + momentum·batch, for the running mean (batch: the mean) and
/// the running variance (batch: the biased variance times M/(M-1), the unbiased one).
template <class T>
void update_running_stats(T* running_mean, T* running_var, const double* mean, const double* var, std::size_t channels,
                          double momentum, double count) {
  const double unbias = count / (count - 1);
  for (std::size_t c = 0; c < channels; ++c) {
    if (running_mean)
      running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean[c]);
    if (running_var)
      running_var[c] =
          static_cast<T>((1 - momentum) * running_var[c] + momentum * var[c] * unbias);
  }
}

// --- layer_norm --------------------------------------------------------------------------------

struct RowLayout {
  std::size_t rows, width;  ///< R, D
  /// Rows per thread at least (detail::parallel_for): ~64K values.
  std::size_t row_grain() const { return std::max<std::size_t>(1, (std::size_t(1) << 16) / std::max<std::size_t>(width, 1)); }
  static constexpr std::size_t block = 32;  ///< rows per partial sum of the weight and bias gradients
  std::size_t blocks() const { return (rows + block - 1) / block; }
};

/// y = (x - mean)·invstd·w + b per row (w, b of D values, may be null: 1 and 0), setting mean[r]
/// and invstd[r] = 1/√(biased var + eps) of each row. As in batch_norm_forward, the sums are
/// shifted by the row's first value and x - mean is (x - mu) - (mean - mu), mu the mean rounded to T.
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, const RowLayout& l, double eps, double* mean,
                        double* invstd, T* y) {
  const std::size_t d = l.width;
  const double n = static_cast<double>(d);
  detail::parallel_for(l.rows, l.row_grain(), [&](std::size_t r_begin, std::size_t r_end) {
    for (std::size_t r = r_begin; r < r_end; ++r) {
      const T* xr = x + r * d;
      T* yr = y + r * d;
      const double k = static_cast<double>(xr[0]);
      double s1 = 0, s2 = 0;
      shifted_sums(xr, d, k, s1, s2);
      const double is = 1 / std::sqrt(std::max(0.0, (s2 - s1 * s1 / n) / n) + eps);
      mean[r] = k + s1 / n;
      invstd[r] = is;
      const T mu = static_cast<T>(mean[r]), ts = static_cast<T>(is);
      const T shift = static_cast<T>((mean[r] - static_cast<double>(mu)) * is);
      if (w && b) {
        for (std::size_t i = 0; i < d; ++i) yr[i] = ((xr[i] - mu) * ts - shift) * w[i] + b[i];
      } else if (w) {
        for (std::size_t i = 0; i < d; ++i) yr[i] = ((xr[i] - mu) * ts - shift) * w[i];
      } else {
        for (std::size_t i = 0; i < d; ++i) yr[i] = (xr[i] - mu) * ts - shift + (b ? b[i] : T(0));
      }
    }
  });
}

/// The gradients of layer_norm_forward for the upstream gradient g, given each row's mean and
/// invstd. With xhat = (x - mean)·invstd and gw = g·w: dx = invstd·(gw - Σgw/D - xhat·Σ gw·xhat/D)
/// per row, dw = Σ_rows g·xhat, db = Σ_rows g. Any of dx, dw, db may be null (not wanted); dw and
/// db need `partial`, 2·D·blocks() doubles.
template <class T>
void layer_norm_backward(const T* g, const T* x, const T* w, const double* mean, const double* invstd, const RowLayout& l,
                         T* dx, T* dw, T* db, double* partial) {
  const std::size_t d = l.width, block = RowLayout::block;
  const double n = static_cast<double>(d);
  const bool sums = dw || db;
  const std::size_t grain = std::max<std::size_t>(1, l.row_grain() / block);
  detail::parallel_for(l.blocks(), grain, [&](std::size_t b_begin, std::size_t b_end) {
    for (std::size_t bl = b_begin; bl < b_end; ++bl) {
      double* pw = sums ? partial + 2 * d * bl : nullptr;
      double* pb = sums ? pw + d : nullptr;
      if (sums) std::fill(pw, pw + 2 * d, 0.0);
      for (std::size_t r = bl * block, r_end = std::min(l.rows, r + block); r < r_end; ++r) {
        const T *gr = g + r * d, *xr = x + r * d;
        const double mu = mean[r], is = invstd[r];
        const T tm = static_cast<T>(mu), ts = static_cast<T>(is), shift = static_cast<T>((mu - static_cast<double>(tm)) * is);
        if (sums)
          for (std::size_t i = 0; i < d; ++i) {
            pw[i] += static_cast<double>(gr[i] * ((xr[i] - tm) * ts - shift));
            pb[i] += static_cast<double>(gr[i]);
          }
        if (!dx) continue;
        double sg = 0, sgx = 0;
        gradient_sums(gr, xr, d, mu, sg, sgx, w);
        // dx = gw·is + (x - mean)·k + e with k = -is³·Σgw(x - mean)/D, e = -is·Σgw/D; x - mean as
        // (x - tm) - (mean - tm)
        const double k = -is * is * is * sgx / n, e = -is * sg / n - (mu - static_cast<double>(tm)) * k;
        const T tk = static_cast<T>(k), te = static_cast<T>(e);
        T* dr = dx + r * d;
        if (w) {
          for (std::size_t i = 0; i < d; ++i) dr[i] = gr[i] * w[i] * ts + (xr[i] - tm) * tk + te;
        } else {
          for (std::size_t i = 0; i < d; ++i) dr[i] = gr[i] * ts + (xr[i] - tm) * tk + te;
        }
      }
    }
  });
  if (!sums || l.rows == 0) {
    if (dw) std::fill(dw, dw + d, T(0));
    if (db) std::fill(db, db + d, T(0));
    return;
  }
  for (std::size_t bl = 1; bl < l.blocks(); ++bl)  // into block 0's sums, in block order
    for (std::size_t i = 0; i < 2 * d; ++i) partial[i] += partial[2 * d * bl + i];
  for (std::size_t i = 0; i < d; ++i) {
    if (dw) dw[i] = static_cast<T>(partial[i]);
    if (db) db[i] = static_cast<T>(partial[d + i]);
  }
}

}  // namespace descent::kernels
