// Module buffers and the normalisation layers: registration, names, dtype conversion, running
// statistics against PyTorch's, checkpoints with buffers (descent's own and a PyTorch state_dict
// saved with numpy.savez), errors naming the layer and the shapes.
#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include "data/temp_dir.hpp"

using namespace descent;
using descent::testing::check_close;
using descent::testing::check_error;
using descent::testing::sine_filled;
namespace fs = std::filesystem;

namespace {

#include "../ops/norm_values.inc"

// A user's layer with a buffer, written like the built-in ones.
struct Counter : nn::Module {
  Tensor scale, count;
  explicit Counter(Dtype count_dtype = int64) {
    scale = register_parameter("scale", ones({2}));
    count = register_buffer("count", zeros({2}, count_dtype));
  }
  Tensor forward(const Tensor& x) override { return x * scale; }
  void clash(const std::string& name) { register_buffer(name, zeros({1})); }
  void clash_parameter(const std::string& name) { register_parameter(name, zeros({1})); }
  void clash_module(const std::string& name) { register_module(name, std::make_shared<nn::ReLU>()); }
};

std::vector<std::string> names(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& [name, _] : named) out.push_back(name);
  return out;
}

/// The float32 model of norm_reference.py (its PyTorch twin wrote pytorch_norm_mlp.npz).
nn::Sequential norm_mlp() {
  return nn::Sequential(nn::Linear(4, 6), nn::BatchNorm1d(6), nn::ReLU(), nn::Linear(6, 8), nn::LayerNorm({8}),
                        nn::GroupNorm(2, 8), nn::Linear(8, 3));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(norm_layers)

// --- buffers -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(buffers_are_named_ordered_and_never_parameters) {
  nn::Sequential model(nn::Linear(3, 4), nn::BatchNorm1d(4), Counter());
  BOOST_TEST(names(model.named_buffers()) ==
                 (std::vector<std::string>{"1.running_mean", "1.running_var", "1.num_batches_tracked", "2.count"}),
             boost::test_tools::per_element());
  BOOST_TEST(names(model.named_parameters()) ==
                 (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "2.scale"}),
             boost::test_tools::per_element());
  // PyTorch's state_dict order: per module its parameters, then its buffers, then its children
  BOOST_TEST(names(model.state_dict()) ==
                 (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                           "1.running_var", "1.num_batches_tracked", "2.scale", "2.count"}),
             boost::test_tools::per_element());
  BOOST_TEST(model.buffers().size() == 4u);
  BOOST_TEST(model.num_parameters() == 3u * 4 + 4 + 2 * 4 + 2);
  for (const auto& b : model.buffers()) BOOST_TEST(!b.requires_grad());
}

BOOST_AUTO_TEST_CASE(buffer_names_must_be_free) {
  Counter c;
  check_error([&] { c.clash("count"); }, "register_buffer: a buffer named \"count\" exists already");
  check_error([&] { c.clash("scale"); }, "register_buffer: a parameter named \"scale\" exists already");
  check_error([&] { c.clash_parameter("count"); }, "register_parameter: a buffer named \"count\" exists already");
  check_error([&] { c.clash_module("count"); }, "register_module: a buffer named \"count\" exists already");
  c.clash_module("relu");
  check_error([&] { c.clash("relu"); }, "register_buffer: a module named \"relu\" exists already");
}

BOOST_AUTO_TEST_CASE(to_converts_floating_buffers_only) {
  nn::BatchNorm2d bn(3);
  const Tensor mean_handle = bn.running_mean;
  bn.to(float64);
  BOOST_TEST(to_string(bn.running_mean.dtype()) == "float64");
  BOOST_TEST(to_string(mean_handle.dtype()) == "float64");  // handles held elsewhere see it
  BOOST_TEST(to_string(bn.running_var.dtype()) == "float64");
  BOOST_TEST(to_string(bn.weight.dtype()) == "float64");
  BOOST_TEST(to_string(bn.num_batches_tracked.dtype()) == "int64");
}

// --- the layers --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(layers_have_pytorch_parameters_buffers_and_reprs) {
  nn::BatchNorm2d bn(3);
  check_close(bn.weight.to(float64), {1, 1, 1}, 0);
  check_close(bn.bias.to(float64), {0, 0, 0}, 0);
  check_close(bn.running_mean.to(float64), {0, 0, 0}, 0);
  check_close(bn.running_var.to(float64), {1, 1, 1}, 0);
  BOOST_TEST(bn.num_batches_tracked.dim() == 0u);
  BOOST_TEST(bn.describe() == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  nn::BatchNorm1d plain(5, {.eps = 1e-3, .momentum = 0.2, .affine = false, .track_running_stats = false});
  BOOST_TEST(plain.describe() == "BatchNorm1d(5, eps=0.001, momentum=0.2, affine=False, track_running_stats=False)");
  BOOST_TEST(plain.state_dict().empty());
  BOOST_TEST(nn::LayerNorm({8}).describe() == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)");
  nn::LayerNorm ln({2, 3}, {.elementwise_affine = false});
  BOOST_TEST(ln.describe() == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False)");
  BOOST_TEST(ln.parameters().empty());
  nn::GroupNorm gn(2, 6);
  BOOST_TEST(gn.describe() == "GroupNorm(2, 6, eps=1e-05, affine=True)");
  BOOST_TEST(to_string(gn.weight.shape()) == "(6,)");
}

