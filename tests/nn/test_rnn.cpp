// Recurrent layers and cells against PyTorch (rnn_reference.py, float64 to 1e-10): outputs, final
// states and the gradients of inputs, initial states and every parameter; PyTorch state_dicts that
// load; second-order checks of the fused ops and of small bidirectional LSTM / GRU layers; errors.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <filesystem>
#include <string>
#include <vector>

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_second_order;
using descent::testing::cosine_upstream;
using descent::testing::random_input;
using descent::testing::sine_filled;
namespace fs = std::filesystem;

namespace {

#include "rnn_values.inc"

/// Parameter number p (named_parameters order) = 0.5·sin((0.3 + 0.05p)·k + 0.1p), as the reference.
void fill_parameters(nn::Module& module) {
  NoGradGuard no_grad;
  std::size_t p = 0;
  for (auto& [name, w] : module.named_parameters()) {
    w.copy_(sine_filled(w.shape(), 0.5, 0.3 + 0.05 * double(p), 0.1 * double(p)));
    ++p;
  }
}

Tensor input(const Shape& shape) { return sine_filled(shape, 1.0, 0.37, 0.2).requires_grad_(); }
Tensor h_state(const Shape& shape) { return sine_filled(shape, 0.8, 0.21, 0.5).requires_grad_(); }
Tensor c_state(const Shape& shape) { return sine_filled(shape, 0.6, 0.43, 0.1).requires_grad_(); }

/// The reference's check(): outputs, then the gradients of Σ_i sum(output_i · cos(0.37 k)) for the
/// inputs and (flattened, concatenated) for the parameters.
void check_against_reference(nn::Module& module, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const std::vector<const std::vector<double>*>& expected_outputs,
                             const std::vector<const std::vector<double>*>& expected_input_grads,
                             const std::vector<double>& expected_param_grads) {
  BOOST_TEST_REQUIRE(outputs.size() == expected_outputs.size());
  Tensor loss;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    check_close(outputs[i], *expected_outputs[i]);
    const Tensor term = sum(outputs[i] * cosine_upstream(outputs[i].shape()));
    loss = loss.defined() ? loss + term : term;
  }
  std::vector<Tensor> wrt = inputs;
  for (const Tensor& p : module.parameters()) wrt.push_back(p);
  const std::vector<Tensor> grads = autograd::grad({loss}, wrt);
  for (std::size_t i = 0; i < inputs.size(); ++i) check_close(grads[i], *expected_input_grads[i]);
  std::vector<Tensor> flat;
  for (std::size_t i = inputs.size(); i < grads.size(); ++i) flat.push_back(reshape(grads[i], {-1}));
  check_close(concat(flat, 0), expected_param_grads);
}

std::vector<std::string> names(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, _] : m.named_parameters()) out.push_back(name);
  return out;
}

/// max |actual - expected| over the elements, actual read as float64.
double max_abs_difference(const Tensor& actual, const std::vector<double>& expected) {
  BOOST_TEST_REQUIRE(actual.numel() == expected.size());
  const Tensor a = actual.detach().to(float64).contiguous();
  double m = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) m = std::max(m, std::abs(a.data<double>()[i] - expected[i]));
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recurrent_layers_as_pytorch)

BOOST_AUTO_TEST_CASE(lstm_two_layers_bidirectional_with_initial_states) {
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true, .dtype = float64});
  BOOST_TEST(names(lstm) == lstm_names, boost::test_tools::per_element());
  BOOST_TEST(to_string(lstm.weight_ih(1, 1).shape()) == "(16,8)");
  BOOST_TEST(lstm.describe() == "LSTM(3, 4, num_layers=2, bidirectional=True)");
  fill_parameters(lstm);
  const Tensor x = input({5, 2, 3}), h0 = h_state({4, 2, 4}), c0 = c_state({4, 2, 4});
  auto [out, hc] = lstm.forward(x, {h0, c0});
  BOOST_TEST(to_string(out.shape()) == "(5,2,8)");
  check_against_reference(lstm, {x, h0, c0}, {out, std::get<0>(hc), std::get<1>(hc)},
                          {&lstm_out0, &lstm_out1, &lstm_out2}, {&lstm_din0, &lstm_din1, &lstm_din2}, lstm_dparams);
  // forward(input) is the output sequence, from zero states
  const Tensor zero_state = std::get<0>(lstm.forward(x.detach(), {zeros({4, 2, 4}, float64), Tensor()}));
  BOOST_TEST(max(abs(lstm(x.detach()) - zero_state)).item() == 0.0);
}

