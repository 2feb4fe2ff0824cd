// ONNX export (descent/onnx/export.hpp): models exported from the MLP, CNN and transformer-block
// layers pass ONNX's own checker with its full check (the checker, then strict shape inference with
// type checks, as onnx.checker.check_model(full_check=True)), and shape inference on the graph alone
// (the declared output shapes removed) infers the outputs' shapes. Errors: an op without a mapping,
// and no file after a failed export. (No numbers here: onnxruntime runs the exported models in a
// later test; Debian's ONNX 1.12 has no reference evaluator.)
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "../../samples/char_lstm/char_lstm.hpp"        // the character samples' models
#include "../../samples/char_transformer/gpt.hpp"
#include "descent/onnx/export.hpp"
#include "support/check.hpp"

using namespace descent;
namespace fs = std::filesystem;

namespace {

/// onnx.checker.check_model(model, full_check=True) of ONNX 1.12: the checker, then shape inference
/// with type checks and errors thrown.
void full_check(::onnx::ModelProto model) {
  ::onnx::checker::check_model(model);
  ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                       ::onnx::ShapeInferenceOptions(true, 1, true));
}

using Forward = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// A module's forward in evaluation mode (as exported), without recording.
Forward in_eval_mode(nn::Module& m) {
  return [&m](const std::vector<Tensor>& in) {
    const bool training = m.is_training();
    m.eval();
    NoGradGuard no_grad;
    std::vector<Tensor> out{m(in[0])};
    m.train(training);
    return out;
  };
}

/// The exported bytes. With $DESCENT_ONNX_TEST_OUTPUT set, also writes there <name>.onnx, `inputs`
/// (of another batch size than the export's example) as <name>.input<k>.npy and descent's outputs
/// on them as <name>.output<k>.npy: tests/onnx/evaluate_with_numpy.py runs the graphs on them.
std::string kept(const std::string& name, std::string bytes, const Forward& forward, const std::vector<Tensor>& inputs) {
  if (const char* dir = std::getenv("DESCENT_ONNX_TEST_OUTPUT")) {
    std::ofstream(fs::path(dir) / (name + ".onnx"), std::ios::binary) << bytes;
    const std::vector<Tensor> outputs = forward(inputs);
    for (std::size_t i = 0; i < inputs.size(); ++i)
      data::write_npy(fs::path(dir) / (name + ".input" + std::to_string(i) + ".npy"), inputs[i]);
    for (std::size_t i = 0; i < outputs.size(); ++i)
      data::write_npy(fs::path(dir) / (name + ".output" + std::to_string(i) + ".npy"), outputs[i]);
  }
  return bytes;
}

::onnx::ModelProto parse(const std::string& bytes) {
  ::onnx::ModelProto model;
  BOOST_REQUIRE(model.ParseFromString(bytes));
  return model;
}

/// A dimension as text: its value, or its symbolic name.
std::string dim_text(const ::onnx::TensorShapeProto_Dimension& d) {
  return d.has_dim_param() ? d.dim_param() : d.has_dim_value() ? std::to_string(d.dim_value()) : "?";
}

std::string shape_text(const ::onnx::ValueInfoProto& info) {
  std::string s = "(";
  const auto& shape = info.type().tensor_type().shape();
  for (int i = 0; i < shape.dim_size(); ++i) s += (i ? ", " : "") + dim_text(shape.dim(i));
  return s + ")";
}

/// The output shapes shape inference finds from the graph alone (the declared ones removed).
std::vector<std::string> inferred_output_shapes(::onnx::ModelProto model) {
  for (auto& out : *model.mutable_graph()->mutable_output()) out.mutable_type()->mutable_tensor_type()->clear_shape();
  ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                       ::onnx::ShapeInferenceOptions(true, 1, true));
  std::vector<std::string> shapes;
  for (const auto& out : model.graph().output()) shapes.push_back(shape_text(out));
  return shapes;
}

