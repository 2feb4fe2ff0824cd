// nn::MultiheadAttention against PyTorch's (transformer_reference.py attention): a state_dict saved by
// torch 1.13 loads and gives the same outputs, attention weights and gradients (inputs and parameters)
// to 1e-10 in float64, with bool and float masks, kdim/vdim, batch_first and unbatched inputs.
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
using descent::testing::random_input;
using descent::testing::sine_filled;

namespace {

#include "attention_values.inc"

/// The packed model of the script (E = 4, 2 heads), float64, with PyTorch's weights.
nn::MultiheadAttention packed(bool batch_first = false) {
  nn::MultiheadAttention mha(4, 2, {.batch_first = batch_first, .dtype = float64});
  load_pytorch(mha, "mha_packed");
  return mha;
}

struct Inputs {
  Tensor query = sine_filled({3, 2, 4}, 1.0, 0.7, 0.1).requires_grad_();
  Tensor key = sine_filled({4, 2, 4}, 0.9, 0.45, 0.3).requires_grad_();
  Tensor value = sine_filled({4, 2, 4}, 1.1, 0.6, -0.2).requires_grad_();
};

/// true where key j is not allowed for query i: j > i + 1.
Tensor causalish() {
  return tensor({{0, 0, 1, 1}, {0, 0, 0, 1}, {0, 0, 0, 0}}, float64) > 0.5;
}

/// Key 3 of batch entry 1 is padding.
Tensor padding() { return tensor({{0, 0, 0, 0}, {0, 0, 0, 1}}, float64) > 0.5; }

}  // namespace

BOOST_AUTO_TEST_SUITE(multihead_attention)

