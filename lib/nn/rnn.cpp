#include "descent/nn/rnn.hpp"

#include <cmath>
#include <initializer_list>
#include <sstream>

#include "descent/autograd/trace.hpp"
#include "descent/ops/activation.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "detail/check.hpp"

namespace descent::nn {

namespace {

std::size_t gates_of(RecurrentMode mode) {
  return mode == RecurrentMode::lstm ? 4 : mode == RecurrentMode::gru ? 3 : 1;
}

/// The mode's name in a trace (the ONNX exporter maps it to LSTM, GRU or RNN).
const char* mode_name(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::lstm: return "lstm";
    case RecurrentMode::gru: return "gru";
    case RecurrentMode::rnn_relu: return "rnn_relu";
    default: return "rnn_tanh";
  }
}

/// Row k of the leading axis, without it.
Tensor row(const Tensor& t, std::size_t k) { return squeeze(narrow(t, 0, static_cast<std::ptrdiff_t>(k), 1), 0); }

RecurrentMode rnn_mode(const std::string& nonlinearity, const char* layer) {
  DESCENT_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", layer, "unknown nonlinearity '", nonlinearity,
                "' (expected \"tanh\" or \"relu\")");
  return nonlinearity == "relu" ? RecurrentMode::rnn_relu : RecurrentMode::rnn_tanh;
}

RecurrentOptions recurrent_options(const RNNOptions& o) {
  return {o.num_layers, o.bias, o.batch_first, o.dropout, o.bidirectional, o.dtype};
}

void check_sizes(const char* layer, std::size_t input_size, std::size_t hidden_size) {
  const auto as_signed = [](std::size_t n) { return static_cast<std::ptrdiff_t>(n); };
  DESCENT_CHECK(as_signed(input_size) > 0 && as_signed(hidden_size) > 0, layer,
                "input_size and hidden_size must be positive, got input_size=", as_signed(input_size),
                " hidden_size=", as_signed(hidden_size));
}

std::string shape_text(std::initializer_list<std::size_t> dims) { return to_string(Shape(dims)); }

}  // namespace

// --- layers --------------------------------------------------------------------------------------

RecurrentBase::RecurrentBase(const char* name, RecurrentMode mode, std::size_t input_size, std::size_t hidden_size,
                             const RecurrentOptions& options, Generator& gen)
    : input_size(input_size), hidden_size(hidden_size), num_layers(options.num_layers), bias(options.bias),
      batch_first(options.batch_first), bidirectional(options.bidirectional), dropout(options.dropout), name_(name),
      mode_(mode), dropout_layer_(options.dropout < 1 ? options.dropout : 0, gen) {
  check_sizes(name, input_size, hidden_size);
  DESCENT_CHECK(static_cast<std::ptrdiff_t>(num_layers) > 0, name, "num_layers must be positive, got ",
                static_cast<std::ptrdiff_t>(num_layers));
  DESCENT_CHECK(dropout >= 0 && dropout < 1, name, "dropout must be in [0, 1), got ", dropout);
  const std::size_t G = gates_of(mode), D = bidirectional ? 2 : 1;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  // PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh.
  for (std::size_t l = 0; l < num_layers; ++l)
    for (std::size_t d = 0; d < D; ++d) {
      const std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      const std::size_t in = l == 0 ? input_size : D * hidden_size;
      auto param = [&](const std::string& pname, Shape shape) {
        return register_parameter(pname + suffix, uniform(shape, -bound, bound, gen, options.dtype));
      };
      params_.push_back(param("weight_ih", {G * hidden_size, in}));
      params_.push_back(param("weight_hh", {G * hidden_size, hidden_size}));
      params_.push_back(bias ? param("bias_ih", {G * hidden_size}) : Tensor());
      params_.push_back(bias ? param("bias_hh", {G * hidden_size}) : Tensor());
    }
}

const Tensor& RecurrentBase::weight_ih(std::size_t l, std::size_t d) const { return params_.at(4 * (l * (bidirectional ? 2 : 1) + d)); }
const Tensor& RecurrentBase::weight_hh(std::size_t l, std::size_t d) const { return params_.at(4 * (l * (bidirectional ? 2 : 1) + d) + 1); }
const Tensor& RecurrentBase::bias_ih(std::size_t l, std::size_t d) const { return params_.at(4 * (l * (bidirectional ? 2 : 1) + d) + 2); }
const Tensor& RecurrentBase::bias_hh(std::size_t l, std::size_t d) const { return params_.at(4 * (l * (bidirectional ? 2 : 1) + d) + 3); }

std::string RecurrentBase::describe() const {
  std::ostringstream out;
  out << name_ << "(" << input_size << ", " << hidden_size;
  if (num_layers != 1) out << ", num_layers=" << num_layers;
  if (!bias) out << ", bias=False";
  if (batch_first) out << ", batch_first=True";
  if (dropout != 0) out << ", dropout=" << dropout;
  if (bidirectional) out << ", bidirectional=True";
  out << ")";
  return out.str();
}

