// Scaled dot-product attention as one fused op (kernels/attention.hpp): per batch-head, BLAS for
// Q·Kᵀ and P·V on the operands as they are stored (strided views such as a head split of one
// Linear's output are not copied), scale + mask + max-subtracted softmax in one pass over each row
// of scores, the probabilities saved for the backward; no intermediate tensor per step. The plain
// backward is the fused kernel; under create_graph the same formulas run as recorded ops.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/attention.hpp"

#include <climits>
#include <cmath>
#include <limits>

#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"
#include "detail/check.hpp"
#include "detail/dispatch.hpp"
#include "kernels/attention.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

constexpr const char* op_name = "scaled_dot_product_attention";

/// The batch dimensions of an attention operand (all but its last two).
Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

/// The geometry of one call and the tensors it points into (copies of operands BLAS cannot read
/// in place, the broadcast mask view), kept alive with it.
struct Prepared {
  kernels::AttentionGeometry g;
  Tensor q, k, v, mask, dropout;
};

kernels::AttentionOperand describe(const Tensor& t, const Shape& batch, Tensor& keep) {
  const auto layout = [](const Tensor& x) {
    const std::size_t r = x.dim() - 2;
    return kernels::blas_matrix(x.shape()[r], x.shape()[r + 1], x.strides()[r], x.strides()[r + 1]);
  };
  keep = t;
  if (!layout(t).usable) keep = detail::contiguous_values(t);  // e.g. a broadcast row
  return {keep.impl().data, kernels::batch_offsets(keep, batch), layout(keep)};
}

Prepared prepare(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, const Tensor& dropout,
                 bool causal, double scale, const Shape& batch) {
  Prepared p;
  kernels::AttentionGeometry& g = p.g;
  g.heads = numel(batch);
  g.L = q.size(-2), g.S = k.size(-2), g.E = q.size(-1), g.Ev = v.size(-1);
  g.scale = scale;
  g.causal = causal;
  g.q = describe(q, batch, p.q);
  g.k = describe(k, batch, p.k);
  g.v = describe(v, batch, p.v);
  if (mask.defined()) {
    Shape full = batch;
    full.push_back(g.L);
    full.push_back(g.S);
    {
      NoGradGuard no_grad;
      p.mask = broadcast_to(mask.detach(), full);  // a view: broadcast dimensions have stride 0
    }
    g.mask = p.mask.impl().data;
    g.mask_is_bool = mask.dtype() == boolean;
    g.mask_offsets = kernels::batch_offsets(p.mask, batch);
    g.mask_row_stride = p.mask.strides()[full.size() - 2];
    g.mask_col_stride = p.mask.strides()[full.size() - 1];
  }
  p.dropout = dropout;
  g.dropout = dropout.defined() ? dropout.impl().data : nullptr;
  return p;
}

/// The query-key pairs allowed by is_causal, (L, S): key j <= query i.
Tensor causal_mask(std::size_t L, std::size_t S) {
  Tensor m = empty({L, S}, boolean);
  bool* d = m.data<bool>();
  for (std::size_t i = 0; i < L; ++i)
    for (std::size_t j = 0; j < S; ++j) d[i * S + j] = j <= i;
  return m;
}

/// The attention probabilities by recorded ops (the create_graph backward): the softmax of the
/// scaled, masked scores, 0 on rows whose keys are all masked out.
Tensor composed_probabilities(const Tensor& q, const Tensor& k, const Tensor& mask, bool causal, double scale) {
  const Tensor neg_inf = detail::scalar_like(q, -std::numeric_limits<double>::infinity());
  Tensor s = matmul(q, transpose(k)) * scale;
  const Tensor allowed = causal ? causal_mask(q.size(-2), k.size(-2)) : mask;
  if (allowed.defined() && allowed.dtype() == boolean) s = where(allowed, s, neg_inf);
  else if (mask.defined()) s = s + mask;
  Tensor live;
  {
    NoGradGuard no_grad;
    live = gt(max(s.detach(), {-1}, true), neg_inf);
  }
  const Tensor zero = detail::scalar_like(q, 0);
  return where(live, softmax(where(live, s, zero), -1), zero);
}

