// scaled_dot_product_attention: values and gradients against PyTorch (its math backend's definition,
// written out in tests/ops/attention_reference.py), second order, masks, broadcasting, dropout,
// strided head-split views, errors.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <cmath>
#include <limits>

using namespace descent;
using testing::check_close;
using testing::check_error;
using testing::check_second_order;
using testing::check_values;
using testing::random_input;
using Inputs = std::vector<Tensor>;

namespace {

#include "ops/attention_values.inc"

enum class MaskKind { none, boolean, floating, dead_row };

struct Case {
  const char* name;
  Shape q, k, v;
  MaskKind mask;
  Shape mask_shape;
  bool causal;
  std::optional<double> scale;
  const std::vector<double>&y, &dq, &dk, &dv;
  const std::vector<double>* dmask;
};

/// (i·7 + j·3) % 4 != 0 at (…, i, j), with row 1 all false for dead_row (as the reference script).
Tensor bool_mask(const Shape& shape, bool dead_row) {
  Tensor m = empty(shape, boolean);
  const std::size_t L = shape[shape.size() - 2], S = shape.back();
  bool* d = m.data<bool>();
  for (std::size_t n = 0; n < m.numel(); ++n) {
    const std::size_t i = n / S % L, j = n % S;
    d[n] = !(dead_row && i == 1) && (i * 7 + j * 3) % 4 != 0;
  }
  return m;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"plain", {2, 3, 4, 5}, {2, 3, 6, 5}, {2, 3, 6, 7}, MaskKind::none, {}, false, {},
       plain_y, plain_dq, plain_dk, plain_dv, nullptr},
      {"bool_mask", {2, 3, 4, 5}, {2, 3, 6, 5}, {2, 3, 6, 7}, MaskKind::boolean, {4, 6}, false, {},
       bool_mask_y, bool_mask_dq, bool_mask_dk, bool_mask_dv, nullptr},
      {"float_mask", {2, 3, 4, 5}, {2, 3, 6, 5}, {2, 3, 6, 3}, MaskKind::floating, {3, 1, 6}, false, {},
       float_mask_y, float_mask_dq, float_mask_dk, float_mask_dv, &float_mask_dmask},
      {"causal", {2, 4, 5}, {2, 6, 5}, {2, 6, 3}, MaskKind::none, {}, true, 0.3,
       causal_y, causal_dq, causal_dk, causal_dv, nullptr},
      {"broadcast", {2, 1, 4, 5}, {3, 6, 5}, {1, 3, 6, 2}, MaskKind::floating, {2, 3, 4, 6}, false, {},
       broadcast_y, broadcast_dq, broadcast_dk, broadcast_dv, &broadcast_dmask},
      {"dead_row", {2, 4, 3}, {2, 5, 3}, {2, 5, 4}, MaskKind::dead_row, {2, 4, 5}, false, 0.7,
       dead_row_y, dead_row_dq, dead_row_dk, dead_row_dv, nullptr},
      {"unbatched", {4, 3}, {5, 3}, {5, 2}, MaskKind::none, {}, false, {},
       unbatched_y, unbatched_dq, unbatched_dk, unbatched_dv, nullptr},
  };
  return all;
}

Tensor mask_of(const Case& c, const Tensor& floating) {
  if (c.mask == MaskKind::boolean || c.mask == MaskKind::dead_row)
    return bool_mask(c.mask_shape, c.mask == MaskKind::dead_row);
  return c.mask == MaskKind::floating ? floating : Tensor();
}

/// The composition PyTorch's math backend computes, by descent's ops (zeros for rows without keys).
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal, double scale,
                const Tensor& dropout = Tensor()) {
  Tensor s = matmul(q, transpose(k)) * scale;
  const Tensor neg_inf = full({}, -std::numeric_limits<double>::infinity(), q.dtype());
  if (causal) {
    const std::size_t L = q.size(-2), S = k.size(-2);
    Tensor allowed = empty({L, S}, boolean);
    for (std::size_t i = 0; i < L; ++i)
      for (std::size_t j = 0; j < S; ++j) allowed.data<bool>()[i * S + j] = j <= i;
    s = where(allowed, s, neg_inf);
  } else if (mask.defined()) {
    s = mask.dtype() == boolean ? where(mask, s, neg_inf) : s + mask;
  }
  Tensor p = softmax(s, -1);
  if (dropout.defined()) p = p * dropout;
  return matmul(p, v);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attention)