BOOST_AUTO_TEST_CASE(gru_two_layers_bidirectional_batch_first) {
  nn::GRU gru(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true, .dtype = float64});
  fill_parameters(gru);
  const Tensor x = input({2, 5, 3}), h0 = h_state({4, 2, 4});
  auto [out, hn] = gru.forward(x, h0);
  BOOST_TEST(to_string(out.shape()) == "(2,5,8)");
  check_against_reference(gru, {x, h0}, {out, hn}, {&gru_out0, &gru_out1}, {&gru_din0, &gru_din1}, gru_dparams);
}

BOOST_AUTO_TEST_CASE(rnn_tanh_bidirectional_batch_first_zero_state) {
  nn::RNN rnn(3, 5, {.batch_first = true, .bidirectional = true, .dtype = float64});
  fill_parameters(rnn);
  const Tensor x = input({2, 4, 3});
  auto [out, hn] = rnn.forward(x, Tensor());
  check_against_reference(rnn, {x}, {out, hn}, {&rnn_tanh_out0, &rnn_tanh_out1}, {&rnn_tanh_din0}, rnn_tanh_dparams);
}

BOOST_AUTO_TEST_CASE(rnn_relu_two_layers_without_bias) {
  nn::RNN rnn(3, 4, {.num_layers = 2, .nonlinearity = "relu", .bias = false, .dtype = float64});
  BOOST_TEST(rnn.parameters().size() == 4u);
  fill_parameters(rnn);
  const Tensor x = input({4, 3, 3}), h0 = h_state({2, 3, 4});
  auto [out, hn] = rnn.forward(x, h0);
  check_against_reference(rnn, {x, h0}, {out, hn}, {&rnn_relu_out0, &rnn_relu_out1}, {&rnn_relu_din0, &rnn_relu_din1},
                          rnn_relu_dparams);
}

BOOST_AUTO_TEST_CASE(unbatched_lstm) {
  nn::LSTM lstm(3, 4, {.batch_first = true, .dtype = float64});
  fill_parameters(lstm);
  const Tensor x = input({5, 3});
  auto [out, hc] = lstm.forward(x, {Tensor(), Tensor()});
  BOOST_TEST(to_string(out.shape()) == "(5,4)");
  BOOST_TEST(to_string(std::get<0>(hc).shape()) == "(1,4)");
  check_against_reference(lstm, {x}, {out, std::get<0>(hc), std::get<1>(hc)},
                          {&lstm_unbatched_out0, &lstm_unbatched_out1, &lstm_unbatched_out2}, {&lstm_unbatched_din0},
                          lstm_unbatched_dparams);
}

