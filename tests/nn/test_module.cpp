// Modules: registration, dotted names, train/eval, dtype conversion, summary, layers, initialisers.
#include "support/check.hpp"

#include <cmath>

#include "descent/nn.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {

// A user's layer, written exactly like the built-in ones.
struct Affine : nn::Module {
  Tensor scale, shift;
  explicit Affine(std::size_t n) {
    scale = register_parameter("scale", ones({n}));
    shift = register_parameter("shift", zeros({n}));
  }
  Tensor forward(const Tensor& x) override { return x * scale + shift; }
  std::string describe() const override { return "Affine"; }
};

// A user's block with sub-modules.
struct Block : nn::Module {
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<Affine> norm;
  Block() {
    fc = register_module("fc", std::make_shared<nn::Linear>(3, 2));
    norm = register_module("norm", std::make_shared<Affine>(2));
  }
  Tensor forward(const Tensor& x) override { return (*norm)((*fc)(x)); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(modules)

BOOST_AUTO_TEST_CASE(linear_has_pytorch_shapes_and_initialisation) {
  Generator gen(0);
  nn::Linear fc(16, 4, {}, gen);
  BOOST_TEST(to_string(fc.weight.shape()) == "(4,16)");
  BOOST_TEST(to_string(fc.bias.shape()) == "(4,)");
  BOOST_TEST(fc.weight.requires_grad());
  const auto w = fc.weight.to_xarray<float>();
  BOOST_TEST(xt::amax(xt::abs(w))() <= 0.25f);  // 1/sqrt(16)
  BOOST_TEST(xt::amax(xt::abs(w))() > 0.2f);
  nn::Linear no_bias(16, 4, {.bias = false});
  BOOST_TEST(!no_bias.bias.defined());
  BOOST_TEST(no_bias.parameters().size() == 1u);
  BOOST_TEST(fc.describe() == "Linear(in_features=16, out_features=4)");
}

BOOST_AUTO_TEST_CASE(linear_computes_x_wt_plus_b_and_gradchecks) {
  nn::Linear fc(3, 2, {.dtype = float64});
  {
    NoGradGuard no_grad;  // parameters are written in place only with recording off, as in PyTorch
    fc.weight.copy_(tensor({{1, 2, 3}, {4, 5, 6}}, float64));
    fc.bias.copy_(tensor({0.5, -0.5}, float64));
  }
  check_values(fc(tensor({{1, 0, -1}, {2, 1, 0}}, float64)), {{-1.5, -2.5}, {4.5, 12.5}});
  check_values(fc(tensor({1, 0, -1}, float64)), {-1.5, -2.5});  // unbatched
  Tensor x = tensor({{1, 2, 3}, {-1, 0, 4}}, float64);
  sum(fc(x)).backward();
  check_values(fc.bias.grad(), {2, 2});                  // d/db = number of rows
  check_values(fc.weight.grad(), {{0, 2, 7}, {0, 2, 7}});  // d/dW[i][j] = column sums of x
  check_error([&] { fc(zeros({2, 4}, float64)); }, "Linear: expected inputs with 3 features in the last axis, got shape (2,4)");
}

BOOST_AUTO_TEST_CASE(linear_features_must_be_positive) {
  check_error([] { nn::Linear fc(0, 2); }, "Linear: in_features and out_features must be positive, got in_features=0 out_features=2");
  check_error([] { nn::Linear fc(3, 0); }, "got in_features=3 out_features=0");
  const int features = -1;  // converted to a huge size_t: reported as the negative number it was
  check_error([&] { nn::Linear fc(static_cast<std::size_t>(features), 2); }, "got in_features=-1 out_features=2");
}

BOOST_AUTO_TEST_CASE(sequential_names_children_and_parameters) {
  nn::Sequential net(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2), std::make_shared<nn::Tanh>());
  BOOST_TEST(net.size() == 4u);
  std::vector<std::string> names;
  for (auto& [name, p] : net.named_parameters()) names.push_back(name);
  BOOST_TEST((names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  BOOST_TEST(net.num_parameters() == 4u * 8 + 8 + 8 * 2 + 2);
  BOOST_TEST(to_string(net(zeros({5, 4})).shape()) == "(5,2)");
  BOOST_TEST(net[1].describe() == "ReLU");
  check_error([&] { net[4]; }, "Sequential: index 4 out of range for 4 modules");
}

BOOST_AUTO_TEST_CASE(user_modules_nest_like_builtin_ones) {
  Block block;
  std::vector<std::string> names;
  for (auto& [name, p] : block.named_parameters()) names.push_back(name);
  BOOST_TEST((names == std::vector<std::string>{"fc.weight", "fc.bias", "norm.scale", "norm.shift"}));
  nn::Sequential net(std::make_shared<Block>(), nn::ReLU());
  BOOST_TEST(net.named_parameters()[2].first == "0.norm.scale");
  Tensor loss = sum(net(ones({2, 3})));
  loss.backward();
  for (auto& p : net.parameters()) BOOST_TEST(p.grad().defined());
  net.zero_grad();
  for (auto& p : net.parameters()) BOOST_TEST(!p.grad().defined());
}

BOOST_AUTO_TEST_CASE(registration_errors) {
  struct Twice : nn::Module {
    Twice() {
      register_parameter("w", zeros({1}));
      register_parameter("w", zeros({1}));
    }
    Tensor forward(const Tensor& x) override { return x; }
  };
  check_error([] { Twice t; }, "register_parameter: a parameter named \"w\" exists already");
}

BOOST_AUTO_TEST_CASE(train_eval_and_dropout) {
  nn::Sequential net(nn::Linear(4, 4), nn::Dropout(0.5));
  BOOST_TEST(net.is_training());
  BOOST_TEST(net[1].is_training());
  net.eval();
  BOOST_TEST(!net[1].is_training());
  Tensor x = ones({1000});
  nn::Dropout drop(0.25);
  drop.eval();
  BOOST_TEST(drop(x).is_same(x));
  drop.train();
  const auto kept = drop(x).to_xarray<float>();
  std::size_t zeros_seen = 0;
  for (float v : kept) {
    BOOST_TEST((v == 0.0f || std::abs(v - 1 / 0.75f) < 1e-6));
    zeros_seen += v == 0.0f;
  }
  BOOST_TEST(zeros_seen > 200u);
  BOOST_TEST(zeros_seen < 300u);
  Tensor w = ones({10}).requires_grad_();
  Tensor y = drop(w);
  sum(y).backward();
  check_values(w.grad(), xt::xarray<double>(y.to(float64).to_xarray<double>()));  // gradient = the mask
  check_error([] { nn::Dropout bad(1.0); }, "Dropout: p must be in [0, 1), got 1");
  check_error([] { nn::Dropout bad(-0.1); }, "Dropout: p must be in [0, 1), got -0.1");
  check_error([] { nn::Dropout bad(std::nan("")); }, "Dropout: p must be in [0, 1), got nan");
}

BOOST_AUTO_TEST_CASE(to_dtype_converts_in_place_for_every_holder) {
  nn::Linear fc(2, 2);
  Tensor held = fc.weight;  // e.g. an optimizer's handle
  fc.to(float64);
  BOOST_TEST(to_string(held.dtype()) == "float64");
  BOOST_TEST(held.requires_grad());
  BOOST_TEST(to_string(fc(zeros({1, 2}, float64)).dtype()) == "float64");
}

BOOST_AUTO_TEST_CASE(summary_lists_layers_shapes_and_counts) {
  nn::Sequential net(nn::Flatten(), nn::Linear(12, 5), nn::ReLU(), nn::Linear(5, 3), nn::LogSoftmax(1));
  const std::string s = net.summary({7, 3, 4});
  BOOST_TEST_MESSAGE(s);
  BOOST_TEST(s.find("Linear(in_features=12, out_features=5)") != std::string::npos);
  BOOST_TEST(s.find("(7,12)") != std::string::npos);  // Flatten's output
  BOOST_TEST(s.find("(7,3)") != std::string::npos);
  BOOST_TEST(s.find("65") != std::string::npos);  // 12*5 + 5
  BOOST_TEST(s.find("total parameters: 83") != std::string::npos);
  BOOST_TEST(net.summary().find("?") != std::string::npos);  // no input shape: shapes unknown
}

BOOST_AUTO_TEST_CASE(summary_of_an_example_input_runs_an_embedding_first_model) {
  nn::Sequential net(nn::Embedding(10, 4), nn::Linear(4, 2));
  const std::string s = net.summary(zeros({3, 5}, int64));  // token ids: zeros of a float shape would not do
  BOOST_TEST_MESSAGE(s);
  BOOST_TEST(s.find("(3,5,4)") != std::string::npos);
  BOOST_TEST(s.find("(3,5,2)") != std::string::npos);
  BOOST_TEST(s.find("total parameters: 50") != std::string::npos);
  BOOST_TEST(net.is_training());  // the pass ran in eval mode and restored the mode
}

BOOST_AUTO_TEST_CASE(activation_and_shape_modules) {
  Tensor x = tensor({{-1, 2}, {3, -4}});
  check_values(nn::ReLU()(x), {{0, 2}, {3, 0}});
  check_values(nn::LeakyReLU(0.1)(x), {{-0.1, 2}, {3, -0.4}});
  check_values(nn::Identity()(x), {{-1, 2}, {3, -4}});
  BOOST_TEST(to_string(nn::Flatten()(zeros({2, 3, 4})).shape()) == "(2,12)");
  BOOST_TEST(to_string(nn::Flatten(0)(zeros({2, 3, 4})).shape()) == "(24,)");
  check_values(sum(nn::Softmax(1)(x), {1}), {1, 1});
  check_values(nn::Sigmoid()(tensor({0.0})), {0.5});
  check_values(nn::Tanh()(tensor({0.0})), {0});
  check_values(nn::GELU()(tensor({0.0})), {0});
  check_values(nn::LogSoftmax(0)(tensor({0.0, 0.0})), {std::log(0.5), std::log(0.5)});
}

BOOST_AUTO_TEST_CASE(initialisers_follow_their_formulas_and_seeds) {
  Tensor w = empty({200, 100});
  Generator gen(3);
  nn::init::xavier_uniform_(w, 1, gen);
  const double bound = std::sqrt(6.0 / 300);
  BOOST_TEST(xt::amax(xt::abs(w.to_xarray<float>()))() <= bound);
  nn::init::kaiming_uniform_(w, 0, gen);
  BOOST_TEST(xt::amax(xt::abs(w.to_xarray<float>()))() <= std::sqrt(6.0 / 100));
  nn::init::normal_(w, 2, 0.5, gen);
  BOOST_TEST(std::abs(xt::mean(w.to_xarray<float>())() - 2) < 0.02);
  BOOST_TEST(std::abs(xt::stddev(w.to_xarray<float>())() - 0.5) < 0.02);
  nn::init::kaiming_normal_(w, 0, gen);
  BOOST_TEST(std::abs(xt::stddev(w.to_xarray<float>())() - std::sqrt(2.0 / 100)) < 0.01);
  nn::init::zeros_(w);
  BOOST_TEST(xt::amax(xt::abs(w.to_xarray<float>()))() == 0.0f);
  nn::init::ones_(w);
  BOOST_TEST(w.at({3, 7}) == 1.0);
  Generator a(9), b(9);
  Tensor u = empty({5}), v = empty({5});
  nn::init::uniform_(u, -1, 1, a);
  nn::init::uniform_(v, -1, 1, b);
  BOOST_TEST(u.to_xarray<float>() == v.to_xarray<float>());
  check_error([&] { Tensor t = empty({3}); nn::init::xavier_uniform_(t); }, "init: fan in and fan out need a tensor of at least 2 dimensions");
}

BOOST_AUTO_TEST_SUITE_END()