std::tuple<Tensor, Tensor, Tensor> RecurrentBase::run(const Tensor& input, const Tensor& hx, const Tensor& cx) {
  const bool lstm = mode_ == RecurrentMode::lstm;
  DESCENT_CHECK(input.dim() == 2 || input.dim() == 3, name_, "expected input to be 2-D (unbatched) or 3-D, got ",
                input.dim(), "-D input of shape ", to_string(input.shape()));
  const Tensor& w0 = params_[0];
  DESCENT_CHECK(input.dtype() == w0.dtype(), name_, "input is ", to_string(input.dtype()), " but the parameters are ",
                to_string(w0.dtype()), ": convert one with to(dtype)");
  const bool unbatched = input.dim() == 2;
  const Tensor x0 = unbatched ? unsqueeze(input, 1) : batch_first ? transpose(input, 0, 1) : input;  // (T, B, in)
  DESCENT_CHECK(x0.size(2) == input_size, name_, "input.size(-1) must be equal to input_size: expected ", input_size,
                ", got input of shape ", to_string(input.shape()));
  const std::size_t T = x0.size(0), B = x0.size(1), H = hidden_size, D = bidirectional ? 2 : 1, LD = num_layers * D;
  DESCENT_CHECK(T > 0, name_, "expected a sequence of at least one step, got input of shape ", to_string(input.shape()));
  const std::string expected_state = unbatched ? shape_text({LD, H}) : shape_text({LD, B, H});
  auto state = [&](const Tensor& s, const char* which) {
    if (!s.defined()) return zeros({LD, B, H}, w0.dtype());
    DESCENT_CHECK(to_string(s.shape()) == expected_state, name_, "expected ", which, " of shape ", expected_state,
                  " for input of shape ", to_string(input.shape()), ", got ", to_string(s.shape()));
    DESCENT_CHECK(s.dtype() == w0.dtype(), name_, which, " is ", to_string(s.dtype()), " but the parameters are ",
                  to_string(w0.dtype()));
    return unbatched ? unsqueeze(s, 1) : s;
  };
  const Tensor h = state(hx, lstm ? "h0" : "hx"), c = lstm ? state(cx, "c0") : Tensor();
  const std::size_t GH = gates_of(mode_) * H;
  Tensor x = x0;
  std::vector<Tensor> h_n, c_n;
  for (std::size_t l = 0; l < num_layers; ++l) {
    const Tensor flat = reshape(x, {static_cast<std::ptrdiff_t>(T * B), -1});
    std::vector<Tensor> outs;
    for (std::size_t d = 0; d < D; ++d) {
      const std::size_t k = l * D + d;
      // Every step's input projection in one GEMM, bias folded in; then the recurrence as one op.
      const Tensor xp = reshape(linear(flat, weight_ih(l, d), bias_ih(l, d)),
                                {static_cast<std::ptrdiff_t>(T), static_cast<std::ptrdiff_t>(B), static_cast<std::ptrdiff_t>(GH)});
      const Tensor h0 = row(h, k), c0 = lstm ? row(c, k) : Tensor();
      // Traced as one layer (ONNX's LSTM / GRU / RNN op), its input projection included.
      const Tensor r = autograd::traced(
          "rnn_layer", recurrent_layer(mode_, xp, h0, c0, weight_hh(l, d), bias_hh(l, d), d == 1),
          {x, weight_ih(l, d), bias_ih(l, d), h0, c0, weight_hh(l, d), bias_hh(l, d)},
          [&] { return autograd::TraceAttributes{{"mode", mode_name(mode_)}, {"reverse", std::int64_t(d == 1)}}; });
      outs.push_back(lstm ? narrow(r, 0, 0, T) : r);
      h_n.push_back(row(r, d == 1 ? 0 : T - 1));
      if (lstm) c_n.push_back(row(r, T));
    }
    x = D == 2 ? concat(outs, 2) : outs[0];
    if (dropout > 0 && is_training() && l + 1 < num_layers) x = dropout_layer_.forward(x);
  }
  Tensor out = unbatched ? squeeze(x, 1) : batch_first ? transpose(x, 0, 1) : x;
  Tensor hn = stack(h_n, 0), cn = lstm ? stack(c_n, 0) : Tensor();
  if (unbatched) {
    hn = squeeze(hn, 1);
    if (lstm) cn = squeeze(cn, 1);
  }
  return {out, hn, cn};
}

RNN::RNN(std::size_t input_size, std::size_t hidden_size, const RNNOptions& options, Generator& gen)
    : RecurrentBase("RNN", rnn_mode(options.nonlinearity, "RNN"), input_size, hidden_size, recurrent_options(options),
                    gen),
      nonlinearity(options.nonlinearity) {}

Tensor RNN::forward(const Tensor& input) { return std::get<0>(run(input, Tensor(), Tensor())); }

std::tuple<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& hx) {
  auto [out, hn, cn] = run(input, hx, Tensor());
  return {out, hn};
}