BOOST_AUTO_TEST_CASE(cells) {
  const Tensor x = input({2, 3}), h = h_state({2, 4}), c = c_state({2, 4});
  nn::LSTMCell lstm(3, 4, {.dtype = float64});
  BOOST_TEST(names(lstm) == std::vector<std::string>({"weight_ih", "weight_hh", "bias_ih", "bias_hh"}),
             boost::test_tools::per_element());
  fill_parameters(lstm);
  auto [h1, c1] = lstm.forward(x, {h, c});
  check_against_reference(lstm, {x, h, c}, {h1, c1}, {&lstm_cell_out0, &lstm_cell_out1},
                          {&lstm_cell_din0, &lstm_cell_din1, &lstm_cell_din2}, lstm_cell_dparams);
  nn::GRUCell gru(3, 4, {.dtype = float64});
  fill_parameters(gru);
  check_against_reference(gru, {x, h}, {gru.forward(x, h)}, {&gru_cell_out0}, {&gru_cell_din0, &gru_cell_din1},
                          gru_cell_dparams);
  nn::RNNCell rnn(3, 4, {.dtype = float64});
  fill_parameters(rnn);
  check_against_reference(rnn, {x, h}, {rnn.forward(x, h)}, {&rnn_cell_out0}, {&rnn_cell_din0, &rnn_cell_din1},
                          rnn_cell_dparams);
  // unbatched: (in) and (H)
  const Tensor y = gru.forward(squeeze(narrow(x, 0, 0, 1), 0), squeeze(narrow(h, 0, 0, 1), 0));
  BOOST_TEST(to_string(y.shape()) == "(4,)");
}