std::multiset<std::string> op_types(const ::onnx::ModelProto& model) {
  std::multiset<std::string> ops;
  for (const auto& n : model.graph().node()) ops.insert(n.op_type());
  return ops;
}

std::set<std::string> initializer_names(const ::onnx::ModelProto& model) {
  std::set<std::string> names;
  for (const auto& t : model.graph().initializer()) names.insert(t.name());
  return names;
}

/// A fresh path in the test's temporary directory (removed first).
fs::path temp_path(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("descent_onnx_" + std::to_string(::getpid()) + "_" + name);
  fs::remove(p);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mlp_exports_as_gemm_and_passes_the_full_check) {
  nn::Sequential model(nn::Linear(4, 8), nn::ReLU(), nn::Dropout(0.5), nn::Linear(8, 3), nn::LogSoftmax());
  const fs::path path = temp_path("mlp.onnx");
  descent::onnx::export_model(model, {randn({5, 4})}, path.string());
  BOOST_TEST(model.is_training());  // the mode is restored after the export in eval mode
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto m = parse(kept("mlp", bytes, in_eval_mode(model), {randn({7, 4})}));
  full_check(m);
  BOOST_TEST(m.opset_import(0).version() == 17);
  BOOST_TEST(m.graph().input_size() == 1);
  BOOST_TEST(m.graph().input(0).name() == "input");
  BOOST_TEST(shape_text(m.graph().input(0)) == "(batch, 4)");
  BOOST_TEST(shape_text(m.graph().output(0)) == "(batch, 3)");
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Gemm") == 2);
  BOOST_TEST(ops.count("Relu") == 1);
  BOOST_TEST(ops.count("LogSoftmax") == 1);
  BOOST_TEST(ops.count("Dropout") == 0);  // identity in eval mode: no node at all
  BOOST_TEST((initializer_names(m) == std::set<std::string>{"0.bias", "0.weight", "3.bias", "3.weight"}));
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 3)"});
  fs::remove(path);
}

BOOST_AUTO_TEST_CASE(cnn_exports_conv_batchnorm_pooling_flatten_linear) {
  nn::Sequential model(nn::Conv2d(1, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(4, 6, 3, {.stride = 2, .padding = "valid"}), nn::AvgPool2d(2, 1),
                       nn::Conv2d(6, 8, 2, {.padding = "same"}), nn::AdaptiveAvgPool2d(1), nn::Flatten(),
                       nn::Linear(8, 10));
  // running statistics that differ from the defaults, so BatchNormalization has real ones
  model(randn({4, 1, 12, 12}));
  const auto m = parse(kept("cnn", descent::onnx::export_model_bytes(model, {randn({3, 1, 12, 12})}), in_eval_mode(model),
                             {randn({5, 1, 12, 12})}));
  full_check(m);
  BOOST_TEST(shape_text(m.graph().input(0)) == "(batch, 1, 12, 12)");
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Conv") == 3);
  BOOST_TEST(ops.count("BatchNormalization") == 1);
  BOOST_TEST(ops.count("MaxPool") == 1);
  BOOST_TEST(ops.count("AveragePool") == 1);
  BOOST_TEST(ops.count("GlobalAveragePool") == 1);
  BOOST_TEST(ops.count("Reshape") == 1);
  BOOST_TEST(ops.count("Gemm") == 1);
  const auto names = initializer_names(m);
  BOOST_TEST(names.count("1.running_mean") == 1);
  BOOST_TEST(names.count("1.running_var") == 1);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 10)"});
  // Flatten keeps the batch dimension (0) instead of the example's 3
  for (const auto& n : m.graph().node())
    if (n.op_type() == "Reshape")
      for (const auto& t : m.graph().initializer())
        if (t.name() == n.input(1)) {
          BOOST_REQUIRE(t.int64_data_size() == 2);
          BOOST_TEST(t.int64_data(0) == 0);
          BOOST_TEST(t.int64_data(1) == 8);
        }
}