/// The probabilities saved by the forward kernel and the dropout multipliers, into the gradients
/// of q, k, v and a floating mask (each over the whole batch; undefined where not wanted).
Grads fused_grads(const Prepared& p, const Tensor& probs, const Tensor& g, const Shape& batch, bool want_q, bool want_k,
                  bool want_v, bool want_mask) {
  const auto buffer = [&](bool wanted, std::size_t rows, std::size_t cols) {
    if (!wanted) return Tensor();
    Shape shape = batch;
    shape.push_back(rows);
    shape.push_back(cols);
    return empty(shape, probs.dtype());
  };
  const kernels::AttentionGeometry& geo = p.g;
  Tensor dq = buffer(want_q, geo.L, geo.E), dk = buffer(want_k, geo.S, geo.E), dv = buffer(want_v, geo.S, geo.Ev),
         dmask = buffer(want_mask, geo.L, geo.S);
  const Tensor cg = detail::contiguous_values(g);
  detail::dispatch_floating(op_name, probs.dtype(), [&](auto e) {
    using T = decltype(e);
    const auto ptr = [](const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
    kernels::attention_backward<T>(geo, probs.data<T>(), cg.data<T>(), ptr(dq), ptr(dk), ptr(dv), ptr(dmask));
  });
  return {dq, dk, dv, dmask};
}

/// Checks of the operands' shapes and dtypes; the broadcast batch shape.
Shape check_operands(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                     bool is_causal, std::optional<double> scale) {
  DESCENT_CHECK(q.defined() && k.defined() && v.defined(), op_name, "query, key and value must be defined tensors");
  const auto shapes = [&] {
    return "query " + to_string(q.shape()) + ", key " + to_string(k.shape()) + ", value " + to_string(v.shape());
  };
  DESCENT_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op_name,
                "query (..., L, E), key (..., S, E) and value (..., S, Ev) need at least 2 dimensions, got ", shapes());
  detail::check_floating(op_name, q);
  DESCENT_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), op_name, "dtype mismatch: query ",
                to_string(q.dtype()), ", key ", to_string(k.dtype()), ", value ", to_string(v.dtype()));
  DESCENT_CHECK(k.size(-1) == q.size(-1), op_name, "query and key differ in their last dimension (E): ", shapes());
  DESCENT_CHECK(v.size(-2) == k.size(-2), op_name, "key and value differ in their number of keys (S): ", shapes());
  DESCENT_CHECK(std::isfinite(dropout_p) && dropout_p >= 0 && dropout_p <= 1, op_name, "invalid dropout_p ", dropout_p,
                " (must be in [0, 1])");
  DESCENT_CHECK(!scale || std::isfinite(*scale), op_name, "invalid scale ", scale.value_or(0), " (must be finite)");
  Shape batch;
  try {
    batch = broadcast_shapes(op_name, broadcast_shapes(op_name, batch_of(q), batch_of(k)), batch_of(v));
  } catch (const Error&) {
    DESCENT_CHECK(false, op_name, "the batch dimensions do not broadcast: ", shapes());
  }
  const std::size_t L = q.size(-2), S = k.size(-2);
  if (mask.defined()) {
    DESCENT_CHECK(!is_causal, op_name,
                  "attn_mask and is_causal cannot both be set (is_causal is the lower-triangular mask)");
    DESCENT_CHECK(mask.dtype() == boolean || mask.dtype() == q.dtype(), op_name,
                  "attn_mask must be bool or of the query's dtype (", to_string(q.dtype()), "), got ",
                  to_string(mask.dtype()));
    Shape full = batch;
    full.push_back(L);
    full.push_back(S);
    bool fits = mask.dim() <= full.size();
    for (std::size_t i = 0; fits && i < mask.dim(); ++i) {
      const std::size_t m = mask.shape()[mask.dim() - 1 - i], f = full[full.size() - 1 - i];
      fits = m == f || m == 1;
    }
    DESCENT_CHECK(fits, op_name, "attn_mask of shape ", to_string(mask.shape()), " does not broadcast to (..., L, S) = ",
                  to_string(full), " (", shapes(), ")");
  }
  DESCENT_CHECK(numel(batch) * L * S < INT_MAX && q.numel() < INT_MAX && k.numel() < INT_MAX && v.numel() < INT_MAX,
                op_name, "operands too large for BLAS: ", shapes());
  return batch;
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator& gen) {
  const Shape batch = check_operands(query, key, value, attn_mask, dropout_p, is_causal, scale);
  const std::size_t L = query.size(-2), S = key.size(-2), E = query.size(-1);
  const double sc = scale ? *scale : E == 0 ? 1.0 : 1.0 / std::sqrt(double(E));
  Shape ls = batch;
  ls.push_back(L);
  ls.push_back(S);
  Tensor dropout;  // the multipliers of P: 0 (dropped) or 1/(1-p), one per query-key pair
  if (dropout_p > 0) {
    NoGradGuard no_grad;
    const double keep = 1 - dropout_p;
    const Dtype dt = query.dtype();
    dropout = dropout_p == 1 ? zeros(ls, dt)
                             : where(rand(ls, gen, dt) < keep, full({}, 1 / keep, dt), full({}, 0.0, dt)).contiguous();
  }
  const Prepared p = prepare(query, key, value, attn_mask, dropout, is_causal, sc, batch);
  Shape out_shape = batch;
  out_shape.push_back(L);
  out_shape.push_back(value.size(-1));
  // P is kept only for a backward.
  const bool saving = autograd::should_record({query, key, value, attn_mask});
  Tensor out = empty(out_shape, query.dtype()), probs = saving ? empty(ls, query.dtype()) : Tensor();
  detail::dispatch_floating(op_name, query.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::attention_forward<T>(p.g, out.data<T>(), saving ? probs.data<T>() : nullptr);
  });

  autograd::trace_attributes(out, [&] {
    return autograd::TraceAttributes{{"scale", sc}, {"is_causal", std::int64_t(is_causal)}, {"dropout_p", dropout_p}};
  });
  // With P = softmax(scale·Q·Kᵀ + mask) and Pd = P ⊙ M (dropout): d/dV = Pdᵀ·g, d/dP = (g·Vᵀ) ⊙ M,
  // d/dS = P ⊙ (d/dP - rowsum(d/dP ⊙ P)), d/dQ = scale·dS·K, d/dK = scale·dSᵀ·Q, d/dmask = dS; each
  // summed over the batch dimensions its input broadcasts along. Fused kernel from the saved P, or
  // recorded ops (P recomputed from Q and K) under create_graph.
  return record(op_name, out, {query, key, value, attn_mask},
                [sq = SavedTensor(query), sk = SavedTensor(key), sv = SavedTensor(value), sm = SavedTensor(attn_mask),
                 probs, dropout, is_causal, sc, batch](const Tensor& g) {
    const Tensor q = sq.unpack(), k = sk.unpack(), v = sv.unpack(), mask = sm.unpack();
    const bool want_mask = mask.defined() && mask.requires_grad();
    Grads d;
    if (autograd::is_grad_enabled()) {
      const Tensor P = composed_probabilities(q, k, mask, is_causal, sc);
      const Tensor Pd = dropout.defined() ? P * dropout : P;
      Tensor dP = matmul(g, transpose(v));
      if (dropout.defined()) dP = dP * dropout;
      const Tensor dS = P * (dP - sum(dP * P, {-1}, true));
      d = {q.requires_grad() ? matmul(dS, k) * sc : Tensor(),
           k.requires_grad() ? matmul(transpose(dS), q) * sc : Tensor(),
           v.requires_grad() ? matmul(transpose(Pd), g) : Tensor(), want_mask ? dS : Tensor()};
    } else {
      const Prepared p = prepare(q, k, v, mask, dropout, is_causal, sc, batch);
      d = fused_grads(p, probs, g, batch, q.requires_grad(), k.requires_grad(), v.requires_grad(), want_mask);
    }
    const Tensor* inputs[] = {&q, &k, &v, &mask};
    for (std::size_t i = 0; i < 4; ++i)
      if (d[i].defined() && d[i].shape() != inputs[i]->shape()) d[i] = sum_to(d[i], inputs[i]->shape());
    return d;
  });
}

}  // namespace descent
