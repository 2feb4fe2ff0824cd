// var, std, batch_norm, layer_norm, group_norm: values and gradients against PyTorch's (float64
// literals from norm_reference.py), first and second derivatives against finite differences
// (the fused batch_norm and layer_norm backwards and their create_graph rules both), running
// statistics, float32 against float64, errors.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <string>
#include <vector>

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::check_second_order;
using descent::testing::cosine_upstream;
using descent::testing::random_input;
using descent::testing::sine_filled;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using Args = const std::vector<Tensor>&;

namespace {

#include "norm_values.inc"

/// A float64 per-channel tensor c ↦ a + b·c.
Tensor ramp(std::size_t n, double a, double b) {
  Tensor t = empty({n}, float64);
  for (std::size_t c = 0; c < n; ++c) t.data<double>()[c] = a + b * static_cast<double>(c);
  return t;
}

Tensor input(Tensor t) { return t.requires_grad_(); }

/// y's values, and the gradients of sum(y · cos(0.37 k)) for `inputs` (a plain backward: the fused
/// rules), against PyTorch's.
void check_reference(const Tensor& y, const std::vector<double>& values, const std::vector<Tensor>& inputs,
                     const std::vector<std::vector<double>>& gradients) {
  check_close(y, values);
  const auto grads = autograd::grad({y}, inputs, {cosine_upstream(y.shape())});
  for (std::size_t i = 0; i < inputs.size(); ++i) BOOST_TEST_CONTEXT("input " << i) { check_close(grads[i], gradients[i]); }
}

/// run(dtype)'s results in float32 within 1e-4 of each one's largest float64 value.
void check_float32_agrees(const std::function<std::vector<Tensor>(Dtype)>& run) {
  const auto exact = run(float64), single = run(float32);
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double error = max(abs(single[i].to(float64) - exact[i])).item<double>();
    const double scale = max(abs(exact[i])).item<double>();
    BOOST_TEST(error <= 1e-4 * scale, "result " << i << ": float32 differs by " << error << " (scale " << scale << ")");
  }
}

void check(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs) {
  BOOST_TEST_CONTEXT(what) { check_second_order(f, inputs); }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(norm)

// --- values and gradients against PyTorch ------------------------------------------------------

BOOST_AUTO_TEST_CASE(var_and_std_match_pytorch) {
  const Tensor x = input(sine_filled({3, 4, 5}, 2, 1.3, 0.5));
  check_reference(var(x), var_all, {x}, {var_all_dx});
  check_reference(var(x, {0, 2}, 0, true), var_02_c0_keep, {x}, {var_02_c0_keep_dx});
  BOOST_TEST(to_string(var(x, {0, 2}, 0, true).shape()) == "(1,4,1)");
  check_reference(descent::std(x, {1}, 1), std_1, {x}, {std_1_dx});
  check_reference(descent::std(x, {0, 1, 2}, 0), std_all_c0, {x}, {std_all_c0_dx});
}

BOOST_AUTO_TEST_CASE(batch_norm_in_training_matches_pytorch_and_updates_running_statistics) {
  const Tensor x = input(sine_filled({3, 4, 3, 5}, 1.5, 0.9, 0.2) + 0.3);
  const Tensor w = input(ramp(4, 1, 0.1)), b = input(ramp(4, 0.2, -0.05));
  Tensor rm = ramp(4, 0, 0.1), rv = ramp(4, 1, 0.2);
  const auto mean_version = rm.version(), var_version = rv.version();
  const Tensor y = batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
  check_reference(y, bn_train, {x, w, b}, {bn_train_dx, bn_train_dw, bn_train_db});
  check_close(rm, bn_train_running_mean);
  check_close(rv, bn_train_running_var);
  BOOST_TEST(rm.version() == mean_version + 1);  // in-place writes, seen by saved-tensor checks
  BOOST_TEST(rv.version() == var_version + 1);
}

BOOST_AUTO_TEST_CASE(batch_norm_in_eval_matches_pytorch_and_leaves_running_statistics) {
  const Tensor x = input(sine_filled({2, 3, 4}, 1, 0.7, 0.1));
  const Tensor w = input(ramp(3, 0.8, 0.2)), b = input(ramp(3, 0, 0.1));
  const Tensor rm = ramp(3, -0.1, 0.2), rv = ramp(3, 0.5, 0.3);
  check_reference(batch_norm(x, rm, rv, w, b, false, 0.1, 1e-3), bn_eval, {x, w, b},
                  {bn_eval_dx, bn_eval_dw, bn_eval_db});
  check_close(rm, {-0.1, 0.1, 0.3}, 1e-15);
  check_close(rv, {0.5, 0.8, 1.1}, 1e-15);
}

BOOST_AUTO_TEST_CASE(batch_norm_without_affine_or_running_statistics_matches_pytorch) {
  const Tensor x = input(sine_filled({5, 3}, 2, 0.55, 1));
  check_reference(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true), bn_plain, {x}, {bn_plain_dx});
}