BOOST_AUTO_TEST_CASE(layer_norm_and_gelu_on_a_sequence) {
  nn::Sequential model(nn::Linear(6, 16), nn::LayerNorm({16}), nn::GELU(), nn::Linear(16, 4), nn::Softmax(-1));
  const auto m = parse(kept("layer_norm_gelu", descent::onnx::export_model_bytes(model, {randn({2, 5, 6})}), in_eval_mode(model),
                             {randn({3, 5, 6})}));
  full_check(m);
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("LayerNormalization") == 1);
  BOOST_TEST(ops.count("Erf") == 1);  // gelu as x/2 · (1 + erf(x/√2))
  // linear on (N, T, in): as descent computes it, one Gemm over the N·T rows between two Reshapes
  BOOST_TEST(ops.count("Gemm") == 2);
  BOOST_TEST(ops.count("MatMul") == 0);
  BOOST_TEST(ops.count("Reshape") == 4);
  BOOST_TEST(ops.count("Softmax") == 1);
  BOOST_TEST(ops.count("ReduceMean") == 0);  // layer_norm as one node, not its parts
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 5, 4)"});
}

BOOST_AUTO_TEST_CASE(functions_of_several_inputs_with_scalars_and_shape_ops) {
  const Tensor w = randn({4, 2});
  const auto f = [w](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];  // (N, 3, 4)
    const Tensor& y = in[1];  // (N, 4)
    Tensor a = exp(x * 2.0 - 1.0) / (sqrt(pow(x, 2.0) + 1.0) + 0.5);
    Tensor b = log(sigmoid(a) + 1.0) + tanh(-a) + softplus(x, 2.0) + leaky_relu(x, 0.2) + gelu(x, "tanh");
    Tensor c = concat({transpose(b, 1, 2), permute(narrow(b, 1, 0, 2), {0, 2, 1})}, 2);  // (N, 4, 5)
    Tensor d = sum(c, {2}) + mean(c, {2}) + max(c, {2}) + y;                             // (N, 4)
    Tensor e = squeeze(unsqueeze(d, 1), 1) * relu(y);
    Tensor logits = matmul(e, w);
    return std::vector<Tensor>{softmax(logits, 1), mean(flatten(c))};
  };
  const auto path = temp_path("function.onnx");
  descent::onnx::export_function(f, {randn({3, 3, 4}), randn({3, 4})}, path.string(),
                        {.input_names = {"x", "y"}, .output_names = {"probabilities", "mean"}});
  std::ifstream in(path, std::ios::binary);
  const auto m = parse(kept("function", std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), f,
                             {randn({4, 3, 4}), randn({4, 4})}));
  full_check(m);
  BOOST_TEST(m.graph().input(1).name() == "y");
  BOOST_TEST(m.graph().output(0).name() == "probabilities");
  BOOST_TEST(inferred_output_shapes(m) == (std::vector<std::string>{"(batch, 2)", "()"}));
  const auto ops = op_types(m);
  for (const char* op : {"Exp", "Log", "Sqrt", "Pow", "Sigmoid", "Tanh", "Neg", "Softplus", "LeakyRelu", "Transpose",
                         "Slice", "Concat", "ReduceSum", "ReduceMean", "ReduceMax", "MatMul", "Relu", "Softmax"})
    BOOST_TEST(ops.count(op) >= 1, op);
  fs::remove(path);
}