BOOST_AUTO_TEST_CASE(pytorch_state_dicts_load) {
  const Tensor x = sine_filled({2, 5, 3}, 1.0, 0.37, 0.2).to(float32);
  nn::LSTM lstm(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  BOOST_TEST(max_abs_difference(lstm(x), pytorch_lstm_out) > 1e-2);
  io::load(lstm, fs::path(DESCENT_IO_FILES) / "pytorch_lstm.npz");
  BOOST_TEST(max_abs_difference(lstm(x), pytorch_lstm_out) <= 1e-5);
  nn::GRU gru(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  io::load(gru, fs::path(DESCENT_IO_FILES) / "pytorch_gru.npz");
  BOOST_TEST(max_abs_difference(gru(x), pytorch_gru_out) <= 1e-5);
}

BOOST_AUTO_TEST_CASE(initialisation_is_uniform_in_one_over_sqrt_hidden) {
  nn::GRU gru(7, 16, {.num_layers = 2});
  for (const Tensor& p : gru.parameters()) {
    BOOST_TEST(max(abs(p)).item() <= 0.25);
    BOOST_TEST(max(abs(p)).item() > 0.2);
  }
}

BOOST_AUTO_TEST_CASE(dropout_between_layers_in_training_only) {
  nn::LSTM lstm(3, 4, {.num_layers = 2, .dropout = 0.5, .dtype = float64});
  const Tensor x = sine_filled({5, 2, 3}, 1.0, 0.37, 0.2);
  lstm.eval();
  const Tensor a = lstm(x), b = lstm(x);
  BOOST_TEST(max(abs(a - b)).item() == 0.0);
  lstm.train();
  BOOST_TEST(max(abs(lstm(x) - a)).item() > 0.0);
}

BOOST_AUTO_TEST_CASE(in_sequential) {
  nn::Sequential net(nn::GRU(3, 4, {.batch_first = true}), nn::Flatten(), nn::Linear(20, 2));
  BOOST_TEST(to_string(net(zeros({6, 5, 3})).shape()) == "(6,2)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recurrent_second_order)

BOOST_AUTO_TEST_CASE(fused_lstm_cell) {
  check_second_order([](const std::vector<Tensor>& v) { return lstm_cell_fused(v[0], v[1]); },
                     {random_input({2, 8}, 1), random_input({2, 2}, 2)});
}

BOOST_AUTO_TEST_CASE(fused_gru_cell) {
  check_second_order([](const std::vector<Tensor>& v) { return gru_cell_fused(v[0], v[1], v[2]); },
                     {random_input({2, 6}, 3), random_input({2, 6}, 4), random_input({2, 2}, 5)});
}

BOOST_AUTO_TEST_CASE(recurrent_layer_ops) {
  for (RecurrentMode mode : {RecurrentMode::rnn_tanh, RecurrentMode::rnn_relu, RecurrentMode::lstm, RecurrentMode::gru})
    for (bool reverse : {false, true}) {
      const std::size_t G = mode == RecurrentMode::lstm ? 4 : mode == RecurrentMode::gru ? 3 : 1;
      check_second_order(
          [mode, reverse](const std::vector<Tensor>& v) {
            return recurrent_layer(mode, v[0], v[1], mode == RecurrentMode::lstm ? v[2] : Tensor(), v[3], v[4], reverse);
          },
          {random_input({3, 2, 2 * G}, 6), random_input({2, 2}, 7), random_input({2, 2}, 8),
           random_input({2 * G, 2}, 9), random_input({2 * G}, 10)});
    }
}

BOOST_AUTO_TEST_CASE(small_bidirectional_lstm_and_gru) {
  // With respect to the input and the initial states (the parameters' second order is the layer
  // op's, above): every output of the module, through two layers and both directions.
  nn::LSTM lstm(2, 2, {.num_layers = 2, .bidirectional = true, .dtype = float64});
  check_second_order(
      [&lstm](const std::vector<Tensor>& v) {
        auto [out, hc] = lstm.forward(v[0], {v[1], v[2]});
        return concat({flatten(out), flatten(std::get<0>(hc)), flatten(std::get<1>(hc))}, 0);
      },
      {random_input({3, 2, 2}, 11), random_input({4, 2, 2}, 12), random_input({4, 2, 2}, 13)});
  nn::GRU gru(2, 2, {.num_layers = 2, .batch_first = true, .bidirectional = true, .dtype = float64});
  check_second_order(
      [&gru](const std::vector<Tensor>& v) {
        auto [out, hn] = gru.forward(v[0], v[1]);
        return concat({flatten(out), flatten(hn)}, 0);
      },
      {random_input({2, 3, 2}, 14), random_input({4, 2, 2}, 15)});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recurrent_errors)

BOOST_AUTO_TEST_CASE(wrong_input_sizes_and_shapes) {
  nn::LSTM lstm(3, 4, {.num_layers = 2});
  check_error([&] { lstm(zeros({5, 2, 6})); }, "input.size(-1) must be equal to input_size: expected 3");
  check_error([&] { lstm(zeros({5, 2, 3, 1})); }, "expected input to be 2-D (unbatched) or 3-D, got 4-D");
  check_error([&] { lstm.forward(zeros({5, 2, 3}), {zeros({1, 2, 4}), Tensor()}); },
              "expected h0 of shape (2,2,4) for input of shape (5,2,3), got (1,2,4)");
  check_error([&] { lstm.forward(zeros({5, 2, 3}), {Tensor(), zeros({2, 3, 4})}); }, "expected c0 of shape (2,2,4)");
  check_error([&] { lstm(zeros({5, 2, 3}, float64)); }, "input is float64 but the parameters are float32");
  nn::GRU gru(3, 4);
  check_error([&] { gru.forward(zeros({5, 3}), zeros({1, 2, 4})); }, "expected hx of shape (1,4)");
  check_error([&] { nn::RNN(3, 4, {.nonlinearity = "sigmoid"}); }, "unknown nonlinearity 'sigmoid'");
  check_error([&] { nn::LSTM(3, 4, {.dropout = 1.5}); }, "dropout must be in [0, 1)");
  check_error([&] { nn::GRU(0, 4); }, "input_size and hidden_size must be positive");
  nn::LSTMCell cell(3, 4);
  check_error([&] { cell(zeros({2, 5})); }, "LSTMCell: input has inconsistent input_size: expected 3");
  check_error([&] { cell.forward(zeros({2, 3}), {zeros({3, 4}), Tensor()}); }, "expected a state of shape (2,4)");
  check_error([&] { lstm_cell_fused(zeros({2, 6}), zeros({2, 2})); }, "lstm_cell_fused: expected gates of shape (B, 4H)");
  check_error([&] { recurrent_layer(RecurrentMode::gru, zeros({3, 2, 6}), zeros({2, 3}), Tensor(), zeros({6, 2}), Tensor()); },
              "expected h0 of shape (2,2), got (2,3)");
}

BOOST_AUTO_TEST_SUITE_END()
