#include "descent/nn/attention.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

#include "descent/autograd/grad_mode.hpp"
#include "descent/ops/dropout.hpp"
#include "descent/nn/init.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/attention.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/reduce.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn {

namespace {

constexpr const char* kOp = "MultiheadAttention";
constexpr double kInf = std::numeric_limits<double>::infinity();

std::ptrdiff_t as_signed(std::size_t n) { return static_cast<std::ptrdiff_t>(n); }

/// A bool mask as one added to the scores, in `dtype`: -inf where attention is not allowed, 0 where it
/// is. `true_allows`: what true means (scaled_dot_product_attention's meaning, or the opposite, MHA's).
Tensor additive(const Tensor& mask, Dtype dtype, bool true_allows) {
  NoGradGuard no_grad;
  const Tensor zero = full({}, 0.0, dtype), minus_inf = full({}, -kInf, dtype);
  return true_allows ? where(mask, zero, minus_inf) : where(mask, minus_inf, zero);
}

/// softmax(query·keyᵀ/√E + mask) over the keys: the attention probabilities, (B, L, S), for
/// need_weights (scaled_dot_product_attention computes the same inside and does not return them). A
/// bool mask is true where attention IS allowed (that op's meaning), a floating one is added. A query
/// whose keys are all masked gets zero probabilities (and zero gradients), as in the fused op: its
/// scores are replaced by zeros before the softmax, which would otherwise give NaN.
Tensor attention_probabilities(const Tensor& query, const Tensor& key, const Tensor& attn_mask) {
  const double s = 1 / std::sqrt(static_cast<double>(query.size(-1)));
  Tensor scores = matmul(query * s, transpose(key));
  if (!attn_mask.defined()) return softmax(scores, -1);
  scores = scores + (attn_mask.dtype() == Dtype::boolean ? additive(attn_mask, scores.dtype(), true) : attn_mask);
  Tensor some_key;  // (B, L, 1): 1 where the query may attend to at least one key
  {
    NoGradGuard no_grad;
    some_key = where(max(scores, {-1}, true) > -kInf, full({}, 1.0, scores.dtype()), full({}, 0.0, scores.dtype()));
  }
  return softmax(where(some_key > 0.5, scores, full({}, 0.0, scores.dtype())), -1) * some_key;
}

/// (N, L, heads·d) -> (N·heads, L, d): entry n·heads + h holds head h of batch entry n (PyTorch's order).
Tensor split_heads(const Tensor& x, std::size_t heads) {
  const auto n = as_signed(x.size(0)), l = as_signed(x.size(1)), h = as_signed(heads);
  return reshape(permute(reshape(x, {n, l, h, as_signed(x.size(2)) / h}), {0, 2, 1, 3}), {n * h, l, -1});
}

/// (N·heads, L, d) -> (N, L, heads·d).
Tensor merge_heads(const Tensor& x, std::size_t heads) {
  const auto h = as_signed(heads), l = as_signed(x.size(1)), d = as_signed(x.size(2));
  return reshape(permute(reshape(x, {-1, h, l, d}), {0, 2, 1, 3}), {-1, l, h * d});
}

bool floating_or_bool(const Tensor& mask, Dtype dtype) {
  return mask.dtype() == Dtype::boolean || mask.dtype() == dtype;
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, MultiheadAttentionOptions options,
                                       Generator& gen)
    : embed_dim(embed_dim), num_heads(num_heads), head_dim(0), kdim(options.kdim ? options.kdim : embed_dim),
      vdim(options.vdim ? options.vdim : embed_dim), options(options), gen_(&gen) {
  DESCENT_CHECK(as_signed(embed_dim) > 0 && as_signed(num_heads) > 0 && as_signed(kdim) > 0 && as_signed(vdim) > 0,
                kOp, "embed_dim, num_heads, kdim and vdim must be positive, got embed_dim=", as_signed(embed_dim),
                " num_heads=", as_signed(num_heads), " kdim=", as_signed(kdim), " vdim=", as_signed(vdim));
  DESCENT_CHECK(embed_dim % num_heads == 0, kOp, "embed_dim must be divisible by num_heads, got embed_dim=",
                embed_dim, " num_heads=", num_heads);
  DESCENT_CHECK(options.dropout >= 0 && options.dropout < 1, kOp, "dropout must be in [0, 1), got ", options.dropout);
  head_dim = embed_dim / num_heads;
  const Dtype dt = options.dtype;
  if (kdim == embed_dim && vdim == embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}, dt));
    init::xavier_uniform_(in_proj_weight, 1, gen);
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({embed_dim, embed_dim}, dt));
    k_proj_weight = register_parameter("k_proj_weight", empty({embed_dim, kdim}, dt));
    v_proj_weight = register_parameter("v_proj_weight", empty({embed_dim, vdim}, dt));
    for (Tensor* w : {&q_proj_weight, &k_proj_weight, &v_proj_weight}) init::xavier_uniform_(*w, 1, gen);
  }
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}, dt));
  out_proj = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, LinearOptions{options.bias, dt}, gen));
  if (options.bias) init::zeros_(out_proj->bias);
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  return std::get<0>(forward(x, x, x, {.need_weights = false}));
}