BOOST_AUTO_TEST_CASE(the_samples_models_export) {
  // samples/cnn_fashion_mnist's and samples/fashion_mnist's networks; samples/pinn_burgers' float64 tanh MLP
  nn::Sequential cnn(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2),
                     nn::Conv2d(32, 64, 3, {.padding = 1}), nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2),
                     nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Dropout(0.25), nn::Linear(128, 10));
  auto m = parse(kept("cnn_fashion_mnist", descent::onnx::export_model_bytes(cnn, {randn({2, 1, 28, 28})}), in_eval_mode(cnn),
                       {randn({3, 1, 28, 28})}));
  full_check(m);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 10)"});
  nn::Sequential mlp(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
  m = parse(kept("fashion_mnist", descent::onnx::export_model_bytes(mlp, {randn({2, 784})}), in_eval_mode(mlp),
                 {randn({3, 784})}));
  full_check(m);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 10)"});
  nn::Sequential pinn(nn::Linear(2, 8, {.dtype = float64}), nn::Tanh(), nn::Linear(8, 1, {.dtype = float64}));
  m = parse(kept("pinn", descent::onnx::export_model_bytes(pinn, {randn({4, 2}, float64)}), in_eval_mode(pinn),
                 {randn({6, 2}, float64)}));
  full_check(m);
  BOOST_TEST(m.graph().input(0).type().tensor_type().elem_type() == ::onnx::TensorProto::DOUBLE);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 1)"});
}

BOOST_AUTO_TEST_CASE(the_character_transformer_exports_with_causal_attention) {
  // samples/char_transformer's GPT (token + position embeddings, pre-norm blocks of causal attention,
  // GELU MLPs), small: int64 token ids (batch, 8) in, logits (batch, 8, 11) out.
  Generator gen(3);
  gpt::GPT model(gpt::Config{.vocab = 11, .context = 8, .width = 16, .heads = 2, .layers = 2}, gen);
  const Tensor ids = tensor({{1, 2, 3, 4, 5, 6, 7, 8}, {0, 10, 9, 8, 7, 6, 5, 4}}, int64);
  const Tensor other = tensor({{3, 3, 3, 1, 0, 10, 2, 2}, {5, 4, 3, 2, 1, 0, 9, 8}, {7, 7, 7, 7, 7, 7, 7, 7}}, int64);
  const auto m = parse(kept("char_transformer", descent::onnx::export_model_bytes(model, {ids}), in_eval_mode(model),
                            {other}));
  full_check(m);
  // Dim 0 stays symbolic, though not named "batch": squeezing q, k and v out of the (3, B, H, T, D)
  // view is a Reshape with -1 (inferred), which shape inference does not relate to the input's batch.
  const std::string shape = inferred_output_shapes(m).at(0);
  BOOST_TEST(shape.substr(0, 4) == "(unk", shape);
  BOOST_TEST(shape.ends_with(", 8, 11)"), shape);
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Softmax") == 2u);  // one attention per block
  BOOST_TEST(ops.count("LayerNormalization") == 5u);
  BOOST_TEST(ops.count("Gather") == 2u);
}

BOOST_AUTO_TEST_CASE(recurrent_layers_export_as_onnx_lstm_gru_and_rnn) {
  // samples/char_lstm's network: Embedding, a 2-layer batch_first LSTM, Linear.
  Generator gen(5);
  char_lstm::CharLSTM chars(9, 6, 7, gen);
  const Tensor ids = tensor({{1, 2, 3, 4, 5}, {8, 7, 6, 5, 4}}, int64);
  auto m = parse(kept("char_lstm", descent::onnx::export_model_bytes(chars, {ids}), in_eval_mode(chars),
                      {tensor({{0, 1, 2, 3, 4}, {8, 8, 8, 1, 1}, {3, 1, 4, 1, 5}}, int64)}));
  full_check(m);
  BOOST_TEST(op_types(m).count("LSTM") == 2u);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 5, 9)"});

  // Bidirectional 2-layer LSTM and GRU with initial states given, a relu RNN without biases, time-major.
  nn::LSTM lstm(4, 3, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(4, 3, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  nn::RNN rnn(4, 5, {.nonlinearity = "relu", .bias = false});
  const auto f = [&](const std::vector<Tensor>& in) {
    auto [y, hc] = lstm.forward(in[0], {in[1], in[2]});
    auto [g, gh] = gru.forward(transpose(in[0], 0, 1), in[1]);
    return std::vector<Tensor>{y, std::get<0>(hc), std::get<1>(hc), g, gh, rnn(in[0])};
  };
  // (T, B, in) sequences and (layers · directions, B, H) states: the batch is dim 1 here, so the
  // graph's batch is static (dynamic_batch names dim 0); the lengths are the traced ones.
  const std::vector<Tensor> example{randn({5, 2, 4}), randn({4, 2, 3}), randn({4, 2, 3})};
  m = parse(kept("recurrent_layers", descent::onnx::export_function_bytes(f, example, {.dynamic_batch = false}), f,
                 example));
  full_check(m);
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("LSTM") == 4u);
  BOOST_TEST(ops.count("GRU") == 4u);
  BOOST_TEST(ops.count("RNN") == 1u);
}

