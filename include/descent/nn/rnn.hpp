#pragma once
// Recurrent layers and cells with PyTorch's layouts, names, gate orders and initialisation, so a
// PyTorch state_dict loads (io::load): weight_ih_l{k} (G·H, in), weight_hh_l{k} (G·H, H),
// bias_ih_l{k}, bias_hh_l{k} (G·H) and the `_reverse` ones, G = 1 (RNN), 4 (LSTM: i, f, g, o),
// 3 (GRU: r, z, n), registered in PyTorch's order; every parameter uniform in ±1/sqrt(hidden_size).
//
// Input (T, B, in), or (B, T, in) with batch_first, or unbatched (T, in); states (L·D, B, H), or
// (L·D, H) unbatched (D = 2 when bidirectional). forward(input) returns the output sequence
// (T, B, D·H) (so a layer works in Sequential); the full form is LibTorch's:
//   auto [out, h_n] = gru.forward(x, h0);                  // RNN and GRU
//   auto [out, hc]  = lstm.forward(x, {h0, c0});           // LSTM: hc = (h_n, c_n)
// An undefined state means zeros.
#include <string>
#include <tuple>
#include <vector>

#include "descent/nn/dropout.hpp"
#include "descent/nn/module.hpp"
#include "descent/ops/rnn.hpp"
#include "descent/random.hpp"

namespace descent::nn {

/// torch.nn.LSTM's / GRU's options (after input_size and hidden_size).
struct RecurrentOptions {
  std::size_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0;  ///< on each layer's output but the last, in training mode
  bool bidirectional = false;
  Dtype dtype = float32;
};
using LSTMOptions = RecurrentOptions;
using GRUOptions = RecurrentOptions;

/// torch.nn.RNN's options: the same with the nonlinearity, "tanh" or "relu".
struct RNNOptions {
  std::size_t num_layers = 1;
  std::string nonlinearity = "tanh";
  bool bias = true;
  bool batch_first = false;
  double dropout = 0;
  bool bidirectional = false;
  Dtype dtype = float32;
};

/// What RNN, LSTM and GRU share: the parameters and the layer loop.
class RecurrentBase : public Module {
 public:
  std::string describe() const override;

  std::size_t input_size, hidden_size, num_layers;
  bool bias, batch_first, bidirectional;
  double dropout;

  /// The parameters of layer `layer` in direction `direction` (0 forward, 1 reverse).
  const Tensor& weight_ih(std::size_t layer, std::size_t direction = 0) const;
  const Tensor& weight_hh(std::size_t layer, std::size_t direction = 0) const;
  const Tensor& bias_ih(std::size_t layer, std::size_t direction = 0) const;  ///< undefined without bias
  const Tensor& bias_hh(std::size_t layer, std::size_t direction = 0) const;

 protected:
  RecurrentBase(const char* name, RecurrentMode mode, std::size_t input_size, std::size_t hidden_size,
                const RecurrentOptions& options, Generator& gen);
  /// (output, h_n, c_n); c_n only for LSTM. hx and cx may be undefined (zeros).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& hx, const Tensor& cx);

 private:
  const char* name_;
  RecurrentMode mode_;
  std::vector<Tensor> params_;  // per (layer, direction): w_ih, w_hh, b_ih, b_hh
  Dropout dropout_layer_;
};

class RNN : public RecurrentBase {
 public:
  RNN(std::size_t input_size, std::size_t hidden_size, const RNNOptions& options = {},
      Generator& gen = default_generator());
  /// The output sequence.
  Tensor forward(const Tensor& input) override;
  /// (output, h_n); hx (L·D, B, H) or undefined (zeros).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx);
  std::string nonlinearity;
};

class LSTM : public RecurrentBase {
 public:
  LSTM(std::size_t input_size, std::size_t hidden_size, const LSTMOptions& options = {},
       Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  /// (output, (h_n, c_n)); hx = (h0, c0), each (L·D, B, H) or undefined (zeros).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx);
};

class GRU : public RecurrentBase {
 public:
  GRU(std::size_t input_size, std::size_t hidden_size, const GRUOptions& options = {},
      Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override;
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx);
};

/// The cells: one step, input (B, in) or unbatched (in); states (B, H) or (H); parameters weight_ih
/// (G·H, in), weight_hh (G·H, H), bias_ih, bias_hh (G·H), uniform in ±1/sqrt(hidden_size).
struct CellOptions {
  bool bias = true;
  Dtype dtype = float32;
};
struct RNNCellOptions {
  bool bias = true;
  std::string nonlinearity = "tanh";
  Dtype dtype = float32;
};

class CellBase : public Module {
 public:
  std::string describe() const override;
  std::size_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  CellBase(const char* name, std::size_t gates, std::size_t input_size, std::size_t hidden_size, bool bias,
           Dtype dtype, Generator& gen);
  /// The input (B, in) and a state (B, H) (zeros if undefined), with unbatched ones made batches of one.
  std::tuple<Tensor, Tensor, bool> batched(const Tensor& input, const Tensor& state) const;
  const char* name_;
};

class RNNCell : public CellBase {
 public:
  RNNCell(std::size_t input_size, std::size_t hidden_size, const RNNCellOptions& options = {},
          Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  Tensor forward(const Tensor& input, const Tensor& hx);
  std::string nonlinearity;
};

class LSTMCell : public CellBase {
 public:
  LSTMCell(std::size_t input_size, std::size_t hidden_size, const CellOptions& options = {},
           Generator& gen = default_generator());
  /// h' only.
  Tensor forward(const Tensor& input) override { return std::get<0>(forward(input, {Tensor(), Tensor()})); }
  /// (h', c').
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx);
};

class GRUCell : public CellBase {
 public:
  GRUCell(std::size_t input_size, std::size_t hidden_size, const CellOptions& options = {},
          Generator& gen = default_generator());
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  Tensor forward(const Tensor& input, const Tensor& hx);
};

}  // namespace descent::nn
