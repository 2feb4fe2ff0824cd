// ONNX import (descent/onnx/import.hpp): descent's own exports import and compute what the models
// did; PyTorch's torch.onnx.export models (torch_models_reference.py, files/torch_*.onnx) import and
// match PyTorch's outputs and parameter gradients (1e-5 relative, float32); gradients of an imported
// float64 model match central differences; bad files (unsupported ops, every truncation of a model,
// bad versions, missing initializers) and bad inputs are descent::Errors.
#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>
#include <set>

#include <onnx/onnx_pb.h>

#include "../../samples/char_lstm/char_lstm.hpp"        // the character samples' models
#include "../../samples/char_transformer/gpt.hpp"
#include "descent/onnx/export.hpp"
#include "descent/onnx/import.hpp"
#include "support/check.hpp"
#include "support/closed_form.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::cosine_upstream;

namespace {

#include "torch_models_values.inc"

std::string file_bytes(const std::string& name) {
  std::ifstream in(std::string(DESCENT_ONNX_FILES) + "/" + name, std::ios::binary);
  BOOST_REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Tensor literal(const std::vector<double>& values, const Shape& shape, Dtype dtype = float32) {
  return from_buffer<double>(values.data(), shape).to(dtype);
}

/// |a - e| ≤ rtol·|e| + atol elementwise, with the worst element in the message.
void check_near(const Tensor& actual, const Tensor& expected, double rtol, double atol = 0) {
  BOOST_TEST_REQUIRE(to_string(actual.shape()) == to_string(expected.shape()));
  const Tensor a = actual.detach().to(float64).contiguous(), e = expected.detach().to(float64).contiguous();
  for (std::size_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<double>()[i], y = e.data<double>()[i];
    BOOST_TEST(std::abs(x - y) <= rtol * std::abs(y) + atol, "element " << i << ": got " << x << ", expected " << y);
  }
}

Tensor eval_output(nn::Module& model, const Tensor& x) {
  model.eval();
  NoGradGuard no_grad;
  Tensor y = model(x);
  model.train();
  return y;
}

std::set<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::set<std::string> out;
  for (const auto& [name, _] : named) out.insert(name);
  return out;
}

::onnx::ModelProto parsed(const std::string& bytes) {
  ::onnx::ModelProto m;
  BOOST_REQUIRE(m.ParseFromString(bytes));
  return m;
}

std::string serialized(const ::onnx::ModelProto& m) {
  std::string s;
  BOOST_REQUIRE(m.SerializeToString(&s));
  return s;
}

Tensor parameter(const nn::Module& m, const std::string& name) {
  for (const auto& [n, p] : m.named_parameters())
    if (n == name) return p;
  BOOST_TEST_REQUIRE(false, "no parameter " << name);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(descent_mlp_round_trips_with_identical_outputs_and_its_parameters) {
  nn::Sequential model(nn::Linear(4, 8), nn::ReLU(), nn::Dropout(0.5), nn::Linear(8, 3), nn::LogSoftmax());
  auto imported = descent::onnx::import_model_bytes(descent::onnx::export_model_bytes(model, {randn({5, 4})}));
  const Tensor x = randn({7, 4});  // another batch size than the export's
  check_near((*imported)(x), eval_output(model, x), 0);
  BOOST_TEST((names_of(imported->named_parameters()) == names_of(model.named_parameters())));
  BOOST_TEST(imported->num_parameters() == model.num_parameters());
  BOOST_TEST(imported->inputs().at(0).name == "input");
  BOOST_TEST((imported->inputs().at(0).dims == std::vector<std::int64_t>{-1, 4}));
  for (const auto& p : imported->parameters()) BOOST_TEST(p.requires_grad());
}

BOOST_AUTO_TEST_CASE(descent_cnn_round_trips_with_batch_norm_statistics_as_buffers) {
  nn::Sequential model(nn::Conv2d(1, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(4, 6, 3, {.stride = 2, .padding = "valid"}), nn::AvgPool2d(2, 1),
                       nn::Conv2d(6, 8, 2, {.padding = "same"}), nn::AdaptiveAvgPool2d(1), nn::Flatten(),
                       nn::Linear(8, 10));
  model(randn({4, 1, 12, 12}));  // running statistics that differ from the defaults
  const auto path = (std::filesystem::temp_directory_path() / "descent_onnx_import_cnn.onnx").string();
  descent::onnx::export_model(model, {randn({3, 1, 12, 12})}, path);
  auto imported = descent::onnx::import_model(path);
  std::filesystem::remove(path);
  const Tensor x = randn({5, 1, 12, 12});
  check_near((*imported)(x), eval_output(model, x), 0);
  BOOST_TEST((names_of(imported->named_parameters()) == names_of(model.named_parameters())));
  const auto buffers = names_of(imported->named_buffers());
  BOOST_TEST(buffers.count("1.running_mean") == 1);
  BOOST_TEST(buffers.count("1.running_var") == 1);
}

BOOST_AUTO_TEST_CASE(descent_layer_norm_gelu_net_round_trips) {
  nn::Sequential model(nn::Linear(6, 16), nn::LayerNorm({16}), nn::GELU(), nn::Linear(16, 4), nn::Softmax(-1));
  auto imported = descent::onnx::import_model_bytes(descent::onnx::export_model_bytes(model, {randn({2, 5, 6})}));
  const Tensor x = randn({3, 5, 6});
  // GELU's parts (Div, Erf, Add, Mul) come back as descent's gelu
  check_near((*imported)(x), eval_output(model, x), 0);
}

BOOST_AUTO_TEST_CASE(a_function_of_several_inputs_round_trips_through_many_ops) {
  const Tensor w = randn({4, 2}), cw = randn({4, 2, 3}), cb = randn({4}), table = randn({10, 4});
  const auto f = [=](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];    // (N, 3, 4)
    const Tensor& ids = in[1];  // (N, 3) int64
    Tensor a = exp(x * 2.0 - 1.0) / (sqrt(pow(x, 2.0) + 1.0) + 0.5);
    Tensor b = log(sigmoid(a) + 1.0) + tanh(-a) + softplus(x, 2.0) + leaky_relu(x, 0.2) + gelu(x, "tanh");
    Tensor c = concat({transpose(b, 1, 2), permute(narrow(b, 1, 0, 2), {0, 2, 1})}, 2);  // (N, 4, 5)
    Tensor d = sum(c, {2}) + mean(c, {2}) + max(c, {2}) + logsumexp(c, {2}) + min(c, {2});  // (N, 4)
    Tensor e = squeeze(unsqueeze(d, 1), 1) * maximum(clamp(d, -1, 1), abs(d) * 0.5);
    Tensor g = mean(embedding(ids, table), {1}) + e;                                     // (N, 4): Gather
    Tensor h = max_pool1d(conv1d(reshape(stack({g, g}, 1), {-1, 2, 4}), cw, cb, 1, 1), 2);  // (N, 4, 2)
    Tensor s = broadcast_to(unsqueeze(sum(h, {2}), 1), {x.size(0), 3, 4});               // Expand
    return std::vector<Tensor>{softmax(matmul(narrow(flatten(s, 1), 1, 0, 4), w), 1), mean(flatten(c))};
  };
  Tensor ids = full({2, 3}, 3.0, int64), ids_run = full({5, 3}, 7.0, int64);
  ids.data<std::int64_t>()[1] = 9;
  ids_run.data<std::int64_t>()[4] = 0;
  auto imported = descent::onnx::import_model_bytes(descent::onnx::export_function_bytes(
      f, {randn({2, 3, 4}), ids}, {.input_names = {"x", "ids"}, .output_names = {"p", "m"}}));
  const Tensor x = randn({5, 3, 4});
  const auto expected = f({x, ids_run});
  const auto got = imported->run(std::vector<std::pair<std::string, Tensor>>{{"ids", ids_run}, {"x", x}});
  BOOST_TEST_REQUIRE(got.size() == 2);
  check_near(got[0], expected[0], 0);
  check_near(got[1], expected[1], 0);
  BOOST_TEST(imported->outputs().at(1).name == "m");
}

BOOST_AUTO_TEST_CASE(the_character_samples_models_round_trip) {
  // samples/char_lstm's network and samples/char_transformer's GPT (its attention and GELU come
  // back as descent's fused ops): identical outputs.
  Generator gen(2);
  char_lstm::CharLSTM chars(9, 6, 7, gen);
  const Tensor ids = tensor({{1, 2, 3, 4, 5}, {8, 7, 6, 5, 4}}, int64);
  const Tensor other = tensor({{0, 1, 2, 3, 4}, {8, 8, 8, 1, 1}, {3, 1, 4, 1, 5}}, int64);
  auto lstm = descent::onnx::import_model_bytes(descent::onnx::export_model_bytes(chars, {ids}));
  check_near((*lstm)(other), eval_output(chars, other), 0);
  BOOST_TEST((names_of(lstm->named_parameters()) == names_of(chars.named_parameters())));
  gpt::GPT model(gpt::Config{.vocab = 11, .context = 8, .width = 16, .heads = 2, .layers = 2}, gen);
  const Tensor text = tensor({{1, 2, 3, 4, 5, 6, 7, 8}, {0, 10, 9, 8, 7, 6, 5, 4}}, int64);
  const Tensor more = tensor({{3, 3, 3, 1, 0, 10, 2, 2}, {5, 4, 3, 2, 1, 0, 9, 8}, {7, 7, 7, 7, 7, 7, 7, 7}}, int64);
  auto gpt = descent::onnx::import_model_bytes(descent::onnx::export_model_bytes(model, {text}));
  check_near((*gpt)(more), eval_output(model, more), 0);
  // the causal mask was traced for 8 positions, which the graph's input says: 5 is an error
  check_error([&] { (*gpt)(tensor({{1, 2, 3, 4, 5}}, int64)); }, "has shape (1,5), the graph expects (?,8)");
  // the exported causal masks are constants again, not parameters
  BOOST_TEST((names_of(gpt->named_parameters()) == names_of(model.named_parameters())));
}

BOOST_AUTO_TEST_CASE(recurrent_layers_and_masked_attention_round_trip) {
  // Bidirectional 2-layer LSTM with initial states, GRU (batch_first, bidirectional), a relu RNN
  // without biases, and attention with a bool and a float mask: exported, imported, run again.
  nn::LSTM lstm(4, 3, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(4, 3, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  nn::RNN rnn(4, 5, {.nonlinearity = "relu", .bias = false});
  const Tensor bool_mask = tensor({{1, 0, 1, 1, 1}, {1, 1, 0, 1, 0}, {0, 1, 1, 1, 1}, {1, 1, 1, 1, 0}, {0, 0, 1, 1, 1}},
                                  boolean);
  const auto f = [&](const std::vector<Tensor>& in) {
    auto [y, hc] = lstm.forward(in[0], {in[1], in[2]});
    auto [g, gh] = gru.forward(transpose(in[0], 0, 1), in[1]);
    const Tensor q = unsqueeze(permute(in[0], {1, 0, 2}), 1);  // (B, 1, T, 4)
    return std::vector<Tensor>{y, std::get<0>(hc), std::get<1>(hc), g, gh, rnn(in[0]),
                               scaled_dot_product_attention(q, q, q, bool_mask)};
  };
  const std::vector<Tensor> in{randn({5, 2, 4}), randn({4, 2, 3}), randn({4, 2, 3})};
  auto imported =
      descent::onnx::import_model_bytes(descent::onnx::export_function_bytes(f, in, {.dynamic_batch = false}));
  const std::vector<Tensor> again{randn({5, 2, 4}), randn({4, 2, 3}), randn({4, 2, 3})};
  const auto expected = f(again);
  const auto got = imported->run(std::vector<std::pair<std::string, Tensor>>{
      {imported->inputs()[0].name, again[0]}, {imported->inputs()[1].name, again[1]}, {imported->inputs()[2].name, again[2]}});
  BOOST_TEST_REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) check_near(got[i], expected[i], 0);
  // The imported LSTM trains: its gradients reach the state_dict's weights.
  sum(imported->run(std::vector<std::pair<std::string, Tensor>>{
          {imported->inputs()[0].name, again[0]}, {imported->inputs()[1].name, again[1]},
          {imported->inputs()[2].name, again[2]}})[0])
      .backward();
  std::size_t with_gradient = 0;
  for (const auto& p : imported->parameters()) with_gradient += p.grad().defined() ? 1 : 0;
  BOOST_TEST(with_gradient >= 8u);  // the LSTM's 2 layers x 2 directions x (w_ih, w_hh, b_ih, b_hh) at least
}

BOOST_AUTO_TEST_CASE(pytorch_models_import_and_match_pytorch) {
  struct Case {
    const char* file;
    Shape input_shape, output_shape;
    const std::vector<double>&input, &output;
  };
  for (const Case& c : {Case{"torch_mlp.onnx", {3, 4}, {3, 3}, torch_mlp_input, torch_mlp_output},
                        Case{"torch_cnn.onnx", {2, 1, 6, 6}, {2, 2}, torch_cnn_input, torch_cnn_output},
                        Case{"torch_norm_gelu.onnx", {2, 3, 5}, {2, 3, 5}, torch_norm_gelu_input, torch_norm_gelu_output},
                        // a 2-layer bidirectional batch_first LSTM into a GRU: ONNX LSTM and GRU ops
                        Case{"torch_recurrent.onnx", {2, 5, 3}, {2, 5, 2}, torch_recurrent_input, torch_recurrent_output}}) {
    BOOST_TEST_CONTEXT(c.file) {
      auto model = descent::onnx::import_model(std::string(DESCENT_ONNX_FILES) + "/" + c.file);
      BOOST_TEST(model->inputs().at(0).name == "x");
      NoGradGuard no_grad;
      check_near((*model)(literal(c.input, c.input_shape)), literal(c.output, c.output_shape), 1e-5, 1e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_imported_pytorch_models_match_pytorchs) {
  struct Case {
    const char* file;
    Shape input_shape;
    const std::vector<double>& input;
    std::vector<std::pair<std::string, const std::vector<double>*>> grads;
  };
  const std::vector<Case> cases = {
      {"torch_mlp.onnx", {3, 4}, torch_mlp_input,
       {{"fc1.weight", &torch_mlp_grad_fc1_weight}, {"fc1.bias", &torch_mlp_grad_fc1_bias},
        {"fc2.weight", &torch_mlp_grad_fc2_weight}, {"fc2.bias", &torch_mlp_grad_fc2_bias}}},
      {"torch_cnn.onnx", {2, 1, 6, 6}, torch_cnn_input,
       {{"conv.weight", &torch_cnn_grad_conv_weight}, {"conv.bias", &torch_cnn_grad_conv_bias},
        {"bn.weight", &torch_cnn_grad_bn_weight}, {"bn.bias", &torch_cnn_grad_bn_bias},
        {"fc.weight", &torch_cnn_grad_fc_weight}, {"fc.bias", &torch_cnn_grad_fc_bias}}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.file) {
      auto model = descent::onnx::import_model(std::string(DESCENT_ONNX_FILES) + "/" + c.file);
      const Tensor y = (*model)(literal(c.input, c.input_shape));
      (y * cosine_upstream(y.shape()).to(float32)).sum().backward();
      for (const auto& [name, expected] : c.grads) {
        BOOST_TEST_CONTEXT(name) {
          const Tensor p = parameter(*model, name);
          BOOST_TEST_REQUIRE(p.grad().defined());
          check_near(p.grad(), literal(*expected, p.shape()), 1e-4, 1e-6);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_through_layer_norm_and_a_folded_matmul_weight_match_pytorchs) {
  // PyTorch exports Linear on (N, T, D) as MatMul with Wᵀ folded into a constant "onnx::MatMul_<k>":
  // its gradient is the transpose of PyTorch's weight gradient
  auto model = descent::onnx::import_model(std::string(DESCENT_ONNX_FILES) + "/torch_norm_gelu.onnx");
  const Tensor y = (*model)(literal(torch_norm_gelu_input, {2, 3, 5}));
  (y * cosine_upstream(y.shape()).to(float32)).sum().backward();
  const std::vector<std::pair<std::string, const std::vector<double>*>> direct = {
      {"fc.bias", &torch_norm_gelu_grad_fc_bias}, {"norm.weight", &torch_norm_gelu_grad_norm_weight},
      {"norm.bias", &torch_norm_gelu_grad_norm_bias}, {"out.bias", &torch_norm_gelu_grad_out_bias}};
  for (const auto& [name, expected] : direct) {
    BOOST_TEST_CONTEXT(name) {
      const Tensor p = parameter(*model, name);
      check_near(p.grad(), literal(*expected, p.shape()), 1e-4, 1e-6);
    }
  }
  std::size_t folded = 0;
  for (const auto& [name, p] : model->named_parameters()) {
    if (name.rfind("onnx::MatMul_", 0) != 0) continue;
    ++folded;
    const bool first = p.size(0) == 5;  // fc: Wᵀ (5, 8); out: Wᵀ (8, 5)
    const Tensor expected = literal(first ? torch_norm_gelu_grad_fc_weight : torch_norm_gelu_grad_out_weight,
                                    {p.size(1), p.size(0)});
    BOOST_TEST_CONTEXT(name) { check_near(p.grad(), transpose(expected, 0, 1), 1e-4, 1e-6); }
  }
  BOOST_TEST(folded == 2);
}

BOOST_AUTO_TEST_CASE(gradients_of_an_imported_float64_model_match_central_differences) {
  nn::Sequential net(nn::Linear(3, 5, {.dtype = float64}), nn::LayerNorm({5}, {.dtype = float64}), nn::GELU(),
                     nn::Linear(5, 2, {.dtype = float64}), nn::Sigmoid());
  auto model = descent::onnx::import_model_bytes(descent::onnx::export_model_bytes(net, {randn({2, 3}, float64)}));
  const Tensor x = randn({4, 3}, float64), up = cosine_upstream({4, 2});
  const auto loss = [&] { return ((*model)(x) * up).sum(); };
  model->zero_grad();
  loss().backward();
  const double h = 1e-6;
  for (const auto& [name, p] : model->named_parameters()) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST_REQUIRE(p.grad().defined());
      for (std::size_t i = 0; i < p.numel(); ++i) {
        double plus, minus;
        {
          NoGradGuard no_grad;
          double& v = p.data<double>()[i];
          const double v0 = v;
          v = v0 + h;
          plus = loss().item<double>();
          v = v0 - h;
          minus = loss().item<double>();
          v = v0;
        }
        const double numeric = (plus - minus) / (2 * h), analytic = p.grad().contiguous().data<double>()[i];
        BOOST_TEST(std::abs(numeric - analytic) <= 1e-6 * (1 + std::abs(numeric)), "element " << i << ": " << analytic
                                                                                             << " vs " << numeric);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fine_tune_step_lowers_the_loss_of_an_imported_model) {
  auto model = descent::onnx::import_model(std::string(DESCENT_ONNX_FILES) + "/torch_mlp.onnx");
  const Tensor x = literal(torch_mlp_input, {3, 4});
  Tensor target = zeros({3}, int64);
  const auto loss = [&] { return nll_loss((*model)(x), target); };
  const double before = loss().item<double>();
  model->zero_grad();
  loss().backward();
  {
    NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.copy_(p - p.grad() * 0.1);
  }
  BOOST_TEST(loss().item<double>() < before);
}

BOOST_AUTO_TEST_CASE(unsupported_ops_are_listed_in_one_error) {
  nn::Sequential net(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3), nn::Sigmoid());
  auto m = parsed(descent::onnx::export_model_bytes(net, {randn({2, 4})}));
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.op_type() == "Relu") n.set_op_type("Mish");
    if (n.op_type() == "Sigmoid") {
      n.set_op_type("HardSwish");
      n.set_name("my_swish");
    }
  }
  const std::string message = testing::error_of([&] { descent::onnx::import_model_bytes(serialized(m), "net.onnx"); });
  BOOST_TEST(message.find("net.onnx: 2 nodes with ops descent does not import") != std::string::npos, message);
  BOOST_TEST(message.find("(Mish)") != std::string::npos, message);
  BOOST_TEST(message.find("'my_swish' (HardSwish)") != std::string::npos, message);
  // an op of another domain is unsupported whatever its name
  m.mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "(com.microsoft.Gemm)");
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_model_is_an_error) {
  const std::string bytes = file_bytes("torch_mlp.onnx");
  BOOST_TEST_REQUIRE(descent::onnx::import_model_bytes(bytes) != nullptr);
  std::size_t failures = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    try {
      descent::onnx::import_model_bytes(std::string_view(bytes).substr(0, n));
    } catch (const Error& e) {
      ++failures;
      continue;
    }
    BOOST_TEST(false, "a prefix of " << n << " bytes imported");
  }
  BOOST_TEST(failures == bytes.size());
  check_error([] { descent::onnx::import_model_bytes("\x08\x07garbage\xff\xff"); }, "not an ONNX model");
  check_error([] { descent::onnx::import_model("/nonexistent/model.onnx"); }, "/nonexistent/model.onnx");
}

BOOST_AUTO_TEST_CASE(bad_versions_missing_initializers_and_bad_inputs_are_errors) {
  nn::Sequential net(nn::Linear(4, 3), nn::Tanh());
  const auto good = parsed(descent::onnx::export_model_bytes(net, {randn({2, 4})}));
  auto m = good;
  m.mutable_opset_import(0)->set_version(11);
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "opset 11 is not supported");
  m = good;
  m.set_ir_version(42);
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "IR version 42 is not supported");
  m = good;
  m.clear_opset_import();
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "imports no opset");
  m = good;
  m.mutable_graph()->mutable_initializer()->RemoveLast();
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "a missing initializer");
  m = good;
  m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(47);
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "47 bytes of raw data for shape (3,4) (48 expected)");
  m = good;
  m.mutable_graph()->mutable_node()->SwapElements(0, 1);
  check_error([&] { descent::onnx::import_model_bytes(serialized(m)); }, "nodes out of order");

  // an initializer also listed as a graph input (older exporters): its value, not an input to give
  m = good;
  auto& listed = *m.mutable_graph()->add_input();
  listed.set_name(m.graph().initializer(0).name());
  listed.mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::FLOAT);
  BOOST_TEST(descent::onnx::import_model_bytes(serialized(m))->inputs().size() == 1);