BOOST_AUTO_TEST_CASE(attention_with_bool_and_float_masks_exports_as_its_math) {
  // (N, H, L, E) queries against (N, H, S, E) keys and values; a bool mask (true: attend) and a float one.
  const Tensor bool_mask = tensor({{1, 0, 1, 1}, {1, 1, 0, 1}, {0, 1, 1, 1}}, boolean);
  const Tensor float_mask = tensor({{0.0, -1.5, 0.25, 0.0}, {2.0, 0.0, -0.5, 0.0}, {0.0, 0.0, 0.0, -3.0}});
  const auto f = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{scaled_dot_product_attention(in[0], in[1], in[2], bool_mask),
                               scaled_dot_product_attention(in[0], in[1], in[2], float_mask, 0.0, false, 0.3)};
  };
  const auto m = parse(kept("attention_masks",
                            descent::onnx::export_function_bytes(f, {randn({2, 2, 3, 5}), randn({2, 2, 4, 5}),
                                                                     randn({2, 2, 4, 6})}),
                            f, {randn({3, 2, 3, 5}), randn({3, 2, 4, 5}), randn({3, 2, 4, 6})}));
  full_check(m);
  BOOST_TEST(inferred_output_shapes(m) == (std::vector<std::string>{"(batch, 2, 3, 6)", "(batch, 2, 3, 6)"}));
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Where") == 1u);
  BOOST_TEST(ops.count("Softmax") == 2u);
  // Dropout inside the attention has no ONNX form: an error naming the op.
  const auto dropped = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{scaled_dot_product_attention(in[0], in[0], in[0], Tensor(), 0.5)};
  };
  testing::check_error([&] { descent::onnx::export_function_bytes(dropped, {randn({2, 3, 4})}); },
              "scaled_dot_product_attention with dropout_p > 0 is not exported");
}

namespace {
// A custom op as samples/custom_layer writes one: forward by differentiable ops, its own backward.
Tensor swish(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard forward_only;
    y = x * sigmoid(x);
  }
  return autograd::record("swish", y, {x}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_custom_op_computed_by_traced_ops_exports_as_them) {
  const auto f = [](const std::vector<Tensor>& in) { return std::vector<Tensor>{swish(in[0]) + 1.0}; };
  const auto m = parse(kept("swish", descent::onnx::export_function_bytes(f, {randn({2, 3})}), f, {randn({4, 3})}));
  full_check(m);
  const auto ops = op_types(m);
  BOOST_TEST(ops.count("Sigmoid") == 1);
  BOOST_TEST(ops.count("Mul") == 1);
  BOOST_TEST(ops.count("Add") == 1);
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 3)"});
}

