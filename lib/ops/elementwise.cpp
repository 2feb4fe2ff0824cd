// Elementwise arithmetic, selection and comparisons with NumPy broadcasting. Each op computes its
// values with an xtensor expression and records its backward rule beside it; the engine sums
// broadcast gradients back to each input's shape. pow, exp, log, ... are in elementwise_math.cpp.
#include "descent/ops/elementwise.hpp"

#include <bit>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "kernels/elementwise.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

Tensor detail::scalar_like(const Tensor& like, double value) { return full({}, value, like.dtype()); }

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("add", a, b, [](auto&& x, auto&& y) { return x + y; });
  // d(a+b)/da = 1, d(a+b)/db = 1
  return record("add", out, {a, b}, [](const Tensor& g) { return Grads{g, g}; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("sub", a, b, [](auto&& x, auto&& y) { return x - y; });
  // d(a-b)/da = 1, d(a-b)/db = -1
  return record("sub", out, {a, b}, [](const Tensor& g) { return Grads{g, -g}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("mul", a, b, [](auto&& x, auto&& y) { return x * y; });
  // d(a*b)/da = b, d(a*b)/db = a
  return record("mul", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), da = a.requires_grad(),
                                     db = b.requires_grad()](const Tensor& g) {
    return Grads{da ? g * sb.unpack() : Tensor(), db ? g * sa.unpack() : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::binary_values("div", a, b, [](auto&& x, auto&& y) { return x / y; });
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
  return record("div", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), da = a.requires_grad(),
                                     db = b.requires_grad()](const Tensor& g) {
    const Tensor bv = sb.unpack();
    return Grads{da ? g / bv : Tensor(), db ? -(g * sa.unpack()) / (bv * bv) : Tensor()};
  });
}

Tensor neg(const Tensor& x) {
  Tensor out = kernels::unary_values("neg", x, [](auto&& v) { return -v; });
  // d(-x)/dx = -1
  return record("neg", out, {x}, [](const Tensor& g) { return Grads{-g}; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, detail::scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(detail::scalar_like(b, a), b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, detail::scalar_like(a, b)); }
Tensor operator-(double a, const Tensor& b) { return sub(detail::scalar_like(b, a), b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, detail::scalar_like(a, b)); }
Tensor operator*(double a, const Tensor& b) { return mul(detail::scalar_like(b, a), b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, detail::scalar_like(a, b)); }
Tensor operator/(double a, const Tensor& b) { return div(detail::scalar_like(b, a), b); }
Tensor operator-(const Tensor& x) { return neg(x); }

// --- selection -----------------------------------------------------------------------------

namespace {

/// where's values, by plain loops (xtensor's where with a bool condition is ~7x slower).
Tensor select_values(const Tensor& condition, const Tensor& a, const Tensor& b) {
  detail::check_same_dtype("where", a, b);
  detail::check_floating("where", a);
  const Shape shape = broadcast_shapes("where", broadcast_shapes("where", condition.shape(), a.shape()), b.shape());
  const Tensor cc = detail::contiguous_values(condition), ca = detail::contiguous_values(a),
               cb = detail::contiguous_values(b);
  Tensor out = empty(shape, a.dtype());
  detail::dispatch(condition.dtype(), [&](auto c) {
    using C = decltype(c);
    detail::dispatch_floating("where", a.dtype(), [&](auto e) {
      using T = decltype(e);
      // A bitwise select, not `c ? x : y`: with a bool condition GCC branches, 7x slower on a
      // random mask (3.8 ms against 0.56 ms on 1M floats).
      using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      const auto select = [](C cond, T x, T y) {
        const Bits mask = -static_cast<Bits>(cond != C(0));
        return std::bit_cast<T>((std::bit_cast<Bits>(x) & mask) | (std::bit_cast<Bits>(y) & ~mask));
      };
      const C* pc = cc.data<C>();
      const T *pa = ca.data<T>(), *pb = cb.data<T>();
      T* po = out.data<T>();
      kernels::for_each_broadcast_run<3>(shape, {&cc, &ca, &cb}, [&](std::size_t start, std::size_t n, const auto& offset,
                                                          const auto& step) {
        const C* k = pc + offset[0];
        const T *x = pa + offset[1], *y = pb + offset[2];
        T* o = po + start;
        if (step[0] == 1 && step[1] == 1 && step[2] == 1)
          for (std::size_t i = 0; i < n; ++i) o[i] = select(k[i], x[i], y[i]);
        else
          for (std::size_t i = 0; i < n; ++i) o[i] = select(k[i * step[0]], x[i * step[1]], y[i * step[2]]);
      });
    });
  });
  return out;
}

}  // namespace

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Tensor out = select_values(condition, a, b);
  // d(where(c, a, b))/da = c, d(where(c, a, b))/db = !c: where again, so differentiable again
  return record("where", out, {a, b}, [mask = SavedTensor(condition.detach()), da = a.requires_grad(),
                                       db = b.requires_grad()](const Tensor& g) {
    const Tensor zero = detail::scalar_like(g, 0), c = mask.unpack();
    return Grads{da ? where(c, g, zero) : Tensor(), db ? where(c, zero, g) : Tensor()};
  });
}

// --- comparisons: boolean results, not differentiable (never recorded) ----------------------

Tensor eq(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("eq", a, b, std::equal_to<>{});
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("ne", a, b, std::not_equal_to<>{});
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("lt", a, b, std::less<>{});
}
Tensor le(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("le", a, b, std::less_equal<>{});
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("gt", a, b, std::greater<>{});
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return kernels::compare_values("ge", a, b, std::greater_equal<>{});
}

Tensor eq(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::equal_to<>{});
}
Tensor ne(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::not_equal_to<>{});
}
Tensor lt(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::less<>{});
}
Tensor le(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::less_equal<>{});
}
Tensor gt(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::greater<>{});
}
Tensor ge(const Tensor& a, double b) {
  return kernels::compare_scalar_values(a, b, std::greater_equal<>{});
}

Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }

}  // namespace descent