  auto model = descent::onnx::import_model_bytes(serialized(good));
  check_error([&] { (*model)(randn({2, 5})); }, "input 'input' has shape (2,5), the graph expects (?,4)");
  check_error([&] { (*model)(randn({4})); }, "the graph expects (?,4)");
  check_error([&] { (*model)(randn({2, 4}, float64)); }, "the graph expects float32");
  check_error([&] { model->run(std::vector<std::pair<std::string, Tensor>>{{"x", randn({2, 4})}}); }, "no input named 'x'");
  check_error([&] { model->run(std::vector<Tensor>{}); }, "takes 1 inputs, got 0");
}

BOOST_AUTO_TEST_CASE(an_op_failing_at_run_time_names_its_node) {
  nn::Sequential net(nn::Linear(4, 3));
  auto m = parsed(descent::onnx::export_model_bytes(net, {randn({2, 4})}));
  auto& node = *m.mutable_graph()->mutable_node(0);  // Gemm on a weight that no longer fits
  node.set_name("the_gemm");
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == "0.weight") {
      t.clear_dims();
      t.add_dims(4);
      t.add_dims(3);
    }
  auto model = descent::onnx::import_model_bytes(serialized(m));
  check_error([&] { (*model)(randn({2, 4})); }, "node 'the_gemm' (Gemm)");
}