LSTM::LSTM(std::size_t input_size, std::size_t hidden_size, const LSTMOptions& options, Generator& gen)
    : RecurrentBase("LSTM", RecurrentMode::lstm, input_size, hidden_size, options, gen) {}

Tensor LSTM::forward(const Tensor& input) { return std::get<0>(run(input, Tensor(), Tensor())); }

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTM::forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx) {
  auto [out, hn, cn] = run(input, std::get<0>(hx), std::get<1>(hx));
  return {out, {hn, cn}};
}

GRU::GRU(std::size_t input_size, std::size_t hidden_size, const GRUOptions& options, Generator& gen)
    : RecurrentBase("GRU", RecurrentMode::gru, input_size, hidden_size, options, gen) {}

Tensor GRU::forward(const Tensor& input) { return std::get<0>(run(input, Tensor(), Tensor())); }

std::tuple<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& hx) {
  auto [out, hn, cn] = run(input, hx, Tensor());
  return {out, hn};
}

// --- cells ---------------------------------------------------------------------------------------

CellBase::CellBase(const char* name, std::size_t gates, std::size_t input_size, std::size_t hidden_size, bool bias,
                   Dtype dtype, Generator& gen)
    : input_size(input_size), hidden_size(hidden_size), name_(name) {
  check_sizes(name, input_size, hidden_size);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  weight_ih = register_parameter("weight_ih", uniform({gates * hidden_size, input_size}, -bound, bound, gen, dtype));
  weight_hh = register_parameter("weight_hh", uniform({gates * hidden_size, hidden_size}, -bound, bound, gen, dtype));
  if (bias) {
    bias_ih = register_parameter("bias_ih", uniform({gates * hidden_size}, -bound, bound, gen, dtype));
    bias_hh = register_parameter("bias_hh", uniform({gates * hidden_size}, -bound, bound, gen, dtype));
  }
}

std::string CellBase::describe() const {
  std::ostringstream out;
  out << name_ << "(" << input_size << ", " << hidden_size << (bias_ih.defined() ? "" : ", bias=False") << ")";
  return out.str();
}

std::tuple<Tensor, Tensor, bool> CellBase::batched(const Tensor& input, const Tensor& state) const {
  DESCENT_CHECK(input.dim() == 1 || input.dim() == 2, name_, "expected input to be 1-D (unbatched) or 2-D, got ",
                input.dim(), "-D input of shape ", to_string(input.shape()));
  DESCENT_CHECK(input.size(-1) == input_size, name_, "input has inconsistent input_size: expected ", input_size,
                ", got input of shape ", to_string(input.shape()));
  DESCENT_CHECK(input.dtype() == weight_ih.dtype(), name_, "input is ", to_string(input.dtype()),
                " but the parameters are ", to_string(weight_ih.dtype()));
  const bool unbatched = input.dim() == 1;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const std::size_t B = x.size(0);
  if (!state.defined()) return {x, zeros({B, hidden_size}, input.dtype()), unbatched};
  const std::string expected = unbatched ? shape_text({hidden_size}) : shape_text({B, hidden_size});
  DESCENT_CHECK(to_string(state.shape()) == expected, name_, "expected a state of shape ", expected,
                " for input of shape ", to_string(input.shape()), ", got ", to_string(state.shape()));
  DESCENT_CHECK(state.dtype() == input.dtype(), name_, "the state is ", to_string(state.dtype()), " but the input is ",
                to_string(input.dtype()));
  return {x, unbatched ? unsqueeze(state, 0) : state, unbatched};
}

RNNCell::RNNCell(std::size_t input_size, std::size_t hidden_size, const RNNCellOptions& options, Generator& gen)
    : CellBase("RNNCell", 1, input_size, hidden_size, options.bias, options.dtype, gen),
      nonlinearity(options.nonlinearity) {
  rnn_mode(nonlinearity, "RNNCell");
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  auto [x, h, unbatched] = batched(input, hx);
  const Tensor pre = linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh);
  const Tensor y = nonlinearity == "relu" ? relu(pre) : tanh(pre);
  return unbatched ? squeeze(y, 0) : y;
}

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, const CellOptions& options, Generator& gen)
    : CellBase("LSTMCell", 4, input_size, hidden_size, options.bias, options.dtype, gen) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx) {
  auto [x, h, unbatched] = batched(input, std::get<0>(hx));
  const Tensor c = std::get<1>(batched(input, std::get<1>(hx)));
  const Tensor hc = lstm_cell_fused(linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh), c);
  Tensor h1 = row(hc, 0), c1 = row(hc, 1);
  if (unbatched) return {squeeze(h1, 0), squeeze(c1, 0)};
  return {h1, c1};
}

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, const CellOptions& options, Generator& gen)
    : CellBase("GRUCell", 3, input_size, hidden_size, options.bias, options.dtype, gen) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  auto [x, h, unbatched] = batched(input, hx);
  const Tensor y = gru_cell_fused(linear(x, weight_ih, bias_ih), linear(h, weight_hh, bias_hh), h);
  return unbatched ? squeeze(y, 0) : y;
}

}  // namespace descent::nn