BOOST_AUTO_TEST_CASE(layer_norm_matches_pytorch) {
  const Tensor x = input(sine_filled({2, 3, 4}, 1.2, 0.8, 0.3));
  const Tensor w = input(sine_filled({3, 4}, 0.5, 0.4, 1) + 1), b = input(sine_filled({3, 4}, 0.3, 0.6, 0));
  check_reference(layer_norm(x, {3, 4}, w, b), ln, {x, w, b}, {ln_dx, ln_dw, ln_db});
  const Tensor x2 = input(sine_filled({4, 5}, 1, 1.1, 0.4));
  check_reference(layer_norm(x2, {5}, Tensor(), Tensor(), 1e-3), ln_plain, {x2}, {ln_plain_dx});
}

BOOST_AUTO_TEST_CASE(group_norm_matches_pytorch) {
  const Tensor x = input(sine_filled({2, 6, 3, 2}, 1.4, 0.65, 0.2));
  const Tensor w = input(ramp(6, 1, -0.1)), b = input(ramp(6, 0, 0.05));
  check_reference(group_norm(x, 3, w, b), gn, {x, w, b}, {gn_dx, gn_dw, gn_db});
  const Tensor x2 = input(sine_filled({3, 4, 5}, 1, 0.45, 0.7));
  check_reference(group_norm(x2, 1), gn_plain, {x2}, {gn_plain_dx});
}

// --- first and second derivatives against finite differences ------------------------------------

BOOST_AUTO_TEST_CASE(var_and_std_gradgradcheck) {
  check("var over all", [](Args v) { return var(v[0]); }, {random_input({2, 3}, 1)});
  check("var over (0, 2), correction 0, keepdim", [](Args v) { return var(v[0], {0, 2}, 0, true); },
        {random_input({3, 2, 3}, 2)});
  check("var of a transpose", [](Args v) { return var(transpose(v[0]), {1}); }, {random_input({3, 4}, 3)});
  check("std over 1", [](Args v) { return descent::std(v[0], {1}); }, {random_input({2, 5}, 4)});
  check("std over all", [](Args v) { return descent::std(v[0]); }, {random_input({7}, 5)});
  check("std over (0), correction 0", [](Args v) { return descent::std(v[0], {0}, 0); }, {random_input({7}, 23)});
}

BOOST_AUTO_TEST_CASE(batch_norm_gradgradcheck_in_training) {
  const Tensor w = input(ramp(3, 0.7, 0.3)), b = input(ramp(3, 0.1, -0.2));
  check("(N, C, H, W) with weight and bias, updating running statistics", [](Args v) {
    Tensor rm = zeros({3}, float64), rv = ones({3}, float64);
    return batch_norm(v[0], rm, rv, v[1], v[2], true);
  }, {random_input({2, 3, 2, 3}, 6), w, b});
  check("(N, C, L), odd sizes", [](Args v) {
    return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true, 0.1, 1e-3);
  }, {random_input({3, 3, 5}, 7), w, b});
  check("(N, C) without affine", [](Args v) {
    return batch_norm(v[0], Tensor(), Tensor(), Tensor(), Tensor(), true);
  }, {random_input({5, 3}, 8)});
  check("a non-contiguous input", [](Args v) {
    return batch_norm(transpose(v[0], 0, 1), Tensor(), Tensor(), v[1], Tensor(), true);
  }, {random_input({3, 4}, 9), w});
}