std::tuple<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                       const MultiheadAttentionForwardOptions& o) {
  // --- shapes: everything is brought to batch-first (N, L, E) ---------------------------------
  DESCENT_CHECK(query.dim() == 2 || query.dim() == 3, kOp,
                "expected a query of shape (L, E) (unbatched) or (L, N, E) / (N, L, E) (batch_first), got ",
                to_string(query.shape()));
  const bool batched = query.dim() == 3;
  DESCENT_CHECK(key.dim() == query.dim() && value.dim() == query.dim(), kOp, "for a ", query.dim(),
                "-D query, key and value must be ", query.dim(), "-D too, got query ", to_string(query.shape()),
                ", key ", to_string(key.shape()), ", value ", to_string(value.shape()));
  DESCENT_CHECK(query.size(-1) == embed_dim && key.size(-1) == kdim && value.size(-1) == vdim, kOp,
                "expected query, key and value with ", embed_dim, ", ", kdim, " and ", vdim,
                " features (embed_dim, kdim, vdim), got query ", to_string(query.shape()), ", key ",
                to_string(key.shape()), ", value ", to_string(value.shape()));
  const Dtype dt = out_proj->weight.dtype();
  DESCENT_CHECK(query.dtype() == dt && key.dtype() == dt && value.dtype() == dt, kOp,
                "expected query, key and value of the parameters' dtype ", to_string(dt), ", got ",
                to_string(query.dtype()), ", ", to_string(key.dtype()), ", ", to_string(value.dtype()));
  const auto batch_first_view = [&](const Tensor& t) {
    if (!batched) return unsqueeze(t, 0);
    return options.batch_first ? t : transpose(t, 0, 1);
  };
  const Tensor q_in = batch_first_view(query), k_in = batch_first_view(key), v_in = batch_first_view(value);
  const std::size_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1);
  DESCENT_CHECK(k_in.size(0) == n && v_in.size(0) == n && v_in.size(1) == s, kOp,
                "query, key and value must have the same batch size, and key and value the same length, got query ",
                to_string(query.shape()), ", key ", to_string(key.shape()), ", value ", to_string(value.shape()),
                options.batch_first ? " (batch_first)" : "");

  // --- masks: one added to the scores, (1 or N·heads, L, S) ----------------------------------
  Tensor mask;
  if (o.attn_mask.defined()) {
    const Tensor& m = o.attn_mask;
    DESCENT_CHECK(floating_or_bool(m, dt), kOp, "attn_mask must be bool or ", to_string(dt), ", got ",
                  to_string(m.dtype()));
    const bool ok = (m.dim() == 2 && m.size(0) == l && m.size(1) == s) ||
                    (m.dim() == 3 && m.size(0) == n * num_heads && m.size(1) == l && m.size(2) == s);
    DESCENT_CHECK(ok, kOp, "expected an attn_mask of shape (", l, ", ", s, ") or (", n * num_heads, ", ", l, ", ",
                  s, ") (L, S or N·num_heads, L, S), got ", to_string(m.shape()));
    mask = m.dtype() == Dtype::boolean ? additive(m, dt, false) : m;
    if (mask.dim() == 2) mask = unsqueeze(mask, 0);
  }
  if (o.key_padding_mask.defined()) {
    const Tensor& m = o.key_padding_mask;
    DESCENT_CHECK(floating_or_bool(m, dt), kOp, "key_padding_mask must be bool or ", to_string(dt), ", got ",
                  to_string(m.dtype()));
    const bool ok = batched ? m.dim() == 2 && m.size(0) == n && m.size(1) == s : m.dim() == 1 && m.size(0) == s;
    DESCENT_CHECK(ok, kOp, "expected a key_padding_mask of shape ",
                  batched ? "(" + std::to_string(n) + ", " + std::to_string(s) + ") (N, S)" : "(" + std::to_string(s) + ") (S)",
                  ", got ", to_string(m.shape()));
    Tensor padding = m.dtype() == Dtype::boolean ? additive(m, dt, false) : m;
    const auto h = as_signed(num_heads);
    padding = reshape(broadcast_to(reshape(padding, {as_signed(n), 1, 1, as_signed(s)}), {n, num_heads, 1, s}),
                      {as_signed(n) * h, 1, as_signed(s)});
    mask = mask.defined() ? mask + padding : padding;
  }

  // --- projections, heads, attention ------------------------------------------------------------
  const auto e = as_signed(embed_dim);
  const auto part = [&](const Tensor& t, std::ptrdiff_t i) { return t.defined() ? narrow(t, 0, i * e, embed_dim) : t; };
  const Tensor wq = in_proj_weight.defined() ? part(in_proj_weight, 0) : q_proj_weight;
  const Tensor wk = in_proj_weight.defined() ? part(in_proj_weight, 1) : k_proj_weight;
  const Tensor wv = in_proj_weight.defined() ? part(in_proj_weight, 2) : v_proj_weight;
  const Tensor q = split_heads(linear(q_in, wq, part(in_proj_bias, 0)), num_heads);
  const Tensor k = split_heads(linear(k_in, wk, part(in_proj_bias, 1)), num_heads);
  const Tensor v = split_heads(linear(v_in, wv, part(in_proj_bias, 2)), num_heads);
  const double p = is_training() ? options.dropout : 0.0;
  Tensor heads, weights;
  if (o.need_weights) {  // the probabilities are wanted: composed (the fused op keeps them to itself)
    weights = dropout(attention_probabilities(q, k, mask), p, true, *gen_);
    heads = matmul(weights, v);
  } else {
    heads = scaled_dot_product_attention(q, k, v, mask, p, false, std::nullopt, *gen_);  // fused
  }
  Tensor out = (*out_proj)(merge_heads(heads, num_heads));  // (N, L, E)
  out = !batched ? squeeze(out, 0) : options.batch_first ? out : transpose(out, 0, 1);
  if (weights.defined()) {
    weights = reshape(weights, {as_signed(n), as_signed(num_heads), as_signed(l), as_signed(s)});
    if (o.average_attn_weights) weights = sum(weights, {1}) / static_cast<double>(num_heads);
    if (!batched) weights = squeeze(weights, 0);
  }
  return {out, weights};
}

std::string MultiheadAttention::describe() const {
  std::ostringstream out;
  out << "MultiheadAttention(embed_dim=" << embed_dim << ", num_heads=" << num_heads;
  if (options.dropout != 0) out << ", dropout=" << options.dropout;
  if (!options.bias) out << ", bias=false";
  if (kdim != embed_dim) out << ", kdim=" << kdim;
  if (vdim != embed_dim) out << ", vdim=" << vdim;
  if (options.batch_first) out << ", batch_first=true";
  out << ")";
  return out.str();
}

}  // namespace descent::nn
