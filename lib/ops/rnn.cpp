// Fused recurrent ops. The step kernels (kernels/rnn.hpp) compute every gate's nonlinearity and
// the new states in one pass each way, for speed: an LSTM step composed of ops was ~12 tape nodes
// and as many passes over (B, 4H). recurrent_layer runs a whole direction of a layer as one
// recorded op: the tape's nodes have one result, and the gradient of a narrow()ed step of the
// one-GEMM input projection is a zero tensor of the projection's whole size, so per-step nodes
// would cost O(T²); one node per layer returns the gates' gradients of every step as the
// projection's gradient, without a copy. Under create_graph every backward here is recorded as
// composed ops (the cells' formulas below, the layer re-run step by step through the cells), so
// they differentiate to any order.
#include "detail/gcc12_avx512_warnings.hpp"  // first: before xsimd's kernels are seen

#include "descent/ops/rnn.hpp"

#include <algorithm>
#include <vector>

#include "descent/autograd/engine.hpp"
#include "descent/autograd/function.hpp"
#include "descent/autograd/saved_tensor.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "detail/dispatch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/rnn.hpp"

namespace descent {

using autograd::record;
using Grads = std::vector<Tensor>;

namespace {

/// Gate block k (H wide) of a (B, G·H) tensor.
Tensor gate(const Tensor& t, std::size_t k, std::size_t H) {
  return narrow(t, 1, static_cast<std::ptrdiff_t>(k * H), H);
}
/// Row k of the leading axis, without it.
Tensor row(const Tensor& t, std::size_t k) { return squeeze(narrow(t, 0, static_cast<std::ptrdiff_t>(k), 1), 0); }

void check_state(const char* op, const char* name, const Tensor& s, std::size_t B, std::size_t H, const Tensor& like) {
  DESCENT_CHECK(s.defined() && s.dim() == 2 && s.size(0) == B && s.size(1) == H, op, "expected ", name, " of shape (",
                B, ",", H, "), got ", s.defined() ? to_string(s.shape()) : std::string("an undefined tensor"));
  detail::check_same_dtype(op, like, s);
}

// The cells' derivatives as composed ops (what runs under create_graph).

/// LSTM: dc' = dc + dh·o·(1 - tanh²c'); d(i,f,g,o) through σ' = s(1-s), tanh' = 1 - t²; ∂/∂c = dc'·f.
Grads lstm_cell_composed_backward(const Tensor& gates, const Tensor& c, const Tensor& grad) {
  const std::size_t H = c.size(1);
  const Tensor i = sigmoid(gate(gates, 0, H)), f = sigmoid(gate(gates, 1, H)), g = tanh(gate(gates, 2, H)),
               o = sigmoid(gate(gates, 3, H));
  const Tensor tc = tanh(f * c + i * g);
  const Tensor dh = row(grad, 0), dct = row(grad, 1) + dh * o * (1.0 - tc * tc);
  return {concat({dct * g * i * (1.0 - i), dct * c * f * (1.0 - f), dct * i * (1.0 - g * g), dh * tc * o * (1.0 - o)}, 1),
          dct * f};
}

/// GRU: dn = dh(1-z) through tanh'; dz = dh(h - n) through σ'; dr = dn'·gh_n through σ'; ∂/∂h = dh·z.
Grads gru_cell_composed_backward(const Tensor& gi, const Tensor& gh, const Tensor& h, const Tensor& grad) {
  const std::size_t H = h.size(1);
  const Tensor r = sigmoid(gate(gi, 0, H) + gate(gh, 0, H)), z = sigmoid(gate(gi, 1, H) + gate(gh, 1, H));
  const Tensor hn = gate(gh, 2, H), n = tanh(gate(gi, 2, H) + r * hn);
  const Tensor dn = grad * (1.0 - z) * (1.0 - n * n), dz = grad * (h - n) * z * (1.0 - z);
  const Tensor dr = dn * hn * r * (1.0 - r);
  return {concat({dr, dz, dn}, 1), concat({dr, dz, dn * r}, 1), grad * z};
}

std::size_t gate_count(RecurrentMode mode) {
  return mode == RecurrentMode::lstm ? 4 : mode == RecurrentMode::gru ? 3 : 1;
}

/// recurrent_layer's forward re-run of composed ops (the cells above), for the create_graph backward.
Tensor recurrent_layer_composed(RecurrentMode mode, const Tensor& xp, Tensor h, Tensor c, const Tensor& w,
                                const Tensor& b, bool reverse) {
  const std::size_t T = xp.size(0);
  std::vector<Tensor> outs(T);
  for (std::size_t s = 0; s < T; ++s) {
    const std::size_t t = reverse ? T - 1 - s : s;
    const Tensor gi = row(xp, t), gh = linear(h, w, b);
    if (mode == RecurrentMode::lstm) {
      const Tensor hc = lstm_cell_fused(gi + gh, c);
      h = row(hc, 0);
      c = row(hc, 1);
    } else if (mode == RecurrentMode::gru) {
      h = gru_cell_fused(gi, gh, h);
    } else {
      h = mode == RecurrentMode::rnn_relu ? relu(gi + gh) : tanh(gi + gh);
    }
    outs[t] = h;
  }
  if (mode == RecurrentMode::lstm) outs.push_back(c);
  return stack(outs, 0);
}

}  // namespace

Tensor lstm_cell_fused(const Tensor& gates, const Tensor& c) {
  DESCENT_CHECK(gates.dim() == 2 && gates.size(1) % 4 == 0, "lstm_cell_fused",
                "expected gates of shape (B, 4H), got ", to_string(gates.shape()));
  detail::check_floating("lstm_cell_fused", gates);
  const std::size_t B = gates.size(0), H = gates.size(1) / 4;
  check_state("lstm_cell_fused", "c", c, B, H, gates);
  const Tensor cg = detail::contiguous_values(gates), cc = detail::contiguous_values(c);
  Tensor out = empty({2, B, H}, gates.dtype()), act = empty({B, 4 * H}, gates.dtype());
  detail::dispatch_floating("lstm_cell_fused", gates.dtype(), [&](auto e) {
    using T = decltype(e);
    T* o = out.data<T>();
    kernels::rnn::lstm_forward<T>(B, H, cg.data<T>(), 4 * H, nullptr, nullptr, cc.data<T>(), act.data<T>(), o + B * H, o);
  });
  // d/d(gates, c): one fused pass (kernels::rnn::lstm_backward), composed ops under create_graph
  return record("lstm_cell_fused", out, {gates, c},
                [sg = SavedTensor(gates), sc = SavedTensor(c), so = SavedTensor::output(out), act, B, H](const Tensor& grad) {
                  if (autograd::is_grad_enabled()) return lstm_cell_composed_backward(sg.unpack(), sc.unpack(), grad);
                  const Tensor g = detail::contiguous_values(grad), cc = detail::contiguous_values(sc.unpack());
                  const Tensor y = so.unpack();
                  Tensor dgates = empty({B, 4 * H}, g.dtype()), dc = empty({B, H}, g.dtype());
                  detail::dispatch_floating("lstm_cell_fused", g.dtype(), [&](auto e) {
                    using T = decltype(e);
                    kernels::rnn::lstm_backward<T>(B, H, act.data<T>(), cc.data<T>(), y.data<T>() + B * H, g.data<T>(),
                                                   g.data<T>() + B * H, dc.data<T>(), dgates.data<T>());
                  });
                  return Grads{dgates, dc};
                });
}

Tensor gru_cell_fused(const Tensor& gi, const Tensor& gh, const Tensor& h) {
  DESCENT_CHECK(gi.dim() == 2 && gi.size(1) % 3 == 0 && gh.shape() == gi.shape(), "gru_cell_fused",
                "expected gi and gh of one shape (B, 3H), got ", to_string(gi.shape()), " and ", to_string(gh.shape()));
  detail::check_floating("gru_cell_fused", gi);
  detail::check_same_dtype("gru_cell_fused", gi, gh);
  const std::size_t B = gi.size(0), H = gi.size(1) / 3;
  check_state("gru_cell_fused", "h", h, B, H, gi);
  const Tensor ci = detail::contiguous_values(gi), cg = detail::contiguous_values(gh), ch = detail::contiguous_values(h);
  Tensor out = empty({B, H}, gi.dtype()), act = empty({B, 3 * H}, gi.dtype()), ghn = empty({B, H}, gi.dtype());
  detail::dispatch_floating("gru_cell_fused", gi.dtype(), [&](auto e) {
    using T = decltype(e);
    kernels::rnn::gru_forward<T>(B, H, ci.data<T>(), 3 * H, cg.data<T>(), 3 * H, nullptr, ch.data<T>(), act.data<T>(),
                                 ghn.data<T>(), out.data<T>());
  });
  // d/d(gi, gh, h): one fused pass (kernels::rnn::gru_backward), composed ops under create_graph
  return record("gru_cell_fused", out, {gi, gh, h},
                [si = SavedTensor(gi), sg = SavedTensor(gh), sh = SavedTensor(h), act, ghn, B, H](const Tensor& grad) {
                  if (autograd::is_grad_enabled())
                    return gru_cell_composed_backward(si.unpack(), sg.unpack(), sh.unpack(), grad);
                  const Tensor g = detail::contiguous_values(grad), ch = detail::contiguous_values(sh.unpack());
                  Tensor dgi = empty({B, 3 * H}, g.dtype()), dgh = empty({B, 3 * H}, g.dtype()), dh = empty({B, H}, g.dtype());
                  detail::dispatch_floating("gru_cell_fused", g.dtype(), [&](auto e) {
                    using T = decltype(e);
                    kernels::rnn::gru_backward<T>(B, H, act.data<T>(), ghn.data<T>(), ch.data<T>(), g.data<T>(),
                                                  dgi.data<T>(), dgh.data<T>(), dh.data<T>());
                  });
                  return Grads{dgi, dgh, dh};
                });
}

Tensor recurrent_layer(RecurrentMode mode, const Tensor& input_projection, const Tensor& h0, const Tensor& c0,
                       const Tensor& w_hh, const Tensor& b_hh, bool reverse) {
  const char* op = "recurrent_layer";
  const Tensor& xp = input_projection;
  const bool lstm = mode == RecurrentMode::lstm, gru = mode == RecurrentMode::gru;
  const bool relu_mode = mode == RecurrentMode::rnn_relu;
  const std::size_t G = gate_count(mode);
  DESCENT_CHECK(w_hh.dim() == 2 && w_hh.size(0) == G * w_hh.size(1) && w_hh.size(1) > 0, op,
                "expected w_hh of shape (", G, "·H, H), got ", to_string(w_hh.shape()));
  const std::size_t H = w_hh.size(1), GH = G * H;
  DESCENT_CHECK(xp.dim() == 3 && xp.size(0) > 0 && xp.size(2) == GH, op, "expected the input projection of shape (T, B, ",
                GH, ") with T > 0, got ", to_string(xp.shape()));
  detail::check_floating(op, xp);
  detail::check_same_dtype(op, xp, w_hh);
  const std::size_t T = xp.size(0), B = xp.size(1), BH = B * H;
  check_state(op, "h0", h0, B, H, xp);
  if (lstm) check_state(op, "c0", c0, B, H, xp);
  DESCENT_CHECK(!b_hh.defined() || (b_hh.dim() == 1 && b_hh.size(0) == GH), op, "expected b_hh of shape (", GH,
                "), got ", to_string(b_hh.shape()));
  if (b_hh.defined()) detail::check_same_dtype(op, xp, b_hh);

  const Tensor cx = detail::contiguous_values(xp), ch0 = detail::contiguous_values(h0), cw = detail::contiguous_values(w_hh);
  const Tensor cc0 = lstm ? detail::contiguous_values(c0) : Tensor();
  const Tensor cb = b_hh.defined() ? detail::contiguous_values(b_hh) : Tensor();
  const Dtype dtype = xp.dtype();
  Tensor out = empty({T + (lstm ? 1 : 0), B, H}, dtype);
  // What the backward needs besides the output: the gates' activations, and LSTM's cell states or
  // GRU's recurrent n-projections, per step.
  const Tensor act = lstm || gru ? empty({T, B, GH}, dtype) : Tensor();
  const Tensor states = lstm || gru ? empty({T, B, H}, dtype) : Tensor();
  detail::dispatch_floating(op, dtype, [&](auto e) {
    using F = decltype(e);
    Tensor scratch = empty({B, GH}, dtype);
    F* gh = scratch.data<F>();
    F* y = out.data<F>();
    const F* x = cx.data<F>();
    const F* w = cw.data<F>();
    const F* bias = cb.defined() ? cb.data<F>() : nullptr;
    for (std::size_t s = 0; s < T; ++s) {
      const std::size_t t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1;
      const F* hp = s == 0 ? ch0.data<F>() : y + tp * BH;
      kernels::gemm(false, true, int(B), int(GH), int(H), hp, int(H), w, int(H), F(0), gh);  // h·W_hhᵀ
      if (lstm) {
        const F* cp = s == 0 ? cc0.data<F>() : states.data<F>() + tp * BH;
        kernels::rnn::lstm_forward<F>(B, H, x + t * B * GH, GH, gh, bias, cp, act.data<F>() + t * B * GH,
                                      states.data<F>() + t * BH, y + t * BH);
      } else if (gru) {
        kernels::rnn::gru_forward<F>(B, H, x + t * B * GH, GH, gh, GH, bias, hp, act.data<F>() + t * B * GH,
                                     states.data<F>() + t * BH, y + t * BH);
      } else {
        kernels::rnn::rnn_forward<F>(B, H, relu_mode, x + t * B * GH, GH, gh, bias, y + t * BH);
      }
    }
    if (lstm) std::copy_n(states.data<F>() + (reverse ? 0 : T - 1) * BH, BH, y + T * BH);  // c_n
  });

  const bool want_x = xp.requires_grad(), want_h0 = h0.requires_grad(), want_c0 = lstm && c0.requires_grad();
  const bool want_w = w_hh.requires_grad(), want_b = b_hh.defined() && b_hh.requires_grad();
  // Backpropagation through time, from the last step processed to the first: per step the fused
  // step backward gives the gates' gradients (the input projection's, kept for every step) and
  // ∂/∂h_prev = dgates·W_hh (one GEMM); then ∂/∂W_hh = Σ_t dgates_tᵀ·h_{t-1} in one GEMM over all steps.
  return record(
      op, out, {xp, h0, c0, w_hh, b_hh},
      [mode, reverse, sx = SavedTensor(xp), sh0 = SavedTensor(h0), sc0 = SavedTensor(c0), sw = SavedTensor(w_hh),
       sb = SavedTensor(b_hh), so = SavedTensor::output(out), act, states, T, B, H, want_x, want_h0, want_c0, want_w,
       want_b](const Tensor& grad) {
        const bool lstm = mode == RecurrentMode::lstm, gru = mode == RecurrentMode::gru;
        if (autograd::is_grad_enabled()) {
          // Re-run the steps as recorded cells from aliases of the inputs (so that the nested pass
          // stops there), and differentiate that.
          const Tensor inputs[5] = {sx.unpack(), sh0.unpack(), sc0.unpack(), sw.unpack(), sb.unpack()};
          const bool want[5] = {want_x, want_h0, want_c0, want_w, want_b};
          Tensor alias[5];
          std::vector<Tensor> targets;
          for (int k = 0; k < 5; ++k) {
            alias[k] = want[k] ? narrow(inputs[k], 0, 0, inputs[k].size(0)) : inputs[k];
            if (want[k]) targets.push_back(alias[k]);
          }
          Grads grads(5);
          if (targets.empty()) return grads;
          const Tensor y = recurrent_layer_composed(mode, alias[0], alias[1], alias[2], alias[3], alias[4], reverse);
          const Grads found = autograd::grad({y}, targets, {grad}, {.create_graph = true, .allow_unused = true});
          for (int k = 0, next = 0; k < 5; ++k)
            if (want[k]) grads[k] = found[next++];
          return grads;
        }
        const std::size_t G = gate_count(mode), GH = G * H, BH = B * H;
        const Tensor g = detail::contiguous_values(grad), y = so.unpack();
        const Tensor h0 = detail::contiguous_values(sh0.unpack()), w = detail::contiguous_values(sw.unpack());
        const Tensor c0 = lstm ? detail::contiguous_values(sc0.unpack()) : Tensor();
        const Dtype dtype = g.dtype();
        Tensor dx = empty({T, B, GH}, dtype);
        Tensor dgh = gru ? empty({T, B, GH}, dtype) : dx;  // the recurrent projection's (= dx but for GRU)
        Tensor dh = zeros({B, H}, dtype), dc = lstm ? empty({B, H}, dtype) : Tensor();
        Tensor dw = want_w ? empty({GH, H}, dtype) : Tensor(), db = want_b ? zeros({GH}, dtype) : Tensor();
        detail::dispatch_floating("recurrent_layer", dtype, [&](auto e) {
          using F = decltype(e);
          const F* gp = g.data<F>();
          const F* yp = y.data<F>();
          const F* wp = w.data<F>();
          F* dhp = dh.data<F>();
          if (lstm) std::copy_n(gp + T * BH, BH, dc.data<F>());
          for (std::size_t s = T; s-- > 0;) {
            const std::size_t t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1;
            const F* gt = gp + t * BH;
            for (std::size_t k = 0; k < BH; ++k) dhp[k] += gt[k];
            const F* hp = s == 0 ? h0.data<F>() : yp + tp * BH;
            F* dxt = dx.data<F>() + t * B * GH;
            F* dght = dgh.data<F>() + t * B * GH;
            if (lstm) {
              const F* cp = s == 0 ? c0.data<F>() : states.data<F>() + tp * BH;
              kernels::rnn::lstm_backward<F>(B, H, act.data<F>() + t * B * GH, cp, states.data<F>() + t * BH, dhp,
                                             dc.data<F>(), dc.data<F>(), dxt);
            } else if (gru) {
              kernels::rnn::gru_backward<F>(B, H, act.data<F>() + t * B * GH, states.data<F>() + t * BH, hp, dhp, dxt,
                                            dght, dhp);
            } else {
              kernels::rnn::rnn_backward<F>(BH, mode == RecurrentMode::rnn_relu, yp + t * BH, dhp, dxt);
            }
            // ∂/∂h_prev = dgh_t·W_hh (+ GRU's direct z·dh, already in dh)
            kernels::gemm(false, false, int(B), int(H), int(GH), dght, int(GH), wp, int(H), F(gru ? 1 : 0), dhp);
          }
          if (want_w) {  // h_{t-1} of step t is h0 for the first step processed, else the output one step before
            const std::size_t first = reverse ? T - 1 : 0;
            kernels::gemm(true, false, int(GH), int(H), int(B), dgh.data<F>() + first * B * GH, int(GH), h0.data<F>(),
                          int(H), F(0), dw.data<F>());
            if (T > 1)
              kernels::gemm(true, false, int(GH), int(H), int((T - 1) * B), dgh.data<F>() + (reverse ? 0 : B * GH),
                            int(GH), yp + (reverse ? BH : 0), int(H), F(1), dw.data<F>());
          }
          if (want_b) {
            F* dbp = db.data<F>();
            const F* d = dgh.data<F>();
            for (std::size_t r = 0; r < T * B; ++r)
              for (std::size_t k = 0; k < GH; ++k) dbp[k] += d[r * GH + k];
          }
        });
        return Grads{want_x ? dx : Tensor(), want_h0 ? dh : Tensor(), want_c0 ? dc : Tensor(), dw, db};
      });
}

}  // namespace descent
