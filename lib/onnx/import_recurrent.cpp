// ONNX's recurrent ops (LSTM, GRU, RNN) in the import (import_graph.hpp): descent's recurrent layers.
#include <string>
#include <vector>

#include "descent/error.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/shape.hpp"
#include "import_graph.hpp"

namespace descent::onnx::detail {

namespace {
constexpr const char* kOp = "onnx::import";
}  // namespace

/// ONNX's LSTM / GRU / RNN (layout 0: X (T, B, in); W (D, G·H, in), R (D, G·H, H), B (D, 2·G·H)) as
/// descent's recurrent layers, each direction one input-projection GEMM and one recurrent_layer: the
/// gate blocks go back to PyTorch's order (ONNX's LSTM i, o, f, c is PyTorch's i, f, g, o; GRU z, r, h
/// is r, z, n) with differentiable slices, so the initializers train. Outputs Y (T, D, B, H), Y_h and,
/// for LSTM, Y_c (D, B, H). PyTorch's forms only: no peepholes, clip, sequence_lens, other
/// activations, or GRU with linear_before_reset = 0.
template <RecurrentMode Mode> std::vector<Tensor> import_recurrent(const NodeArgs& a) {
  constexpr bool lstm = Mode == RecurrentMode::lstm, gru = Mode == RecurrentMode::gru;
  const char* op = lstm ? "LSTM" : gru ? "GRU" : "RNN";
  DESCENT_CHECK(a.get_int("layout", 0) == 0, kOp, op, " with layout = 1 is not supported");
  DESCENT_CHECK(!a.has_input(4), kOp, op, " with sequence_lens is not supported (every sequence is full length)");
  DESCENT_CHECK(!(lstm && a.has_input(7)), kOp, "LSTM with peepholes (input P) is not supported");
  DESCENT_CHECK(a.attribute("clip") == nullptr, kOp, op, " with clip is not supported");
  DESCENT_CHECK(a.get_int("input_forget", 0) == 0, kOp, "LSTM with input_forget is not supported");
  DESCENT_CHECK(!gru || a.get_int("linear_before_reset", 0) == 1, kOp,
                "GRU with linear_before_reset = 0 is not supported (PyTorch's GRU, and descent's, is linear_before_reset = 1)");
  RecurrentMode mode = Mode;
  if (const auto* acts = a.attribute("activations")) {
    const bool relu = !lstm && !gru && acts->strings_size() >= 1 && acts->strings(0) == "Relu";
    DESCENT_CHECK(relu || (!lstm && !gru && acts->strings(0) == "Tanh") ||
                      (lstm && acts->strings_size() == 3 && acts->strings(0) == "Sigmoid" && acts->strings(1) == "Tanh" &&
                       acts->strings(2) == "Tanh") ||
                      (gru && acts->strings_size() == 2 && acts->strings(0) == "Sigmoid" && acts->strings(1) == "Tanh"),
                  kOp, op, " with activations other than the defaults (RNN: Tanh or Relu) is not supported");
    if (relu) mode = RecurrentMode::rnn_relu;
  }
  const std::string direction = a.get_string("direction", "forward");
  DESCENT_CHECK(direction == "forward" || direction == "reverse" || direction == "bidirectional", kOp, op,
                " direction '", direction, "'");
  const Tensor &x = a.input(0), &w = a.input(1), &r = a.input(2);
  const std::size_t D = direction == "bidirectional" ? 2 : 1, G = lstm ? 4 : gru ? 3 : 1;
  DESCENT_CHECK(x.dim() == 3 && w.dim() == 3 && r.dim() == 3 && w.size(0) == D && r.size(0) == D &&
                    w.size(1) % G == 0 && w.size(2) == x.size(2) && r.size(1) == w.size(1) && r.size(2) * G == r.size(1),
                kOp, op, ": X ", to_string(x.shape()), ", W ", to_string(w.shape()), " and R ", to_string(r.shape()),
                " do not fit (", D, " directions, ", G, " gates)");
  const std::size_t T = x.size(0), B = x.size(1), H = r.size(2);
  DESCENT_CHECK(a.get_int("hidden_size", std::int64_t(H)) == std::int64_t(H), kOp, op, " hidden_size ",
                a.get_int("hidden_size", 0), " but R is ", to_string(r.shape()));
  const std::vector<std::size_t> order = lstm ? std::vector<std::size_t>{0, 2, 3, 1}
                                         : gru ? std::vector<std::size_t>{1, 0, 2} : std::vector<std::size_t>{0};
  const auto row = [](const Tensor& t, std::size_t k) { return squeeze(narrow(t, 0, std::ptrdiff_t(k), 1), 0); };
  // Blocks [offset, offset + G·H) of `t` along its axis 0, in PyTorch's gate order.
  const auto pytorch_order = [&](const Tensor& t, std::size_t offset) {
    std::vector<Tensor> blocks;
    for (auto k : order) blocks.push_back(narrow(t, 0, std::ptrdiff_t(offset + k * H), std::ptrdiff_t(H)));
    return blocks.size() == 1 ? blocks[0] : concat(blocks, 0);
  };
  const Tensor flat = reshape(x, {std::ptrdiff_t(T * B), std::ptrdiff_t(x.size(2))});
  std::vector<Tensor> ys, hs, cs;
  for (std::size_t d = 0; d < D; ++d) {
    const Tensor bias = a.has_input(3) ? row(a.input(3), d) : Tensor();
    const Tensor xp = reshape(linear(flat, pytorch_order(row(w, d), 0), bias.defined() ? pytorch_order(bias, 0) : Tensor()),
                              {std::ptrdiff_t(T), std::ptrdiff_t(B), std::ptrdiff_t(G * H)});
    const Tensor h0 = a.has_input(5) ? row(a.input(5), d) : zeros({B, H}, x.dtype());
    const Tensor c0 = !lstm ? Tensor() : a.has_input(6) ? row(a.input(6), d) : zeros({B, H}, x.dtype());
    const bool reverse = direction == "reverse" || d == 1;
    const Tensor out = recurrent_layer(mode, xp, h0, c0, pytorch_order(row(r, d), 0),
                                       bias.defined() ? pytorch_order(bias, G * H) : Tensor(), reverse);
    ys.push_back(lstm ? narrow(out, 0, 0, std::ptrdiff_t(T)) : out);
    hs.push_back(row(out, reverse ? 0 : T - 1));
    if (lstm) cs.push_back(row(out, T));
  }
  std::vector<Tensor> result{stack(ys, 1), stack(hs, 0)};
  if (lstm) result.push_back(stack(cs, 0));
  return result;
}

template std::vector<Tensor> import_recurrent<RecurrentMode::lstm>(const NodeArgs&);
template std::vector<Tensor> import_recurrent<RecurrentMode::gru>(const NodeArgs&);
template std::vector<Tensor> import_recurrent<RecurrentMode::rnn_tanh>(const NodeArgs&);

}  // namespace descent::onnx::detail