BOOST_AUTO_TEST_CASE(values_and_gradients_against_pytorch) {
  for (const Case& c : cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      const Tensor q = testing::sine_filled(c.q, 1.2, 0.7, 0.1).requires_grad_();
      const Tensor k = testing::sine_filled(c.k, 0.9, 0.3, 0.2).requires_grad_();
      const Tensor v = testing::sine_filled(c.v, 1.0, 0.5, 0.3).requires_grad_();
      const Tensor fm = c.mask == MaskKind::floating ? testing::sine_filled(c.mask_shape, 2.0, 0.9, 0.4).requires_grad_()
                                                     : Tensor();
      const Tensor mask = mask_of(c, fm);
      const Tensor y = scaled_dot_product_attention(q, k, v, mask, 0.0, c.causal, c.scale);
      check_close(y, c.y);
      y.backward(testing::cosine_upstream(y.shape()));
      check_close(q.grad(), c.dq);
      check_close(k.grad(), c.dk);
      check_close(v.grad(), c.dv);
      if (c.dmask) check_close(fm.grad(), *c.dmask);
      // float32: the same to float32 precision
      const auto f32 = [](const Tensor& t) { return t.defined() ? t.detach().to(float32) : t; };
      const Tensor y32 = scaled_dot_product_attention(f32(q), f32(k), f32(v), mask.defined() && mask.dtype() != boolean
                                                      ? f32(mask) : mask, 0.0, c.causal, c.scale);
      BOOST_TEST((y32.dtype() == float32));
      check_values(y32, y.to_xarray<double>(), 1e-5, 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(dead_rows_give_zeros) {
  // Row 1 of every batch has no key: output 0 there, and it contributes no gradient.
  const Tensor q = random_input({2, 4, 3}, 1), k = random_input({2, 5, 3}, 2), v = random_input({2, 5, 4}, 3);
  const Tensor y = scaled_dot_product_attention(q, k, v, bool_mask({2, 4, 5}, true));
  check_values(narrow(y, 1, 1, 1), xt::zeros<double>({2, 1, 4}), 0, 0);
  sum(narrow(y, 1, 1, 1) * 3.0).backward();
  check_values(q.grad(), xt::zeros<double>({2, 4, 3}), 0, 0);
  // A float mask of -inf everywhere, and no keys at all (S = 0), the same.
  const Tensor minf = full({4, 5}, -std::numeric_limits<double>::infinity(), float64);
  check_values(scaled_dot_product_attention(q, k, v, minf), xt::zeros<double>({2, 4, 4}), 0, 0);
  check_values(scaled_dot_product_attention(q, zeros({2, 0, 3}, float64), zeros({2, 0, 4}, float64)),
               xt::zeros<double>({2, 4, 4}), 0, 0);
}

BOOST_AUTO_TEST_CASE(second_order) {
  const auto sdpa = [](const Tensor& mask, bool causal, std::optional<double> scale) {
    return [mask, causal, scale](const Inputs& x) {
      return scaled_dot_product_attention(x[0], x[1], x[2], x.size() > 3 ? x[3] : mask, 0.0, causal, scale);
    };
  };
  check_second_order(sdpa(Tensor(), false, {}), {random_input({2, 3, 4}, 10), random_input({2, 5, 4}, 11),
                                                random_input({2, 5, 3}, 12)});
  check_second_order(sdpa(Tensor(), true, 0.8), {random_input({2, 4, 3}, 13), random_input({2, 4, 3}, 14),
                                                random_input({2, 4, 2}, 15)});
  check_second_order(sdpa(bool_mask({3, 5}, true), false, {}), {random_input({2, 3, 4}, 16), random_input({2, 5, 4}, 17),
                                                                random_input({2, 5, 3}, 18)});
  // Broadcast batch dimensions (q shared over the first, k and v over the second), a learnable float mask.
  check_second_order(sdpa(Tensor(), false, {}), {random_input({2, 1, 3, 4}, 19), random_input({3, 5, 4}, 20),
                                                random_input({1, 3, 5, 2}, 21), random_input({1, 3, 5}, 22)});
  // Only some inputs differentiable.
  check_second_order(sdpa(Tensor(), false, {}), {random_input({3, 4}, 23).detach(), random_input({5, 4}, 24),
                                                random_input({5, 2}, 25).detach()});
}

BOOST_AUTO_TEST_CASE(dropout_matches_its_mask_and_is_differentiable) {
  // The mask is drawn first, from gen, as rand(batch + (L, S)) < 1 - p (kept ones × 1/(1-p)).
  const Tensor q = random_input({2, 3, 4}, 30), k = random_input({2, 5, 4}, 31), v = random_input({2, 5, 3}, 32);
  Generator gen(7), twin(7);
  const Tensor y = scaled_dot_product_attention(q, k, v, Tensor(), 0.4, false, {}, gen);
  const Tensor m = where(rand({2, 3, 5}, twin, float64) < 0.6, full({}, 1 / 0.6, float64), full({}, 0.0, float64));
  check_values(y, composed(q, k, v, Tensor(), false, 0.5, m).to_xarray<double>(), 1e-12, 1e-12);
  // Gradients, both orders, through the same draw (a fresh generator each call).
  check_second_order([](const Inputs& x) {
    Generator g(11);
    return scaled_dot_product_attention(x[0], x[1], x[2], Tensor(), 0.3, true, {}, g);
  }, {random_input({2, 4, 3}, 33), random_input({2, 4, 3}, 34), random_input({2, 4, 2}, 35)});
  // p = 1 drops everything; p = 0 draws nothing.
  check_values(scaled_dot_product_attention(q, k, v, Tensor(), 1.0), xt::zeros<double>({2, 3, 3}), 0, 0);
  Generator a(3), b(3);
  scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false, {}, a);
  BOOST_TEST(rand({1}, a, float64).item() == rand({1}, b, float64).item());
}

BOOST_AUTO_TEST_CASE(head_split_views_match_contiguous_copies) {
  // W6's GPT block: one Linear gives (B, T, 3·h·d), viewed as (B, T, 3, h, d); q, k, v are its slices
  // transposed to (B, h, T, d), strided views read in place. Against contiguous copies, both dtypes.
  for (Dtype dtype : {float64, float32}) {
    const Tensor qkv = testing::sine_filled({2, 5, 3 * 2 * 4}, 1.0, 0.37, 0.2).to(dtype).requires_grad_();
    const Tensor heads = reshape(qkv, {2, 5, 3, 2, 4});
    const auto part = [&](std::ptrdiff_t i) { return transpose(squeeze(narrow(heads, 2, i, 1), 2), 1, 2); };
    const Tensor q = part(0), k = part(1), v = part(2);
    BOOST_TEST((q.impl().data == qkv.impl().data && !q.is_contiguous()));
    const Tensor y = scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true);
    const Tensor y_ref = scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous(), Tensor(), 0.0, true);
    const double tol = dtype == float32 ? 1e-6 : 1e-13;
    check_values(y, y_ref.to(float64).to_xarray<double>(), tol, tol);
    check_values(y, composed(q, k, v, Tensor(), true, 0.5).to(float64).to_xarray<double>(), 10 * tol, 10 * tol);
    const Tensor g = testing::cosine_upstream(y.shape()).to(dtype);
    const Tensor d = autograd::grad({y}, {qkv}, {g}, {.retain_graph = true})[0];  // q, k, v are reused
    const Tensor d_ref = autograd::grad({composed(q, k, v, Tensor(), true, 0.5)}, {qkv}, {g})[0];
    check_values(d, d_ref.to(float64).to_xarray<double>(), 10 * tol, 10 * tol);
  }
  check_second_order([](const Inputs& x) {
    const Tensor heads = reshape(x[0], {2, 3, 3, 2, 2});
    const auto part = [&](std::ptrdiff_t i) { return transpose(squeeze(narrow(heads, 2, i, 1), 2), 1, 2); };
    return scaled_dot_product_attention(part(0), part(1), part(2), Tensor(), 0.0, true);
  }, {random_input({2, 3, 12}, 40)});
}