BOOST_AUTO_TEST_CASE(one_d_convolution_pooling_group_norm_embedding_and_more_ops) {
  const Tensor w = randn({4, 2, 3}), bias = randn({4}), gw = randn({4}), gb = randn({4}), table = randn({10, 4});
  const auto f = [=](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];                                     // (N, 2, 13)
    const Tensor& ids = in[1];                                   // (N, 3) int64
    Tensor y = conv1d(x, w, bias, 2, 1);                         // (N, 4, 7)
    y = max_pool1d(y, 2, 2, 0, 1, /*ceil_mode=*/true);            // (N, 4, 4): one window more than floor
    y = avg_pool1d(y, 3, 1, 1, false, /*count_include_pad=*/false);  // (N, 4, 4)
    y = group_norm(y, 2, gw, gb);                                // its parts: Reshape, ReduceMean, ...
    Tensor z = maximum(clamp(y, -1, 1), abs(y) * 0.5) - minimum(clamp_min(y, 0), clamp_max(y, 0.5));
    Tensor pooled = logsumexp(z, {2}) + min(z, {2});             // (N, 4)
    Tensor looked_up = mean(embedding(ids, table), {1});         // (N, 4): Gather
    Tensor s = stack({pooled, looked_up}, 1);                    // (N, 2, 4)
    Tensor e = broadcast_to(unsqueeze(sum(s, {1}), 1), {x.size(0), 3, 4});   // (N, 3, 4): Expand
    Tensor image = reshape(e, {-1, 3, 2, 2});                    // (N, 3, 2, 2)
    Tensor a = adaptive_avg_pool2d(image, {1, 2}) ;              // AveragePool (2, 1)
    Tensor m = flatten(adaptive_max_pool2d(a, 1), 1);             // GlobalMaxPool: (N, 3)
    const auto parts = chunk(m, 3, 1);                           // Slice x3
    return std::vector<Tensor>{parts[0] + parts[1] * parts[2]};
  };
  Tensor ids = full({2, 3}, 3.0, int64), ids_eval = full({5, 3}, 7.0, int64);
  ids.data<std::int64_t>()[1] = 9;
  ids_eval.data<std::int64_t>()[4] = 0;
  const auto m = parse(kept("more_ops", descent::onnx::export_function_bytes(f, {randn({2, 2, 13}), ids}), f,
                            {randn({5, 2, 13}), ids_eval}));
  full_check(m);
  BOOST_TEST(m.graph().input(1).type().tensor_type().elem_type() == ::onnx::TensorProto::INT64);
  const auto ops = op_types(m);
  for (const char* op : {"Conv", "MaxPool", "AveragePool", "Clip", "Abs", "Max", "Min", "ReduceLogSumExp",
                         "ReduceMin", "Gather", "Unsqueeze", "Expand", "GlobalMaxPool", "Slice"})
    BOOST_TEST(ops.count(op) >= 1, op);
  BOOST_TEST(ops.count("AveragePool") == 2);  // avg_pool1d and the adaptive one
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(batch, 1)"});
}

BOOST_AUTO_TEST_CASE(a_batch_folded_into_rows_and_back_is_inferred) {
  const auto f = [](const std::vector<Tensor>& in) {
    const Tensor rows = reshape(in[0], {-1, 4});  // (N·3, 4)
    return std::vector<Tensor>{reshape(relu(rows), {-1, 3, 4}) + in[0]};
  };
  const auto m = parse(kept("folded", descent::onnx::export_function_bytes(f, {randn({2, 3, 4})}), f, {randn({5, 3, 4})}));
  full_check(m);
  std::vector<std::vector<std::int64_t>> targets;
  for (const auto& n : m.graph().node())
    if (n.op_type() == "Reshape")
      for (const auto& t : m.graph().initializer())
        if (t.name() == n.input(1)) targets.emplace_back(t.int64_data().begin(), t.int64_data().end());
  BOOST_TEST((targets == std::vector<std::vector<std::int64_t>>{{-1, 4}, {-1, 3, 4}}));
  BOOST_TEST(shape_text(m.graph().output(0)) == "(batch, 3, 4)");
}

BOOST_AUTO_TEST_CASE(static_batch_keeps_the_traced_sizes) {
  nn::Sequential model(nn::Conv2d(2, 3, 3), nn::Flatten(), nn::Linear(12, 2));
  const auto m = parse(descent::onnx::export_model_bytes(model, {randn({2, 2, 4, 4})}, {.dynamic_batch = false}));
  full_check(m);
  BOOST_TEST(shape_text(m.graph().input(0)) == "(2, 2, 4, 4)");
  BOOST_TEST(inferred_output_shapes(m) == std::vector<std::string>{"(2, 2)"});
}