namespace {

/// A hand-written graph of one float input "x" (of `x_shape`, dim 0 symbolic) and output "y".
struct HandGraph {
  ::onnx::ModelProto model;
  explicit HandGraph(const Shape& x_shape) {
    model.set_ir_version(8);
    model.add_opset_import()->set_version(17);
    auto& in = *model.mutable_graph()->add_input();
    in.set_name("x");
    auto& tt = *in.mutable_type()->mutable_tensor_type();
    tt.set_elem_type(::onnx::TensorProto::FLOAT);
    for (std::size_t d = 0; d < x_shape.size(); ++d) {
      if (d == 0) tt.mutable_shape()->add_dim()->set_dim_param("batch");
      else tt.mutable_shape()->add_dim()->set_dim_value(std::int64_t(x_shape[d]));
    }
    auto& out = *model.mutable_graph()->add_output();
    out.set_name("y");
    out.mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::FLOAT);
  }
  ::onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    auto& n = *model.mutable_graph()->add_node();
    n.set_op_type(op);
    n.set_name(op + "_" + output);
    for (const auto& i : inputs) n.add_input(i);
    n.add_output(output);
    return n;
  }
  void floats(const std::string& name, const Tensor& t) {
    auto& p = *model.mutable_graph()->add_initializer();
    p.set_name(name);
    p.set_data_type(::onnx::TensorProto::FLOAT);
    for (auto d : t.shape()) p.add_dims(std::int64_t(d));
    const Tensor c = t.contiguous();
    for (std::size_t i = 0; i < c.numel(); ++i) p.add_float_data(c.data<float>()[i]);
  }
  void ints(const std::string& name, const std::vector<std::int64_t>& v) {
    auto& p = *model.mutable_graph()->add_initializer();
    p.set_name(name);
    p.set_data_type(::onnx::TensorProto::INT64);
    p.add_dims(std::int64_t(v.size()));
    for (auto x : v) p.add_int64_data(x);
  }
  Tensor run(const Tensor& x) { return (*descent::onnx::import_model_bytes(serialized(model)))(x); }
};