BOOST_AUTO_TEST_CASE(errors) {
  const Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 6});
  check_error([&] { scaled_dot_product_attention(q, k, v, ones({3, 5}, boolean), 0.0, true); },
              "scaled_dot_product_attention: attn_mask and is_causal cannot both be set");
  check_error([&] { scaled_dot_product_attention(q, zeros({2, 5, 3}), v); },
              "query and key differ in their last dimension (E): query (2,3,4), key (2,5,3), value (2,5,6)");
  check_error([&] { scaled_dot_product_attention(q, k, zeros({2, 4, 6})); },
              "key and value differ in their number of keys (S)");
  check_error([&] { scaled_dot_product_attention(zeros({4}), k, v); }, "need at least 2 dimensions");
  check_error([&] { scaled_dot_product_attention(zeros({3, 3, 4}), k, v); }, "the batch dimensions do not broadcast");
  check_error([&] { scaled_dot_product_attention(q, k.to(float64), v); }, "dtype mismatch: query float32, key float64");
  check_error([&] { scaled_dot_product_attention(q.to(int64), k.to(int64), v.to(int64)); },
              "scaled_dot_product_attention: expected a float32 or float64 tensor, got int64");
  check_error([&] { scaled_dot_product_attention(q, k, v, zeros({3, 5}, int64)); },
              "attn_mask must be bool or of the query's dtype (float32), got int64");
  check_error([&] { scaled_dot_product_attention(q, k, v, zeros({3, 5}, float64)); }, "got float64");
  check_error([&] { scaled_dot_product_attention(q, k, v, ones({3, 4}, boolean)); },
              "attn_mask of shape (3,4) does not broadcast to (..., L, S) = (2,3,5)");
  check_error([&] { scaled_dot_product_attention(q, k, v, ones({3, 2, 3, 5}, boolean)); }, "does not broadcast");
  check_error([&] { scaled_dot_product_attention(q, k, v, Tensor(), 1.5); }, "invalid dropout_p 1.5");
  const double inf = std::numeric_limits<double>::infinity();
  check_error([&] { scaled_dot_product_attention(q, k, v, Tensor(), 0.0, false, inf); }, "invalid scale");
}

BOOST_AUTO_TEST_SUITE_END()