BOOST_AUTO_TEST_CASE(an_op_without_mapping_is_an_error_naming_it_and_no_file_is_written) {
  const auto path = temp_path("unsupported.onnx");
  const auto f = [](const std::vector<Tensor>& in) { return std::vector<Tensor>{cumsum(in[0] * 2.0, 1)}; };
  BOOST_CHECK_EXCEPTION(descent::onnx::export_function(f, {randn({2, 3})}, path.string()), Error, [](const Error& e) {
    return std::string(e.what()) == "onnx::export: no ONNX mapping for op 'cumsum' (inputs (2,3); output (2,3))";
  });
  BOOST_TEST(!fs::exists(path));
  BOOST_TEST(autograd::active_tracer() == nullptr);  // the trace ended with the error
  // an existing file stays as it was, and no temporary file is left beside it
  { std::ofstream(path) << "old"; }
  BOOST_CHECK_THROW(descent::onnx::export_function(f, {randn({2, 3})}, path.string()), Error);
  std::ifstream in(path);
  std::string text;
  in >> text;
  BOOST_TEST(text == "old");
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(path.parent_path()))
    entries += entry.path().filename().string().find(path.filename().string()) != std::string::npos;
  BOOST_TEST(entries == 1);
  fs::remove(path);
}

BOOST_AUTO_TEST_CASE(a_view_of_an_input_made_behind_the_tracers_back_is_an_error) {
  const auto f = [](const std::vector<Tensor>& in) {
    const TensorImpl& x = in[0].impl();  // a view no op reported: it would be a wrong constant
    const Tensor view(std::make_shared<TensorImpl>(x.storage(), x.data, x.shape, x.strides, x.dtype));
    return std::vector<Tensor>{view * 2.0};
  };
  BOOST_CHECK_EXCEPTION(descent::onnx::export_function_bytes(f, {randn({2, 3})}), Error, [](const Error& e) {
    return std::string(e.what()).find("shares an input's values but no traced op made it") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(bad_options_are_errors) {
  nn::Sequential model(nn::Linear(2, 2));
  BOOST_CHECK_THROW(descent::onnx::export_model_bytes(model, {randn({2, 2})}, {.opset = 12}), Error);
  BOOST_CHECK_THROW(descent::onnx::export_model_bytes(model, {randn({2, 2})}, {.opset = 18}), Error);
  BOOST_CHECK_THROW(descent::onnx::export_model_bytes(model, {randn({2, 2}), randn({2, 2})}), Error);
  nn::Sequential ln(nn::LayerNorm({2}));
  BOOST_CHECK_THROW(descent::onnx::export_model_bytes(ln, {randn({2, 2})}, {.opset = 16}), Error);
  BOOST_TEST(descent::onnx::export_model_bytes(model, {randn({2, 2})}, {.opset = 13}).size() > 0);
}

BOOST_AUTO_TEST_CASE(ops_report_to_the_active_tracer_only) {
  BOOST_TEST(autograd::active_tracer() == nullptr);
  struct Names : autograd::Tracer {
    std::vector<std::string> ops;
    int attribute_lists = 0;
    void op(const char* name, const Tensor&, std::span<const Tensor>) override { ops.push_back(name); }
    void attributes(const Tensor&, autograd::TraceAttributes) override { ++attribute_lists; }
  } names;
  {
    autograd::TraceGuard guard(&names);
    softmax(relu(randn({2, 3})), 1);
  }
  softmax(randn({2, 3}), 1);
  // (detach: the ops' saved copies, which a tracer follows as the identity)
  std::erase(names.ops, std::string("detach"));
  BOOST_TEST(names.ops == (std::vector<std::string>{"relu", "softmax"}));
  BOOST_TEST(names.attribute_lists == 1);
  BOOST_TEST(autograd::active_tracer() == nullptr);
}