BOOST_AUTO_TEST_CASE(batch_norm_gradgradcheck_in_eval) {
  const Tensor rm = ramp(3, -0.3, 0.25), rv = ramp(3, 0.6, 0.4);
  const Tensor w = input(ramp(3, 0.7, 0.3)), b = input(ramp(3, 0.1, -0.2));
  // linear in x and w: also squared, so that the second derivative goes through the backward rule
  const Fn f = [rm, rv](Args v) { return batch_norm(v[0], rm, rv, v[1], v[2], false); };
  check("(N, C, H, W)", f, {random_input({2, 3, 2, 2}, 10), w, b});
  check("(N, C, L), squared", [f](Args v) {
    const Tensor y = f(v);
    return y * y;
  }, {random_input({2, 3, 3}, 11), w, b});
  check("without affine, non-contiguous, squared", [rm, rv](Args v) {
    const Tensor y = batch_norm(transpose(v[0], 0, 1), rm, rv, Tensor(), Tensor(), false);
    return y * y;
  }, {random_input({3, 4}, 12)});
}

BOOST_AUTO_TEST_CASE(layer_norm_and_group_norm_gradgradcheck) {
  check("layer_norm over (3), affine", [](Args v) { return layer_norm(v[0], {3}, v[1], v[2]); },
        {random_input({4, 3}, 13), random_input({3}, 14), random_input({3}, 15)});
  check("layer_norm over (2, 3) of a transpose", [](Args v) { return layer_norm(transpose(v[0], 0, 2), {2, 3}); },
        {random_input({3, 2, 2}, 16)});
  check("layer_norm, weight only", [](Args v) { return layer_norm(v[0], {4}, v[1]); },
        {random_input({2, 4}, 32), random_input({4}, 33)});
  check("layer_norm, bias only, over all of a 1-d input", [](Args v) { return layer_norm(v[0], {5}, Tensor(), v[1]); },
        {random_input({5}, 34), random_input({5}, 35)});
  check("group_norm, 3 groups of 2, affine", [](Args v) { return group_norm(v[0], 3, v[1], v[2]); },
        {random_input({2, 6, 2}, 17), random_input({6}, 18), random_input({6}, 19)});
  check("group_norm of a transpose, no affine", [](Args v) { return group_norm(transpose(v[0], 1, 2), 2); },
        {random_input({2, 3, 4}, 20)});
}

// --- float32, errors ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(float32_batch_norm_agrees_with_float64) {
  // a mean far from 0 against a small spread: float32 statistics need their float64 accumulation,
  // and the normalisation must subtract the mean first. (Both runs see the same float32 values.)
  const Tensor x64 = (random_input({64, 2, 7, 9}, 21).detach() * 0.01 + 300.0).to(float32).to(float64);
  const Tensor g64 = random_input({64, 2, 7, 9}, 22).detach();
  const Tensor w64 = ramp(2, 1, 0.5), b64 = ramp(2, 0, 0.25);
  const auto run = [&](Dtype dtype) {
    const Tensor x = x64.to(dtype).detach().requires_grad_(), w = w64.to(dtype).detach().requires_grad_();
    Tensor rm = zeros({2}, dtype), rv = ones({2}, dtype);
    const Tensor y = batch_norm(x, rm, rv, w, b64.to(dtype), true);
    auto grads = autograd::grad({y}, {x, w}, {g64.to(dtype)});
    return std::vector<Tensor>{y, grads[0], grads[1], rm, rv};
  };
  check_float32_agrees(run);
}

