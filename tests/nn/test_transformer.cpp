// The transformer layers against PyTorch's (transformer_reference.py transformer): state_dicts saved
// by torch 1.13 load and give the same outputs and gradients (inputs and parameters) to 1e-10 in
// float64, for encoder and decoder layers in both norm orders with relu and gelu, a 2-layer encoder
// with a final norm, and a whole Transformer.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "pytorch_reference.hpp"

using namespace descent;
using descent::testing::backward_upstream;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_parameter_grads;
using descent::testing::check_second_order;
using descent::testing::load_pytorch;
using descent::testing::narrowed;
using descent::testing::random_input;
using descent::testing::sine_filled;
using descent::testing::state_dict_keys;

namespace {

#include "transformer_values.inc"

/// The script's four configurations, in its order: post-norm relu, post-norm gelu, pre-norm relu, pre-norm gelu.
nn::TransformerLayerOptions configuration(int i, bool batch_first = false) {
  return {.dim_feedforward = 6,
          .dropout = 0,
          .activation = i % 2 ? "gelu" : "relu",
          .batch_first = batch_first,
          .norm_first = i >= 2,
          .dtype = float64};
}

Tensor causal() { return nn::Transformer::generate_square_subsequent_mask(3, float64); }
Tensor src_padding() { return tensor({{0, 0, 0}, {0, 0, 1}}, float64) > 0.5; }

const std::vector<std::vector<double>>* encoder_dparams[] = {&encoder_layer_0_dparams, &encoder_layer_1_dparams,
                                                            &encoder_layer_2_dparams, &encoder_layer_3_dparams};
const std::vector<double>* encoder_out[] = {&encoder_layer_0, &encoder_layer_1, &encoder_layer_2, &encoder_layer_3};
const std::vector<double>* encoder_dsrc[] = {&encoder_layer_0_dsrc, &encoder_layer_1_dsrc, &encoder_layer_2_dsrc,
                                             &encoder_layer_3_dsrc};
const std::vector<std::vector<double>>* decoder_dparams[] = {&decoder_layer_0_dparams, &decoder_layer_1_dparams,
                                                            &decoder_layer_2_dparams, &decoder_layer_3_dparams};
const std::vector<double>* decoder_out[] = {&decoder_layer_0, &decoder_layer_1, &decoder_layer_2, &decoder_layer_3};
const std::vector<double>* decoder_dtgt[] = {&decoder_layer_0_dtgt, &decoder_layer_1_dtgt, &decoder_layer_2_dtgt,
                                             &decoder_layer_3_dtgt};
const std::vector<double>* decoder_dmemory[] = {&decoder_layer_0_dmemory, &decoder_layer_1_dmemory,
                                                &decoder_layer_2_dmemory, &decoder_layer_3_dmemory};

}  // namespace

BOOST_AUTO_TEST_SUITE(transformer_layers)