BOOST_AUTO_TEST_CASE(batch_norm_running_statistics_match_pytorch_after_several_steps) {
  nn::BatchNorm2d bn(3, {.momentum = 0.3, .dtype = float64});
  for (int t = 0; t < 4; ++t)
    bn(sine_filled({4, 3, 2, 3}, 1.0 + t, 0.3 + 0.1 * t, t) + static_cast<double>(t));
  check_close(bn.running_mean, steps_running_mean);
  check_close(bn.running_var, steps_running_var);
  BOOST_TEST(bn.num_batches_tracked.item<std::int64_t>() == 4);
  bn.eval();
  check_close(bn(sine_filled({2, 3, 2, 3}, 1, 0.5, 0.5)), steps_eval);
  BOOST_TEST(bn.num_batches_tracked.item<std::int64_t>() == 4);  // eval forwards are not counted
}

BOOST_AUTO_TEST_CASE(batch_norm_without_running_statistics_uses_the_batch_in_eval) {
  nn::BatchNorm1d bn(3, {.track_running_stats = false, .dtype = float64});
  bn.eval();
  const Tensor x = sine_filled({5, 3}, 2, 0.55, 1);
  check_close(bn(x), bn_plain);
}

BOOST_AUTO_TEST_CASE(a_trained_model_saved_and_loaded_predicts_identically_in_eval) {
  Generator gen(3);
  const Tensor x = randn({32, 4}, gen), target = randn({32, 3}, gen);
  nn::Sequential model = norm_mlp();
  optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    mse_loss(model(x), target).backward();
    opt.step();
  }
  model.eval();
  const Tensor expected = model(x);
  testing::TempDir dir("norm_layers");
  io::save(model, dir.path() / "model.npz");
  nn::Sequential fresh = norm_mlp();
  fresh.eval();
  BOOST_TEST(max(abs(fresh(x) - expected)).item<double>() > 1e-3);  // the buffers matter: it differs before
  io::load(fresh, dir.path() / "model.npz");
  BOOST_TEST(max(abs(fresh(x) - expected)).item<double>() == 0.0);
  const auto& bn = static_cast<const nn::BatchNorm&>(*fresh.named_children()[1].second);
  BOOST_TEST(bn.num_batches_tracked.item<std::int64_t>() == 5);
}

BOOST_AUTO_TEST_CASE(a_pytorch_state_dict_loads_and_predicts_the_same) {
  nn::Sequential model = norm_mlp();
  BOOST_TEST(names(model.state_dict()) == mlp_keys, boost::test_tools::per_element());
  io::load(model, fs::path(DESCENT_IO_FILES) / "pytorch_norm_mlp.npz");
  model.eval();
  const Tensor y = model(sine_filled({5, 4}, 1.5, 0.35, 0.2).to(float32));
  check_close(y.to(float64), mlp_eval, 1e-5);
}

BOOST_AUTO_TEST_CASE(loading_buffers_of_another_shape_or_dtype_is_an_error) {
  testing::TempDir dir("norm_layers");
  Counter saved(float32);
  io::save(saved, dir.path() / "counter.npz");
  Counter other(int64);
  check_error([&] { io::load(other, dir.path() / "counter.npz"); },
              "count has dtype float32 in the file, the model has int64");
  nn::BatchNorm1d bn(4);
  io::save(bn, dir.path() / "bn4.npz");
  nn::BatchNorm1d bn3(3);
  check_error([&] { io::load(bn3, dir.path() / "bn4.npz"); },
              "running_mean has shape (4,) in the file, the model has (3,)");
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_errors_naming_the_layer_and_shapes) {
  nn::BatchNorm2d bn2(3);
  check_error([&] { bn2(zeros({2, 4, 5, 5})); },
              "BatchNorm2d: expected an input of shape (N, C, H, W) with C = 3 (num_features), got (2,4,5,5)");
  check_error([&] { bn2(zeros({2, 3})); }, "BatchNorm2d: expected an input of shape (N, C, H, W)");
  nn::BatchNorm1d bn1(3);
  check_error([&] { bn1(zeros({2, 3, 4, 4})); },
              "BatchNorm1d: expected an input of shape (N, C) or (N, C, L) with C = 3 (num_features), got (2,3,4,4)");
  nn::LayerNorm ln({4, 5});
  check_error([&] { ln(zeros({2, 5, 4})); },
              "LayerNorm: expected an input whose last dims are (4,5) (normalized_shape), got (2,5,4)");
  check_error([] { nn::GroupNorm(4, 6); },
              "GroupNorm: num_channels must be a positive multiple of num_groups, got num_groups=4 num_channels=6");
  nn::GroupNorm gn(2, 6);
  check_error([&] { gn(zeros({2, 4, 3})); },
              "GroupNorm: expected an input of shape (N, C, *) with C = 6 (num_channels), got (2,4,3)");
  check_error([] { nn::BatchNorm2d(0); }, "BatchNorm2d: num_features must be positive, got 0");
}

BOOST_AUTO_TEST_SUITE_END()