BOOST_AUTO_TEST_CASE(fused_layer_norm_over_many_rows_agrees_with_its_formula) {
  // 150 rows: several blocks of the weight and bias gradients' partial sums, split over the threads
  const Tensor x = input(random_input({3, 50, 7}, 24).detach() * 2.0 + 0.5);
  const Tensor w = input(random_input({7}, 25).detach()), b = input(random_input({7}, 26).detach());
  const Tensor g = random_input({3, 50, 7}, 27).detach();
  const Tensor y = layer_norm(x, {7}, w, b, 1e-4);
  const auto grads = autograd::grad({y}, {x, w, b}, {g});
  // the same with differentiable ops: mean, var, and their gradients through the tape
  const Tensor d = x - mean(x, {2}, true);
  const Tensor expected = d / sqrt(mean(d * d, {2}, true) + 1e-4) * w + b;
  const auto expected_grads = autograd::grad({expected}, {x, w, b}, {g});
  BOOST_TEST(max(abs(y - expected)).item<double>() < 1e-13);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST_CONTEXT("input " << i) {
    BOOST_TEST(max(abs(grads[i] - expected_grads[i])).item<double>() < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(float32_layer_norm_agrees_with_float64) {
  // rows with a mean far from 0 against a small spread (as float32_batch_norm_agrees_with_float64)
  const Tensor x64 = (random_input({40, 33}, 28).detach() * 0.01 + 300.0).to(float32).to(float64);
  const Tensor g64 = random_input({40, 33}, 29).detach();
  const Tensor w64 = random_input({33}, 30).detach() + 1.0, b64 = random_input({33}, 31).detach();
  const auto run = [&](Dtype dtype) {
    const Tensor x = x64.to(dtype).detach().requires_grad_(), w = w64.to(dtype).detach().requires_grad_();
    const Tensor b = b64.to(dtype).detach().requires_grad_();
    const Tensor y = layer_norm(x, {33}, w, b);
    auto grads = autograd::grad({y}, {x, w, b}, {g64.to(dtype)});
    return std::vector<Tensor>{y, grads[0], grads[1], grads[2]};
  };
  check_float32_agrees(run);
}

BOOST_AUTO_TEST_CASE(layer_norm_of_empty_inputs) {
  const Tensor x = input(zeros({0, 4}, float64)), w = input(ones({4}, float64));
  const Tensor y = layer_norm(x, {4}, w, Tensor());
  BOOST_TEST(to_string(y.shape()) == "(0,4)");
  const auto grads = autograd::grad({sum(y)}, {x, w});
  BOOST_TEST(to_string(grads[0].shape()) == "(0,4)");
  check_close(grads[1], {0, 0, 0, 0});
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_errors_naming_the_shapes) {
  const Tensor x = zeros({4, 3, 5}, float64);
  check_error([&] { batch_norm(x, zeros({4}, float64), ones({4}, float64), Tensor(), Tensor(), false); },
              "batch_norm: running_mean has shape (4,), expected (3,) for the channels of input (4,3,5)");
  check_error([&] { batch_norm(x, Tensor(), Tensor(), ones({2}, float64), Tensor(), true); },
              "weight has shape (2,), expected (3,)");
  check_error([&] { batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false); }, "needs running_mean");
  check_error([&] { batch_norm(zeros({1, 3}, float64), Tensor(), Tensor(), Tensor(), Tensor(), true); },
              "expected more than 1 value per channel when training, got input (1,3)");
  check_error([&] { batch_norm(zeros({3}, float64), Tensor(), Tensor(), Tensor(), Tensor(), true); },
              "expected an input of shape (N, C), (N, C, L) or (N, C, H, W), got (3,)");
  check_error([&] { batch_norm(x, zeros({3}), ones({3}), Tensor(), Tensor(), true); }, "batch_norm");
  check_error([&] { layer_norm(x, {3}); }, "layer_norm: normalized_shape (3,) does not match the last dims of input (4,3,5)");
  check_error([&] { layer_norm(x, {5}, ones({4}, float64)); }, "weight has shape (4,), expected normalized_shape (5,)");
  check_error([&] { group_norm(x, 2); }, "group_norm: num_groups 2 must divide the number of channels 3 of input (4,3,5)");
  check_error([&] { group_norm(x, 3, ones({6}, float64)); }, "weight has shape (6,), expected (3,)");
  check_error([&] { var(x, {3}); }, "var");
  check_error([&] { var(x, {1, 1}); }, "var: repeated axis 1");
}

BOOST_AUTO_TEST_SUITE_END()