BOOST_AUTO_TEST_CASE(state_dict_keys_and_order_are_pytorchs) {
  BOOST_TEST(state_dict_keys(nn::TransformerEncoderLayer(4, 2, {.dim_feedforward = 6})) == encoder_layer_keys,
             boost::test_tools::per_element());
  BOOST_TEST(state_dict_keys(nn::TransformerDecoderLayer(4, 2, {.dim_feedforward = 6})) == decoder_layer_keys,
             boost::test_tools::per_element());
  const nn::TransformerEncoder encoder(nn::TransformerEncoderLayer(4, 2, {.dim_feedforward = 6}), 2,
                                       std::make_shared<nn::LayerNorm>(Shape{4}));
  BOOST_TEST(state_dict_keys(encoder) == encoder_2_keys, boost::test_tools::per_element());
  const nn::Transformer model({.d_model = 4, .nhead = 2, .num_encoder_layers = 1, .num_decoder_layers = 1,
                               .dim_feedforward = 6});
  BOOST_TEST(state_dict_keys(model) == transformer_1_1_keys, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(encoder_layers_match_pytorch_in_both_norm_orders_with_relu_and_gelu) {
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST_CONTEXT("configuration " << i) {
      nn::TransformerEncoderLayer layer(4, 2, configuration(i));
      load_pytorch(layer, "encoder_layer");
      const Tensor src = sine_filled({3, 2, 4}, 1.2, 0.7, 0.1).requires_grad_();
      const Tensor y = layer.forward(src, {.src_mask = causal(), .src_key_padding_mask = src_padding()});
      check_close(y, *encoder_out[i]);
      backward_upstream({y});
      check_close(src.grad(), *encoder_dsrc[i]);
      check_parameter_grads(layer, *encoder_dparams[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_encoder_layer_batch_first_and_unbatched_gives_the_same) {
  nn::TransformerEncoderLayer layer(4, 2, configuration(1, true));
  load_pytorch(layer, "encoder_layer");
  const Tensor src = sine_filled({3, 2, 4}, 1.2, 0.7, 0.1);
  const Tensor y = layer.forward(transpose(src, 0, 1), {.src_mask = causal(), .src_key_padding_mask = src_padding()});
  BOOST_TEST(to_string(y.shape()) == "(2,3,4)");
  check_close(transpose(y, 0, 1), encoder_layer_1);
  // batch entry 0 has no padding: alone and unbatched it gives the same
  const Tensor alone = layer.forward(squeeze(narrow(src, 1, 0, 1), 1), {.src_mask = causal()});
  BOOST_TEST(to_string(alone.shape()) == "(3,4)");
  check_close(alone, narrowed(encoder_layer_1, {3, 2, 4}, 1, 0));
}

BOOST_AUTO_TEST_CASE(decoder_layers_match_pytorch_in_both_norm_orders_with_relu_and_gelu) {
  const Tensor memory_mask = tensor({{0, 0, 1, 1}, {0, 0, 0, 1}, {0, 0, 0, 0}}, float64) > 0.5;
  const Tensor memory_padding = tensor({{1, 0, 0, 0}, {0, 0, 0, 0}}, float64) > 0.5;
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST_CONTEXT("configuration " << i) {
      nn::TransformerDecoderLayer layer(4, 2, configuration(i));
      load_pytorch(layer, "decoder_layer");
      const Tensor tgt = sine_filled({3, 2, 4}, 1.1, 0.55, 0.2).requires_grad_();
      const Tensor memory = sine_filled({4, 2, 4}, 0.8, 0.9, -0.3).requires_grad_();
      const Tensor y = layer.forward(
          tgt, memory,
          {.tgt_mask = causal(), .memory_mask = memory_mask, .memory_key_padding_mask = memory_padding});
      check_close(y, *decoder_out[i]);
      backward_upstream({y});
      check_close(tgt.grad(), *decoder_dtgt[i]);
      check_close(memory.grad(), *decoder_dmemory[i]);
      check_parameter_grads(layer, *decoder_dparams[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_two_layer_encoder_with_a_final_norm_matches_pytorch) {
  nn::TransformerEncoder encoder(nn::TransformerEncoderLayer(4, 2, configuration(1, true)), 2,
                                 std::make_shared<nn::LayerNorm>(Shape{4}, nn::LayerNormOptions{.dtype = float64}));
  load_pytorch(encoder, "encoder_2");
  const Tensor src = sine_filled({2, 3, 4}, 1.2, 0.7, 0.1).requires_grad_();
  const Tensor y = encoder.forward(src, {.src_key_padding_mask = src_padding()});
  check_close(y, encoder_2);
  backward_upstream({y});
  check_close(src.grad(), encoder_2_dsrc);
  check_parameter_grads(encoder, encoder_2_dparams);
}

BOOST_AUTO_TEST_CASE(a_transformer_matches_pytorch) {
  nn::Transformer model({.d_model = 4, .nhead = 2, .num_encoder_layers = 1, .num_decoder_layers = 1,
                         .dim_feedforward = 6, .dropout = 0, .dtype = float64});
  load_pytorch(model, "transformer_1_1");
  const Tensor src = sine_filled({4, 2, 4}, 0.8, 0.9, -0.3).requires_grad_();
  const Tensor tgt = sine_filled({3, 2, 4}, 1.1, 0.55, 0.2).requires_grad_();
  const Tensor y = model.forward(src, tgt, {.tgt_mask = causal()});
  BOOST_TEST(to_string(y.shape()) == "(3,2,4)");
  check_close(y, transformer_1_1);
  backward_upstream({y});
  check_close(src.grad(), transformer_1_1_dsrc);
  check_close(tgt.grad(), transformer_1_1_dtgt);
  check_parameter_grads(model, transformer_1_1_dparams);
}

BOOST_AUTO_TEST_CASE(the_square_subsequent_mask_is_minus_infinity_above_the_diagonal) {
  const Tensor mask = nn::Transformer::generate_square_subsequent_mask(3);
  BOOST_TEST((mask.dtype() == float32));
  const double inf = std::numeric_limits<double>::infinity();
  testing::check_values(mask, xt::xarray<double>{{0, -inf, -inf}, {0, 0, -inf}, {0, 0, 0}});
}

BOOST_AUTO_TEST_CASE(layers_copied_from_one_start_equal_and_are_independent) {
  const nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 6});
  nn::TransformerEncoder encoder(layer, 2);
  BOOST_TEST(encoder.layers.size() == 2u);
  const auto a = encoder.layers[0]->parameters(), b = encoder.layers[1]->parameters(), c = layer.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(max(abs(a[i] - b[i])).item() == 0.0);
    BOOST_TEST(max(abs(a[i] - c[i])).item() == 0.0);
  }
  {
    NoGradGuard no_grad;
    encoder.layers[0]->linear1->weight.add_(1);
  }
  BOOST_TEST(max(abs(encoder.layers[1]->linear1->weight - layer.linear1->weight)).item() == 0.0);
  // a factory makes layers of their own
  Generator gen(2);
  nn::TransformerDecoder decoder([&] { return std::make_shared<nn::TransformerDecoderLayer>(4, 2, nn::TransformerLayerOptions{.dim_feedforward = 6}, gen); }, 2);
  BOOST_TEST(max(abs(decoder.layers[0]->linear1->weight - decoder.layers[1]->linear1->weight)).item() > 0.0);
  BOOST_TEST(!decoder.norm);
  BOOST_TEST(decoder.describe() == "TransformerDecoder(num_layers=2)");
}

BOOST_AUTO_TEST_CASE(options_default_as_pytorchs) {
  const nn::TransformerOptions o;
  BOOST_TEST(o.d_model == 512u);
  BOOST_TEST(o.nhead == 8u);
  BOOST_TEST(o.num_encoder_layers == 6u);
  BOOST_TEST(o.num_decoder_layers == 6u);
  BOOST_TEST(o.dim_feedforward == 2048u);
  BOOST_TEST(o.dropout == 0.1);
  BOOST_TEST(o.activation == "relu");
  BOOST_TEST(o.layer_norm_eps == 1e-5);
  BOOST_TEST(!o.batch_first);
  BOOST_TEST(!o.norm_first);
  const nn::TransformerEncoderLayer layer(8, 2);
  BOOST_TEST(layer.describe() == "TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=2048, dropout=0.1, activation=relu)");
  BOOST_TEST(to_string(layer.linear1->weight.shape()) == "(2048,8)");
  // the Transformer re-initialises every matrix with xavier_uniform_
  const nn::Transformer model({.d_model = 8, .nhead = 2, .num_encoder_layers = 1, .num_decoder_layers = 1,
                               .dim_feedforward = 16});
  const auto& linear1 = model.encoder->layers[0]->linear1->weight;
  BOOST_TEST(max(abs(linear1)).item() <= std::sqrt(6.0 / 24));
  BOOST_TEST(max(abs(linear1)).item() > 1 / std::sqrt(8.0));  // beyond Linear's own bound
}

BOOST_AUTO_TEST_CASE(dropout_acts_in_training_only) {
  Generator gen(4);
  nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 6, .dropout = 0.3, .dtype = float64}, gen);
  const Tensor src = sine_filled({3, 2, 4}, 1.2, 0.7, 0.1);
  const Tensor trained = layer(src);
  layer.eval();
  const Tensor a = layer(src), b = layer(src);
  BOOST_TEST(max(abs(trained - a)).item() > 1e-3);
  BOOST_TEST(max(abs(a - b)).item() == 0.0);
}

BOOST_AUTO_TEST_CASE(first_and_second_derivatives_of_an_encoder_layer) {
  Generator gen(6);
  nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 6, .dropout = 0, .activation = "gelu", .dtype = float64},
                                    gen);
  const Tensor mask = sine_filled({2, 2}, 0.5, 0.8, 0.3);
  check_second_order([&](const std::vector<Tensor>& v) { return layer.forward(v[0], {.src_mask = mask}); },
                     {random_input({2, 1, 4}, 7)});
}

BOOST_AUTO_TEST_CASE(bad_settings_and_shapes_are_clear_errors) {
  check_error([] { nn::TransformerEncoderLayer(4, 2, {.activation = "tanh"}); },
              "TransformerEncoderLayer: activation must be \"relu\" or \"gelu\", got \"tanh\"");
  check_error([] { nn::TransformerDecoderLayer(4, 2, {.activation = "swish"}); }, "activation must be");
  check_error([] { nn::TransformerEncoderLayer(5, 2); }, "embed_dim must be divisible by num_heads");
  check_error([] { nn::TransformerEncoder(nn::TransformerEncoderLayer(4, 2, {.dim_feedforward = 6}), 0); },
              "num_layers must be positive");
  nn::TransformerDecoderLayer decoder_layer(4, 2, {.dim_feedforward = 6});
  check_error([&] { decoder_layer(zeros({3, 2, 4})); }, "needs the encoder's output too");
  nn::Transformer model({.d_model = 4, .nhead = 2, .num_encoder_layers = 1, .num_decoder_layers = 1,
                         .dim_feedforward = 6});
  check_error([&] { model(zeros({3, 2, 4})); }, "needs a source and a target");
  check_error([&] { model.forward(zeros({3, 2, 4}), zeros({3, 3, 4})); },
              "the batch number of src and tgt must be equal, got src (3,2,4) and tgt (3,3,4)");
  check_error([&] { model.forward(zeros({3, 2, 4}), zeros({3, 2, 5})); },
              "the feature number of src and tgt must be equal to d_model (4)");
  nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 6});
  check_error([&] { layer.forward(zeros({3, 2, 4}), {.src_mask = zeros({3, 2})}); }, "expected an attn_mask of shape (3, 3)");
  check_error([&] { layer.forward(zeros({3, 2, 4}), {.src_key_padding_mask = zeros({3, 2})}); },
              "expected a key_padding_mask of shape (2, 3)");
}

BOOST_AUTO_TEST_SUITE_END()
