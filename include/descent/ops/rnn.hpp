#pragma once
// Fused recurrent ops: the pointwise part of an LSTM or GRU step as one op each way, and a whole
// recurrent layer over a sequence as one op (what nn::RNN, nn::LSTM and nn::GRU use). Gate blocks in
// PyTorch's order: LSTM i, f, g, o; GRU r, z, n.
#include "descent/tensor.hpp"

namespace descent {

/// One LSTM step from the pre-activation gates (B, 4H) = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh and the cell
/// state c (B, H): returns (2, B, H) holding h' = σ(o)·tanh(c') and c' = σ(f)·c + σ(i)·tanh(g).
Tensor lstm_cell_fused(const Tensor& gates, const Tensor& c);

/// One GRU step from the input projection gi = x·W_ihᵀ + b_ih and the hidden one gh = h·W_hhᵀ + b_hh
/// (both (B, 3H)) and h (B, H): r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n),
/// returns h' = (1 - z)·n + z·h.
Tensor gru_cell_fused(const Tensor& gi, const Tensor& gh, const Tensor& h);

enum class RecurrentMode { rnn_tanh, rnn_relu, lstm, gru };

/// One direction of one recurrent layer over a whole sequence. `input_projection` (T, B, G·H) holds
/// x_t·W_ihᵀ + b_ih for every step (G = 1, 4, 3 for RNN, LSTM, GRU); h0 and c0 (c0 for LSTM only)
/// are (B, H); w_hh (G·H, H); b_hh (G·H) or undefined. Steps run from t = 0 up, or from T-1 down
/// when `reverse`. Returns the hidden states (T, B, H) in time order, and for LSTM one more row,
/// (T+1, B, H), whose last row is the final cell state. Per step one GEMM and the fused step kernel;
/// the backward is one pass (one GEMM per step, the weight gradient in one GEMM), and under
/// create_graph it is recorded as the steps' composed ops, so it differentiates again.
Tensor recurrent_layer(RecurrentMode mode, const Tensor& input_projection, const Tensor& h0, const Tensor& c0,
                       const Tensor& w_hh, const Tensor& b_hh, bool reverse = false);

}  // namespace descent