void attr(::onnx::NodeProto& n, const char* name, const std::vector<std::int64_t>& v) {
  auto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INTS);
  for (auto x : v) a.add_ints(x);
}

void attr(::onnx::NodeProto& n, const char* name, std::int64_t v) {
  auto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INT);
  a.set_i(v);
}

void attr(::onnx::NodeProto& n, const char* name, float v) {
  auto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::FLOAT);
  a.set_f(v);
}

}  // namespace

BOOST_AUTO_TEST_CASE(conv_transpose_and_asymmetric_conv_pads_match_descents_ops) {
  const Tensor x = randn({2, 3, 5, 4}), w = randn({3, 2, 3, 3}), b = randn({2}), cw = randn({2, 2, 2, 3});
  HandGraph g({2, 3, 5, 4});
  g.floats("w", w);
  g.floats("b", b);
  g.floats("cw", cw);
  auto& t = g.node("ConvTranspose", {"x", "w", "b"}, "t");
  attr(t, "strides", {2, 2});
  attr(t, "pads", {1, 1, 1, 1});
  attr(t, "output_padding", {1, 0});
  auto& c = g.node("Conv", {"t", "cw"}, "y");  // pads (top 0, left 1, bottom 1, right 2)
  attr(c, "pads", {0, 1, 1, 2});
  const Tensor expected = conv2d(pad(conv_transpose2d(x, w, b, 2, 1, Size2(1, 0)), {1, 2, 0, 1}), cw);
  check_near(g.run(x), expected, 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(gemm_attributes_and_a_shape_computed_reshape_match) {
  const Tensor x = randn({4, 3}), w = randn({4, 5}), c = randn({5});
  HandGraph g({4, 3});
  g.floats("w", w);
  g.floats("c", c);
  auto& gemm = g.node("Gemm", {"x", "w", "c"}, "g");  // 0.5·xᵀ·w + 2·c: (3, 5)
  attr(gemm, "transA", std::int64_t(1));
  attr(gemm, "alpha", 0.5f);
  attr(gemm, "beta", 2.0f);
  // (3, 5) -> (3, 5, 1) by a shape the graph computes: Shape, Gather, Concat with a constant, Reshape
  g.node("Shape", {"g"}, "s");
  g.ints("zero_one", {0, 1});
  g.node("Gather", {"s", "zero_one"}, "dims");
  g.ints("one", {1});
  attr(g.node("Concat", {"dims", "one"}, "target"), "axis", std::int64_t(0));
  g.node("Reshape", {"g", "target"}, "r");
  // a Slice with a negative start and an end past the axis, then ReduceSum over all axes kept
  g.ints("starts", {-3});
  g.ints("ends", {1000});
  g.ints("axes", {1});
  g.node("Slice", {"r", "starts", "ends", "axes"}, "sl");
  g.node("ReduceSum", {"sl"}, "y");
  const Tensor expected = sum(narrow(matmul(transpose(x), w) * 0.5 + c * 2.0, 1, 2, 3), all_axes, true);
  const Tensor y = g.run(x);
  BOOST_TEST(y.dim() == 3);
  check_near(reshape(y, {1}), reshape(expected, {1}), 1e-5, 1e-5);
}

BOOST_AUTO_TEST_CASE(dropout_is_the_identity_and_its_mask_cannot_be_used) {
  HandGraph g({2, 3});
  auto& d = g.node("Dropout", {"x"}, "y");
  d.add_output("mask");
  const Tensor x = randn({2, 3});
  check_near(g.run(x), x, 0);
  auto& out = *g.model.mutable_graph()->add_output();
  out.set_name("mask");
  out.mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::BOOL);
  check_error([&] { g.run(x); }, "output 1 ('mask') of node 'Dropout_y' (Dropout) is used");
}

BOOST_AUTO_TEST_CASE(squeeze_unsqueeze_flatten_default_transpose_and_global_max_pool_match) {
  const Tensor x = randn({2, 3, 1, 4}), w = randn({4, 3});
  HandGraph g({2, 3, 1, 4});
  g.floats("w", w);
  g.ints("two", {2});
  g.node("Squeeze", {"x", "two"}, "s");                       // (2, 3, 4)
  g.node("Transpose", {"s"}, "t");                            // reversed axes: (4, 3, 2)
  g.ints("ends", {0, -1});
  g.node("Unsqueeze", {"t", "ends"}, "u");                    // (1, 4, 3, 2, 1)
  g.node("GlobalMaxPool", {"u"}, "m");                        // max over (3, 2, 1): (1, 4, 1, 1, 1)
  attr(g.node("Flatten", {"m"}, "f"), "axis", std::int64_t(2));  // (4, 1)
  g.node("Min", {"f", "w"}, "y");                             // broadcast (4, 3)
  const Tensor t = permute(squeeze(x, 2), {2, 1, 0});
  const Tensor expected = minimum(reshape(max(t, {1, 2}), {4, 1}), w);
  check_near(g.run(x), expected, 0);
}

BOOST_AUTO_TEST_CASE(gelu_and_attention_patterns_import_as_descents_fused_ops) {
  const Tensor x = randn({6, 5, 8}) * 3.0;
  const Tensor s2 = full({}, std::numbers::sqrt2, float32), one = full({}, 1.0, float32), half = full({}, 0.5, float32);
  const Tensor parts = x * half * (erf(x / s2) + one);  // GELU's parts, one by one
  BOOST_TEST_REQUIRE(max(abs(parts - gelu(x))).item<float>() > 0);  // so that "fused" is visible
  auto gelu_graph = [&](bool torch_order, bool shared_quotient) {
    HandGraph g({6, 5, 8});
    g.floats("s2", s2);
    g.floats("one", one);
    g.floats("half", half);
    g.node("Div", {"x", "s2"}, "d");
    g.node("Erf", {"d"}, "e");
    g.node("Add", {"e", "one"}, "a");
    const std::string out = shared_quotient ? "g" : "y";
    if (torch_order) {  // torch.onnx's: Mul(Mul(x, a), ½)
      g.node("Mul", {"x", "a"}, "m");
      g.node("Mul", {"m", "half"}, out);
    } else {            // the exporter's: Mul(Mul(x, ½), a)
      g.node("Mul", {"half", "x"}, "h");
      g.node("Mul", {"h", "a"}, out);
    }
    if (shared_quotient) g.node("Add", {"g", "d"}, "y");  // d read twice: not fused
    return g.run(x);
  };
  check_near(gelu_graph(false, false), gelu(x), 0);
  check_near(gelu_graph(true, false), gelu(x), 0);
  check_near(gelu_graph(false, true), parts + x / s2, 0);

  // Softmax(Mul(MatMul(Q, Transpose(K)), scale) + mask)·V with a float mask: the fused op; with a
  // mask that broadcasts the scores to a larger shape, which the fused op does not take: the parts.
  const Tensor q = randn({2, 3, 4}), scale = full({}, 0.7, float32);
  auto attention_graph = [&](const Tensor& mask) {
    HandGraph g({2, 3, 4});
    g.floats("scale", scale);
    g.floats("mask", mask);
    attr(g.node("Transpose", {"x"}, "kt"), "perm", {0, 2, 1});
    g.node("MatMul", {"x", "kt"}, "s");
    g.node("Mul", {"s", "scale"}, "l");
    g.node("Add", {"l", "mask"}, "lm");
    attr(g.node("Softmax", {"lm"}, "p"), "axis", std::int64_t(-1));
    g.node("MatMul", {"p", "x"}, "y");
    return g.run(q);
  };
  const Tensor mask = randn({3, 3});
  const Tensor fused = scaled_dot_product_attention(q, q, q, mask, 0.0, false, double(scale.item<float>()));
  BOOST_TEST_REQUIRE(max(abs(fused - matmul(softmax(matmul(q, transpose(q)) * scale + mask, -1), q))).item<float>() > 0);
  check_near(attention_graph(mask), fused, 0);
  const Tensor wide = randn({5, 1, 3, 3});
  check_near(attention_graph(wide), matmul(softmax(matmul(q, transpose(q)) * scale + wide, -1), q), 0);
}
