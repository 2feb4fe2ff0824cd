#pragma once
// Raw-loop kernels of batch_norm (lib/ops/norm.cpp): x is a contiguous (N, C, S) array (S = L or
// H·W, 1 for (N, C)) and every channel c is normalised over its N·S values, the N runs of S at
// x + (n·C + c)·S. Each is one pass per channel (channels split over the intra-op threads), so that the second read
// of a channel (statistics, then normalising) comes from cache: on (128, 32, 28, 28) a channel is
// 400 KB. Statistics accumulate in double for float32 too, like the reductions (kernels/reduce.hpp),
// and are kept in double: a float32 mean far from 0 against the spread would round by a sizeable
// part of the spread (300 ± 0.01: by 0.2%).
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

/// Σ g and Σ g·(x - m) over n values in double, as shifted_sums.
template <class T> void gradient_sums(const T* g, const T* x, std::size_t n, double m, double& sg, double& sgx) {
  constexpr std::size_t K = 8;
  double a[K] = {}, b[K] = {};
  std::size_t i = 0;
  for (; i + K <= n; i += K)
    for (std::size_t j = 0; j < K; ++j) {
      const double gv = static_cast<double>(g[i + j]);
      a[j] += gv;
      b[j] += gv * (static_cast<double>(x[i + j]) - m);
    }
  for (; i < n; ++i) {
    const double gv = static_cast<double>(g[i]);
    a[0] += gv;
    b[0] += gv * (static_cast<double>(x[i]) - m);
  }
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

}  // namespace descent::kernels
