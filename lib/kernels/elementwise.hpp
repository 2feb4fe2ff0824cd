#pragma once
// Elementwise kernels, shared by the elementwise ops, activations and losses; nothing recorded.
// Floating values are computed by an xtensor expression (a generic lambda over xt adaptors or
// xt::xscalar) on contiguous inputs, xsimd-vectorised; comparisons by plain loops.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xscalar.hpp>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"

namespace descent::kernels {

/// The element type of an xtensor expression: inside a generic kernel lambda, constants are
/// written `T(0.5)` with `using T = value_t<decltype(x)>;` so float32 kernels stay float32.
template <class E> using value_t = typename std::decay_t<E>::value_type;

/// Strides (in elements) of contiguous `t` broadcast to `out`: 0 along the axes it is repeated on.
inline Strides broadcast_strides(const Tensor& t, const Shape& out) {
  Strides strides(out.size(), 0);
  const Strides own = contiguous_strides(t.shape());
  const std::size_t lead = out.size() - t.dim();
  for (std::size_t i = 0; i < t.dim(); ++i) strides[lead + i] = t.shape()[i] == 1 ? 0 : own[i];
  return strides;
}

/// Moves `offset` (each input's element offset at the start of a row) to the next row of `shape`:
/// an odometer `index` over all axes but the last.
template <std::size_t N>
inline void next_row(const Shape& shape, const std::array<Strides, N>& strides, Shape& index,
                     std::array<std::ptrdiff_t, N>& offset) {
  for (std::size_t d = shape.size() - 1; d-- > 0;) {
    for (std::size_t i = 0; i < N; ++i) offset[i] += strides[i][d];
    if (++index[d] < shape[d]) return;
    for (std::size_t i = 0; i < N; ++i) offset[i] -= strides[i][d] * static_cast<std::ptrdiff_t>(shape[d]);
    index[d] = 0;
  }
}

/// Walks the output (of `shape`) of an elementwise op over contiguous `inputs` in runs along
/// which each input advances by 0 or 1 element: f(start, length, offset, step) per run, `start`
/// being its first output element, offset[i] input i's element there and step[i] its advance.
/// One run when every input has the output's shape or one element, else one run per row.
template <std::size_t N, class F>
inline void for_each_broadcast_run(const Shape& shape, const std::array<const Tensor*, N>& inputs, F f) {
  const std::size_t total = numel(shape);
  if (total == 0) return;
  std::array<std::ptrdiff_t, N> offset{};
  std::array<std::size_t, N> step;
  bool flat = true;
  for (std::size_t i = 0; i < N; ++i) {
    step[i] = inputs[i]->shape() == shape ? 1 : 0;
    flat = flat && (step[i] == 1 || inputs[i]->numel() == 1);
  }
  if (flat) return f(std::size_t{0}, total, offset, step);
  std::array<Strides, N> strides;
  for (std::size_t i = 0; i < N; ++i) {
    strides[i] = broadcast_strides(*inputs[i], shape);
    step[i] = static_cast<std::size_t>(strides[i].back());
  }
  const std::size_t length = shape.back();
  Shape index(shape.size() - 1, 0);
  for (std::size_t start = 0; start < total; start += length) {
    f(start, length, offset, step);
    next_row(shape, strides, index, offset);
  }
}

/// Elements per thread at least for an elementwise kernel (detail::parallel_for): below 2·64K
/// the whole tensor stays on one thread, where waking another costs more than it saves.
inline constexpr std::size_t elementwise_grain = std::size_t(1) << 16;

/// n values at p as a flat xtensor adaptor (a part of a contiguous tensor).
template <class T> inline auto flat(T* p, std::size_t n) { return xt::adapt(p, n, xt::no_ownership(), Shape{n}); }

namespace kernel_args {

/// A kernel operand: n values of `shape` at p, or (Scalar) the one value at p as an xt::xscalar.
template <class T, bool Scalar> inline auto operand(T* p, std::size_t n, const Shape& shape) {
  if constexpr (Scalar)
    return xt::xscalar<T>(*p);
  else
    return xt::adapt(p, n, xt::no_ownership(), shape);
}

/// xt::noalias(out) = expr, viewing out with expr's shape: without its scalar operands expr may
/// lack out's leading length-1 axes, with the same size and row-major layout.
template <class T, class E> inline void assign(T* out, std::size_t n, const E& expr) {
  auto o = xt::adapt(out, n, xt::no_ownership(), expr.shape());
  xt::noalias(o) = expr;
}

/// out = kernel(operands...), operand S (if S < N) as an xscalar. One full expression: the
/// operands are temporaries the kernel's expression refers to.
template <class T, std::size_t S, class Kernel, std::size_t... I>
inline void apply(T* out, std::size_t n, Kernel& kernel, const std::array<T*, sizeof...(I)>& p,
                  const std::array<std::size_t, sizeof...(I)>& sizes, const std::array<Shape, sizeof...(I)>& shapes,
                  std::index_sequence<I...>) {
  assign(out, n, kernel(operand<T, I == S>(p[I], sizes[I], shapes[I])...));
}

/// apply<S> for a run-time S in [0, N] (N: no scalar operand).
template <class T, std::size_t N, class Kernel>
inline void apply_with_scalar(std::size_t scalar, T* out, std::size_t n, Kernel& kernel, const std::array<T*, N>& p,
                              const std::array<std::size_t, N>& sizes, const std::array<Shape, N>& shapes) {
  [&]<std::size_t... S>(std::index_sequence<S...>) {
    ((scalar == S ? apply<T, S>(out, n, kernel, p, sizes, shapes, std::make_index_sequence<N>{}) : void()), ...);
  }(std::make_index_sequence<N + 1>{});
}

}  // namespace kernel_args

/// out = kernel(x) elementwise, for floating x.
template <class Kernel> inline Tensor unary_values(const char* op, const Tensor& x, Kernel kernel) {
  const Tensor cx = detail::contiguous_values(x);
  Tensor out = empty(x.shape(), x.dtype());
  detail::dispatch_floating(op, x.dtype(), [&](auto e) {
    using T = decltype(e);
    T* o = out.data<T>();
    T* in = cx.data<T>();
    detail::parallel_for(out.numel(), elementwise_grain, [&](std::size_t b, std::size_t end) {
      auto part = flat(o + b, end - b);
      xt::noalias(part) = kernel(flat(in + b, end - b));
    });
  });
  return out;
}

/// out = kernel(inputs...) over their broadcast shape, for floating inputs of one dtype. Measured
/// on 1M floats, xtensor's broadcasting is fast only for rows ((N,M) with (M,): ~0.29 ms); a 0-d
/// view or a column ((N,M) with (N,1)) walks its strided stepper, 2.6-10 ms. So:
/// - one broadcast input of one element is passed to the kernel as an xt::xscalar;
/// - inputs of the output's shape, the scalar and row-broadcast inputs go to xtensor whole;
/// - when a column is broadcast, the broadcast inputs are gathered 2048 output elements at a
///   time into a small buffer and the kernel runs on those contiguous blocks (0.3-0.8 ms;
///   repeating the column over the whole shape costs a large fresh buffer, page faults dominate).
template <std::size_t N, class Kernel>
inline Tensor nary_values(const char* op, const std::array<Tensor, N>& inputs, Kernel kernel) {
  Shape shape = inputs[0].shape();
  for (std::size_t i = 1; i < N; ++i) {
    detail::check_same_dtype(op, inputs[0], inputs[i]);
    shape = broadcast_shapes(op, shape, inputs[i].shape());
  }
  std::array<Tensor, N> values;
  for (std::size_t i = 0; i < N; ++i) values[i] = detail::contiguous_values(inputs[i]);
  Tensor out = empty(shape, inputs[0].dtype());
  detail::dispatch_floating(op, out.dtype(), [&](auto e) {
    using T = decltype(e);
    std::array<T*, N> p;
    std::array<bool, N> full;
    std::size_t scalar = N;  // the input passed as an xscalar, N if none
    bool whole = true;       // every input is full or the scalar
    for (std::size_t i = 0; i < N; ++i) {
      p[i] = values[i].template data<T>();
      full[i] = values[i].shape() == shape;
      if (!full[i] && scalar == N && values[i].numel() == 1) scalar = i;
      whole = whole && (full[i] || i == scalar);
    }
    T* o = out.template data<T>();
    const std::size_t total = out.numel();
    bool columns = false;  // an input repeated along the last axis, like (N,1) against (N,M)
    for (std::size_t i = 0; i < N; ++i)
      if (!full[i] && i != scalar && shape.back() != 1 && (values[i].dim() == 0 || values[i].shape().back() == 1))
        columns = true;
    if (whole || !columns) {
      // Full inputs (and the scalar) in flat parts, in parallel; row-broadcast ones whole, on this
      // thread (one body either way: the kernel's code is instantiated once).
      detail::parallel_for(whole ? total : 1, whole ? elementwise_grain : 1, [&](std::size_t b, std::size_t end) {
        std::array<T*, N> part;
        std::array<std::size_t, N> sizes;
        std::array<Shape, N> shapes;
        for (std::size_t i = 0; i < N; ++i) {
          const bool flat_part = whole && i != scalar;
          part[i] = flat_part ? p[i] + b : p[i];
          sizes[i] = flat_part ? end - b : values[i].numel();
          shapes[i] = flat_part ? Shape{end - b} : values[i].shape();
        }
        kernel_args::apply_with_scalar(scalar, whole ? o + b : o, whole ? end - b : total, kernel, part, sizes, shapes);
      });
      return;
    }
    if (total == 0) return;
    constexpr std::size_t block = 2048;
    const std::size_t length = shape.back(), last = shape.size() - 1;
    std::array<Strides, N> strides;
    for (std::size_t i = 0; i < N; ++i) strides[i] = broadcast_strides(values[i], shape);
    std::vector<T> scratch(N * block);
    std::array<std::ptrdiff_t, N> offset{};  // each input's offset at the start of the current row
    Shape index(last, 0);                     // the current row
    std::size_t column = 0;                   // position in the current row
    for (std::size_t start = 0; start < total; start += block) {
      const std::size_t n = std::min(block, total - start);
      std::array<T*, N> args;
      for (std::size_t i = 0; i < N; ++i) args[i] = full[i] ? p[i] + start : i == scalar ? p[i] : &scratch[i * block];
      for (std::size_t done = 0; done < n;) {  // gather rows (or parts of rows) into the buffers
        const std::size_t run = std::min(length - column, n - done);
        for (std::size_t i = 0; i < N; ++i) {
          if (full[i] || i == scalar) continue;
          const T* src = p[i] + offset[i];
          if (strides[i][last] == 0)
            std::fill_n(args[i] + done, run, *src);
          else
            std::copy_n(src + column, run, args[i] + done);
        }
        done += run;
        column += run;
        if (column < length) continue;
        column = 0;
        next_row(shape, strides, index, offset);
      }
      std::array<std::size_t, N> sizes;
      sizes.fill(n);
      std::array<Shape, N> shapes;
      shapes.fill(Shape{n});
      kernel_args::apply_with_scalar(scalar, o + start, n, kernel, args, sizes, shapes);
    }
  });
  return out;
}

/// out = kernel(a, b) over the broadcast shape, for floating a and b of the same dtype.
template <class Kernel> inline Tensor binary_values(const char* op, const Tensor& a, const Tensor& b, Kernel kernel) {
  return nary_values<2>(op, {a, b}, kernel);
}

/// out = kernel(a, b) for a and b of one shape and dtype, such as the gradient and the input in
/// the backward of a unary op: one instantiation of the kernel (binary_values makes three).
template <class Kernel> inline Tensor zip_values(const char* op, const Tensor& a, const Tensor& b, Kernel kernel) {
  detail::check_same_dtype(op, a, b);
  DESCENT_CHECK(a.shape() == b.shape(), op, "internal: shapes ", to_string(a.shape()), " and ", to_string(b.shape()),
                " differ");
  const Tensor ca = detail::contiguous_values(a), cb = detail::contiguous_values(b);
  Tensor out = empty(a.shape(), a.dtype());
  detail::dispatch_floating(op, a.dtype(), [&](auto e) {
    using T = decltype(e);
    T* o = out.data<T>();
    T *pa = ca.data<T>(), *pb = cb.data<T>();
    detail::parallel_for(out.numel(), elementwise_grain, [&](std::size_t b, std::size_t end) {
      auto part = flat(o + b, end - b);
      xt::noalias(part) = kernel(flat(pa + b, end - b), flat(pb + b, end - b));
    });
  });
  return out;
}

/// out = kernel(a, b, c) over the broadcast shape of all three, for floating inputs of one dtype.
template <class Kernel>
inline Tensor ternary_values(const char* op, const Tensor& a, const Tensor& b, const Tensor& c, Kernel kernel) {
  return nary_values<3>(op, {a, b, c}, kernel);
}

/// out (of element type Out) = f(a, b) over the broadcast shape by plain loops, for a and b of one
/// dtype (any): comparisons (bool out) and integer arithmetic. xtensor writing bools is ~2x slower,
/// and ~10x with broadcasting.
template <class Out, class F> inline Tensor loop_values(const char* op, const Tensor& a, const Tensor& b, F f) {
  detail::check_same_dtype(op, a, b);
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  const Tensor ca = detail::contiguous_values(a), cb = detail::contiguous_values(b);
  Tensor out = empty(shape, dtype_of<Out>());
  Out* o = out.data<Out>();
  detail::dispatch(a.dtype(), [&](auto e) {
    using T = decltype(e);
    const T *pa = ca.data<T>(), *pb = cb.data<T>();
    for_each_broadcast_run<2>(shape, {&ca, &cb}, [&](std::size_t start, std::size_t n, const auto& offset,
                                                     const auto& step) {
      const T *x = pa + offset[0], *y = pb + offset[1];
      Out* r = o + start;
      if (step[0] == 1 && step[1] == 1)
        for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<Out>(f(x[i], y[i]));
      else
        for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<Out>(f(x[i * step[0]], y[i * step[1]]));
    });
  });
  return out;
}

/// Boolean out = compare(a, b) over the broadcast shape, for a and b of one dtype (any dtype);
/// `compare` is a transparent functor (std::less<> ...).
template <class Compare>
inline Tensor compare_values(const char* op, const Tensor& a, const Tensor& b, Compare compare) {
  return loop_values<bool>(op, a, b, compare);
}

/// Boolean out = compare(a, value). The scalar takes a floating tensor's dtype (as in PyTorch);
/// int64 and bool tensors compare exactly against an integral value, else as float64.
template <class Compare> inline Tensor compare_scalar_values(const Tensor& a, double value, Compare compare) {
  const Tensor ca = detail::contiguous_values(a);
  Tensor out = empty(a.shape(), Dtype::boolean);
  bool* o = out.data<bool>();
  const std::size_t n = out.numel();
  detail::dispatch(a.dtype(), [&](auto e) {
    using T = decltype(e);
    const T* pa = ca.data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      const T v = static_cast<T>(value);
      for (std::size_t i = 0; i < n; ++i) o[i] = compare(pa[i], v);
    } else if (std::trunc(value) == value && value >= -0x1p63 && value < 0x1p63) {
      // 2^63 is exact in a double: integral values in [-2^63, 2^63) convert to int64 exactly.
      const auto v = static_cast<std::int64_t>(value);
      for (std::size_t i = 0; i < n; ++i) o[i] = compare(static_cast<std::int64_t>(pa[i]), v);
    } else {
      for (std::size_t i = 0; i < n; ++i) o[i] = compare(static_cast<double>(pa[i]), value);
    }
  });
  return out;
}

}  // namespace descent::kernels