BOOST_AUTO_TEST_CASE(parameters_are_named_and_shaped_as_pytorchs) {
  BOOST_TEST(testing::state_dict_keys(nn::MultiheadAttention(4, 2)) == mha_packed_keys,
             boost::test_tools::per_element());
  const nn::MultiheadAttention separate(4, 2, {.kdim = 3, .vdim = 5});
  BOOST_TEST(testing::state_dict_keys(separate) == mha_kvdim_keys, boost::test_tools::per_element());
  BOOST_TEST(to_string(separate.k_proj_weight.shape()) == "(4,3)");
  BOOST_TEST(to_string(separate.v_proj_weight.shape()) == "(4,5)");
  BOOST_TEST(!separate.in_proj_weight.defined());
  const nn::MultiheadAttention no_bias(4, 2, {.bias = false});
  BOOST_TEST(testing::state_dict_keys(no_bias) == std::vector<std::string>({"in_proj_weight", "out_proj.weight"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(initialisation_is_pytorchs) {
  Generator gen(3);
  const nn::MultiheadAttention mha(8, 2, {}, gen);
  BOOST_TEST(to_string(mha.in_proj_weight.shape()) == "(24,8)");
  // xavier_uniform_ over (3E, E): bound sqrt(6 / (E + 3E))
  const double bound = std::sqrt(6.0 / 32), largest = max(abs(mha.in_proj_weight)).item();
  BOOST_TEST(largest <= bound);
  BOOST_TEST(largest > 0.8 * bound);
  BOOST_TEST(max(abs(mha.in_proj_bias)).item() == 0.0);
  BOOST_TEST(max(abs(mha.out_proj->bias)).item() == 0.0);
  BOOST_TEST(max(abs(mha.out_proj->weight)).item() <= 1 / std::sqrt(8.0));  // Linear's
  BOOST_TEST(mha.head_dim == 4u);
  BOOST_TEST(mha.describe() == "MultiheadAttention(embed_dim=8, num_heads=2)");
  BOOST_TEST(nn::MultiheadAttention(4, 2, {.dropout = 0.25, .kdim = 3, .batch_first = true}).describe() ==
             "MultiheadAttention(embed_dim=4, num_heads=2, dropout=0.25, kdim=3, batch_first=true)");
}

BOOST_AUTO_TEST_CASE(bool_masks_and_averaged_weights_match_pytorch) {
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const auto [out, weights] =
      mha.forward(in.query, in.key, in.value, {.key_padding_mask = padding(), .attn_mask = causalish()});
  BOOST_TEST(to_string(out.shape()) == "(3,2,4)");
  BOOST_TEST(to_string(weights.shape()) == "(2,3,4)");
  check_close(out, mha_bool_masks);
  check_close(weights, mha_bool_masks_weights);
  backward_upstream({out, weights});
  check_close(in.query.grad(), mha_bool_masks_dquery);
  check_close(in.key.grad(), mha_bool_masks_dkey);
  check_close(in.value.grad(), mha_bool_masks_dvalue);
  check_parameter_grads(mha, mha_bool_masks_dparams);
}

BOOST_AUTO_TEST_CASE(batch_first_gives_the_same_results_transposed) {
  nn::MultiheadAttention mha = packed(true);
  Inputs in;
  const auto [out, weights] =
      mha.forward(transpose(in.query, 0, 1), transpose(in.key, 0, 1), transpose(in.value, 0, 1),
                  {.key_padding_mask = padding(), .attn_mask = causalish()});
  BOOST_TEST(to_string(out.shape()) == "(2,3,4)");
  check_close(transpose(out, 0, 1), mha_bool_masks);
  check_close(weights, mha_bool_masks_weights);
  backward_upstream({transpose(out, 0, 1), weights});
  check_close(in.query.grad(), mha_bool_masks_dquery);
  check_close(in.value.grad(), mha_bool_masks_dvalue);
  check_parameter_grads(mha, mha_bool_masks_dparams);
}

BOOST_AUTO_TEST_CASE(a_float_3d_mask_and_weights_per_head_match_pytorch) {
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const auto [out, weights] = mha.forward(in.query, in.key, in.value,
                                          {.key_padding_mask = padding(),
                                           .attn_mask = sine_filled({4, 3, 4}, 0.5, 0.8, 0.3),
                                           .average_attn_weights = false});
  BOOST_TEST(to_string(weights.shape()) == "(2,2,3,4)");
  check_close(out, mha_float_mask);
  check_close(weights, mha_float_mask_weights);
  backward_upstream({out, weights});
  check_close(in.query.grad(), mha_float_mask_dquery);
  check_close(in.key.grad(), mha_float_mask_dkey);
  check_close(in.value.grad(), mha_float_mask_dvalue);
  check_parameter_grads(mha, mha_float_mask_dparams);
}

BOOST_AUTO_TEST_CASE(a_float_key_padding_mask_is_added_and_no_weights_are_asked) {
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const auto [out, weights] = mha.forward(
      in.query, in.key, in.value, {.key_padding_mask = sine_filled({2, 4}, 0.7, 1.1, 0.4), .need_weights = false});
  BOOST_TEST(!weights.defined());
  check_close(out, mha_float_padding);
  backward_upstream({out});
  check_close(in.query.grad(), mha_float_padding_dquery);
  check_close(in.key.grad(), mha_float_padding_dkey);
  check_close(in.value.grad(), mha_float_padding_dvalue);
  check_parameter_grads(mha, mha_float_padding_dparams);
}

BOOST_AUTO_TEST_CASE(unbatched_inputs_match_pytorch) {
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const auto first = [](const Tensor& t) { return squeeze(narrow(t.detach(), 1, 0, 1), 1).clone().requires_grad_(); };
  const Tensor q = first(in.query), k = first(in.key), v = first(in.value);
  const Tensor pad = tensor({0, 1, 0, 0}, float64) > 0.5;
  const auto [out, weights] = mha.forward(q, k, v, {.key_padding_mask = pad});
  BOOST_TEST(to_string(out.shape()) == "(3,4)");
  BOOST_TEST(to_string(weights.shape()) == "(3,4)");
  check_close(out, mha_unbatched);
  check_close(weights, mha_unbatched_weights);
  backward_upstream({out, weights});
  check_close(q.grad(), mha_unbatched_dquery);
  check_close(k.grad(), mha_unbatched_dkey);
  check_close(v.grad(), mha_unbatched_dvalue);
  check_parameter_grads(mha, mha_unbatched_dparams);
}

BOOST_AUTO_TEST_CASE(separate_kdim_and_vdim_batch_first_match_pytorch) {
  nn::MultiheadAttention mha(4, 2, {.kdim = 3, .vdim = 5, .batch_first = true, .dtype = float64});
  load_pytorch(mha, "mha_kvdim");
  const Tensor q = sine_filled({2, 3, 4}, 1.0, 0.7, 0.1).requires_grad_();
  const Tensor k = sine_filled({2, 4, 3}, 0.9, 0.45, 0.3).requires_grad_();
  const Tensor v = sine_filled({2, 4, 5}, 1.1, 0.6, -0.2).requires_grad_();
  const auto [out, weights] = mha.forward(q, k, v, {.attn_mask = causalish()});
  BOOST_TEST(to_string(out.shape()) == "(2,3,4)");
  check_close(out, mha_kvdim);
  check_close(weights, mha_kvdim_weights);
  backward_upstream({out, weights});
  check_close(q.grad(), mha_kvdim_dquery);
  check_close(k.grad(), mha_kvdim_dkey);
  check_close(v.grad(), mha_kvdim_dvalue);
  check_parameter_grads(mha, mha_kvdim_dparams);
}

BOOST_AUTO_TEST_CASE(forward_of_one_tensor_is_self_attention) {
  nn::MultiheadAttention mha = packed();
  const Tensor x = sine_filled({3, 2, 4}, 1.0, 0.7, 0.1);
  const Tensor y = mha(x);  // without the weights: the fused scaled_dot_product_attention
  BOOST_TEST(max(abs(y - std::get<0>(mha.forward(x, x, x, {.need_weights = false})))).item() == 0.0);
  BOOST_TEST(max(abs(y - std::get<0>(mha.forward(x, x, x)))).item() < 1e-14);  // the composed path
}

BOOST_AUTO_TEST_CASE(bool_and_float_masks_agree) {
  // a bool mask is the float mask with -inf where true
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const Tensor minus_inf = where(causalish(), full({}, -std::numeric_limits<double>::infinity(), float64),
                                 full({}, 0.0, float64));
  const auto [a, wa] = mha.forward(in.query, in.key, in.value, {.attn_mask = causalish()});
  const auto [b, wb] = mha.forward(in.query, in.key, in.value, {.attn_mask = minus_inf});
  BOOST_TEST(max(abs(a - b)).item() == 0.0);
  BOOST_TEST(max(abs(wa - wb)).item() == 0.0);
}

// PyTorch gives NaN for such a query; descent gives zeros (output and weights) and zero gradients, on
// both paths (fused without the weights, composed with them).
BOOST_AUTO_TEST_CASE(a_query_with_every_key_masked_gets_zeros_not_nan) {
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const Tensor none_allowed = tensor({{1, 1, 1, 1}, {0, 0, 0, 1}, {0, 0, 0, 0}}, float64) > 0.5;
  const auto [out, weights] = mha.forward(in.query, in.key, in.value, {.attn_mask = none_allowed});
  const auto [fused, none] = mha.forward(in.query, in.key, in.value, {.need_weights = false, .attn_mask = none_allowed});
  BOOST_TEST(!none.defined());
  BOOST_TEST(max(abs(out - fused)).item() < 1e-14);
  BOOST_TEST(weights.at({1, 0, 2}) == 0.0);   // query 0: every key masked
  BOOST_TEST(weights.at({0, 1, 3}) == 0.0);   // query 1: key 3 masked
  const Tensor q = in.query.detach().requires_grad_();
  const auto [y, w] = mha.forward(q, in.key, in.value, {.attn_mask = none_allowed});
  sum(y).backward();
  BOOST_TEST(std::isfinite(sum(q.grad()).item()));
  BOOST_TEST(std::isfinite(sum(out).item()));
}

BOOST_AUTO_TEST_CASE(dropout_acts_in_training_only) {
  Generator gen(11);
  nn::MultiheadAttention mha(4, 2, {.dropout = 0.5, .dtype = float64}, gen);
  const Tensor x = sine_filled({3, 2, 4}, 1.0, 0.7, 0.1);
  const auto [train_out, train_weights] = mha.forward(x, x, x);
  mha.eval();
  const auto [eval_out, eval_weights] = mha.forward(x, x, x);
  BOOST_TEST(max(abs(train_out - eval_out)).item() > 1e-3);
  // in evaluation every query's weights sum to 1; in training some were dropped, the rest scaled by 2
  check_close(sum(eval_weights, {-1}), std::vector<double>(6, 1.0));
  BOOST_TEST(max(abs(sum(train_weights, {-1}) - 1.0)).item() > 1e-3);
  const auto [again, again_weights] = mha.forward(x, x, x);
  BOOST_TEST(max(abs(again - eval_out)).item() == 0.0);
}

BOOST_AUTO_TEST_CASE(first_and_second_derivatives_of_a_tiny_attention) {
  Generator gen(5);
  nn::MultiheadAttention mha(4, 2, {.dtype = float64}, gen);
  const Tensor mask = sine_filled({2, 3}, 0.5, 0.8, 0.3);
  const auto inputs = std::vector<Tensor>{random_input({2, 1, 4}, 1), random_input({3, 1, 4}, 2),
                                          random_input({3, 1, 4}, 3)};
  check_second_order(
      [&](const std::vector<Tensor>& v) { return std::get<0>(mha.forward(v[0], v[1], v[2], {.attn_mask = mask})); },
      inputs);
  // through the weights too, with a bool padding mask
  const Tensor pad = tensor({{0, 0, 1}}, float64) > 0.5;
  check_second_order(
      [&](const std::vector<Tensor>& v) {
        return std::get<1>(mha.forward(v[0], v[1], v[2], {.key_padding_mask = pad, .average_attn_weights = false}));
      },
      inputs);
}

BOOST_AUTO_TEST_CASE(bad_settings_and_shapes_are_clear_errors) {
  check_error([] { nn::MultiheadAttention(5, 2); }, "embed_dim must be divisible by num_heads, got embed_dim=5 num_heads=2");
  check_error([] { nn::MultiheadAttention(4, 0); }, "must be positive");
  check_error([] { nn::MultiheadAttention(4, 2, {.dropout = 1}); }, "dropout must be in [0, 1)");
  nn::MultiheadAttention mha = packed();
  Inputs in;
  const auto run = [&](const nn::MultiheadAttentionForwardOptions& o) { mha.forward(in.query, in.key, in.value, o); };
  check_error([&] { run({.attn_mask = zeros({3, 3}, float64)}); },
              "expected an attn_mask of shape (3, 4) or (4, 3, 4) (L, S or N·num_heads, L, S), got (3,3)");
  check_error([&] { run({.attn_mask = zeros({2, 3, 4}, float64)}); }, "got (2,3,4)");
  check_error([&] { run({.attn_mask = zeros({3, 4}, int64)}); }, "attn_mask must be bool or float64, got int64");
  check_error([&] { run({.attn_mask = zeros({3, 4}, float32)}); }, "attn_mask must be bool or float64, got float32");
  check_error([&] { run({.key_padding_mask = zeros({4, 2}, float64)}); },
              "expected a key_padding_mask of shape (2, 4) (N, S), got (4,2)");
  check_error([&] { mha.forward(narrow(in.query, 2, 0, 3), in.key, in.value); }, "features");
  check_error([&] { mha.forward(in.query, narrow(in.key, 0, 0, 3), in.value); }, "the same length");
  check_error([&] { mha.forward(in.query, in.key, narrow(in.value, 1, 0, 1)); }, "the same batch size");
  check_error([&] { mha.forward(unsqueeze(in.query, 0), in.key, in.value); }, "expected a query of shape (L, E)");
  check_error([&] { mha.forward(in.query, squeeze(narrow(in.key, 1, 0, 1), 1), in.value); }, "key and value must be 3-D");
  check_error([&] { mha(in.query.detach().to(float32)); }, "expected query, key and value of the parameters' dtype float64");
}

BOOST_AUTO_TEST_SUITE_END()
