// The optimizer interface: a user's own optimizer, parameter groups, learning rates, state,
// in-place updates seen through a module's handles, and every validation error.
#include "support/check.hpp"

#include <cmath>
#include <limits>

#include "descent/nn/module.hpp"
#include "descent/optim.hpp"

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

namespace {

// A user's optimizer, written like the built-in ones: signum (sign-SGD with momentum),
//   buf = beta * buf + (1 - beta) * g;  p -= lr * sign(buf)
struct SignumOptions {
  double lr = 0.01;
  double beta = 0.9;
};
struct SignumState {
  Tensor momentum;
};

class Signum : public optim::OptimizerImpl<SignumOptions, SignumState> {
 public:
  explicit Signum(std::vector<Tensor> params, const Options& options = {}) : OptimizerImpl("Signum", options) {
    add_param_group(std::move(params));
  }

 protected:
  void validate(const Options& o) const override {
    DESCENT_CHECK(o.beta >= 0 && o.beta < 1, "Signum", "invalid beta ", o.beta);
  }
  void update(Tensor& param, const Tensor& grad, State& state, const Options& o) override {
    optim::state_buffer(state.momentum, param);
    if (param.dtype() == float64)
      run<double>(param, grad, state, o);
    else
      run<float>(param, grad, state, o);
  }

 private:
  template <class T> static void run(Tensor& param, const Tensor& grad, State& state, const Options& o) {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* buf = state.momentum.data<T>();
    for (std::size_t i = 0; i < param.numel(); ++i) {
      buf[i] = static_cast<T>(o.beta) * buf[i] + static_cast<T>(1 - o.beta) * g[i];
      p[i] -= static_cast<T>(o.lr) * static_cast<T>((buf[i] > 0) - (buf[i] < 0));
    }
  }
};

// Gives `p` the gradient `g` (backward of sum(p * g)).
void set_gradient(const Tensor& p, const Tensor& g) { sum(p * g).backward(); }

// A user's layer, to get parameters through Module::parameters().
struct Affine : nn::Module {
  Tensor scale, shift;
  Affine() {
    scale = register_parameter("scale", tensor({1.0, 2.0}, float64));
    shift = register_parameter("shift", tensor({0.5}, float64));
  }
  Tensor forward(const Tensor& x) override { return x * scale + shift; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(custom_optimizer)

BOOST_AUTO_TEST_CASE(a_small_class_gets_groups_state_and_the_step_loop) {
  // by hand: step 1 buf = 0.1 * g1 = (0.05, -0.01) -> p = (0.9, -1.9);
  //          step 2 buf = 0.9 * buf + 0.1 * (-1, 0.1) = (-0.055, 0.001) -> p = (1.0, -2.0)
  Tensor p = tensor({1.0, -2.0}, float64).requires_grad_();
  Tensor q = tensor({3.0}, float32).requires_grad_();
  Signum opt({p}, {.lr = 0.1});
  opt.add_param_group({q}, {.lr = 0.5, .beta = 0.0});
  BOOST_TEST(!opt.state(0, 0).momentum.defined());
  set_gradient(p, tensor({0.5, -0.1}, float64));
  set_gradient(q, tensor({-2.0}, float32));
  opt.step();
  check_values(p, {0.9, -1.9}, 1e-12, 1e-14);
  check_values(q, {3.5});
  check_values(opt.state(0, 0).momentum, {0.05, -0.01}, 1e-12, 1e-14);
  opt.zero_grad();
  set_gradient(p, tensor({-1.0, 0.1}, float64));
  opt.step();  // q has no gradient now: left alone
  check_values(p, {1.0, -2.0}, 1e-12, 1e-14);
  check_values(q, {3.5});
}

BOOST_AUTO_TEST_CASE(its_options_are_validated_like_the_built_in_ones) {
  Tensor p = tensor({1.0}, float64).requires_grad_();
  check_error([&] { Signum opt({p}, {.lr = -1}); }, "Signum: invalid learning rate -1 (must be a finite number >= 0)");
  check_error([&] { Signum opt({p}, {.beta = 1}); }, "Signum: invalid beta 1");
  check_error([&] { Signum opt({}); }, "Signum: got an empty parameter list");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(optimizer_interface)

BOOST_AUTO_TEST_CASE(zero_grad_forgets_gradients_and_step_skips_parameters_without_one) {
  Tensor p = tensor({1.0, 2.0}, float64).requires_grad_();
  Tensor q = tensor({5.0}, float64).requires_grad_();
  optim::SGD opt({p, q}, {.lr = 0.5, .momentum = 0.9});
  set_gradient(p, tensor({1.0, -1.0}, float64));
  BOOST_TEST(p.grad().defined());
  opt.step();
  check_values(p, {0.5, 2.5});
  check_values(q, {5.0});
  BOOST_TEST(!opt.state(0, 1).momentum_buffer.defined());  // never stepped: no buffer
  opt.zero_grad();
  BOOST_TEST(!p.grad().defined());
  opt.step();  // no gradients at all: nothing moves, even with momentum (PyTorch skips them too)
  check_values(p, {0.5, 2.5});
}

BOOST_AUTO_TEST_CASE(parameters_lists_every_group_in_order) {
  Tensor a = zeros({2}, float64).requires_grad_(), b = zeros({3}).requires_grad_(), c = zeros({1}).requires_grad_();
  optim::Adam opt({a, b});
  opt.add_param_group({c}, {.lr = 0.5});
  const auto all = opt.parameters();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].is_same(a));
  BOOST_TEST(all[1].is_same(b));
  BOOST_TEST(all[2].is_same(c));
  BOOST_TEST(opt.parameters(1).size() == 1u);
  BOOST_TEST(opt.parameters(1)[0].is_same(c));
  BOOST_TEST(opt.name() == "Adam");
}

BOOST_AUTO_TEST_CASE(groups_take_complete_options_or_the_constructors) {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_(), c = zeros({1}).requires_grad_();
  optim::SGD opt({a}, {.lr = 0.1, .momentum = 0.9});
  opt.add_param_group({b});                  // the constructor's options
  opt.add_param_group({c}, {.lr = 0.01});    // a complete set: momentum is the struct's default 0
  BOOST_TEST(opt.options(1).momentum == 0.9);
  BOOST_TEST(opt.options(2).momentum == 0.0);
  BOOST_TEST(opt.defaults().lr == 0.1);
  opt.options(2).momentum = 0.5;  // options can change between steps
  BOOST_TEST(opt.options(2).momentum == 0.5);
}

BOOST_AUTO_TEST_CASE(learning_rates_are_read_and_set_per_group) {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  optim::RMSprop opt({a});
  opt.add_param_group({b}, {.lr = 0.5});
  optim::Optimizer& base = opt;  // what schedulers see
  BOOST_TEST(base.num_groups() == 2u);
  BOOST_TEST(base.lr(0) == 1e-2);
  base.set_lr(1, 0.25);
  BOOST_TEST(opt.options(1).lr == 0.25);
  check_error([&] { base.set_lr(0, -0.5); }, "RMSprop: invalid learning rate -0.5 (must be a finite number >= 0)");
  check_error([&] { base.set_lr(0, std::numeric_limits<double>::quiet_NaN()); }, "RMSprop: invalid learning rate nan");
  check_error([&] { base.set_lr(0, std::numeric_limits<double>::infinity()); }, "RMSprop: invalid learning rate inf");
  BOOST_TEST(opt.options(0).lr == 1e-2);  // a rejected lr is not set
  check_error([&] { base.lr(2); }, "RMSprop: parameter group 2 does not exist (2 groups)");
  check_error([&] { base.set_lr(5, 0.1); }, "RMSprop: parameter group 5 does not exist");
}

BOOST_AUTO_TEST_CASE(updates_are_in_place_and_seen_through_module_handles) {
  Affine model;
  optim::SGD opt(model.parameters(), {.lr = 0.5});
  const double* before = model.scale.data<double>();
  // loss = sum(scale * (1, 1) + shift): grad scale = (1, 1), grad shift = 2 (broadcast, summed back)
  sum(model(tensor({1.0, 1.0}, float64))).backward();
  opt.step();
  BOOST_TEST(model.scale.data<double>() == before);
  check_values(model.scale, {0.5, 1.5});
  check_values(model.shift, {-0.5});
  model.zero_grad();
  BOOST_TEST(!model.scale.grad().defined());
}

BOOST_AUTO_TEST_CASE(state_is_allocated_once_and_follows_a_dtype_change) {
  Affine model;
  optim::Adam opt(model.parameters(), {.lr = 0.1});
  BOOST_TEST(!opt.state(0, 0).exp_avg.defined());
  BOOST_TEST(!opt.state(0, 0).max_exp_avg_sq.defined());  // amsgrad off: never allocated
  sum(model(tensor({1.0, 1.0}, float64))).backward();
  opt.step();
  const auto& state = opt.state(0, 0);
  BOOST_TEST(state.step == 1);
  const double* buffer = state.exp_avg.data<double>();
  opt.step();
  BOOST_TEST(state.step == 2);
  BOOST_TEST(state.exp_avg.data<double>() == buffer);
  BOOST_TEST(!state.max_exp_avg_sq.defined());
  // Module::to converts the parameters the optimizer holds; the state follows on the next step
  model.to(float32);
  model.zero_grad();
  sum(model(tensor({1.0, 1.0}, float32))).backward();
  opt.step();
  BOOST_TEST((state.exp_avg.dtype() == float32));
  BOOST_TEST((model.scale.dtype() == float32));
  BOOST_TEST(state.step == 3);
}

BOOST_AUTO_TEST_CASE(defaults_are_pytorchs) {
  BOOST_TEST(std::isnan(optim::SGDOptions{}.lr));  // required
  const optim::SGDOptions sgd;
  BOOST_TEST((sgd.momentum == 0 && sgd.dampening == 0 && sgd.weight_decay == 0 && !sgd.nesterov));
  const optim::RMSpropOptions rms;
  BOOST_TEST((rms.lr == 1e-2 && rms.alpha == 0.99 && rms.eps == 1e-8 && rms.weight_decay == 0 &&
              rms.momentum == 0 && !rms.centered));
  const optim::AdagradOptions ada;
  BOOST_TEST((ada.lr == 1e-2 && ada.lr_decay == 0 && ada.weight_decay == 0 && ada.initial_accumulator_value == 0 &&
              ada.eps == 1e-10));
  const optim::AdamWOptions adamw;
  BOOST_TEST((adamw.lr == 1e-3 && adamw.betas.first == 0.9 && adamw.betas.second == 0.999 && adamw.eps == 1e-8 &&
              adamw.weight_decay == 1e-2 && !adamw.amsgrad));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(validation)

const double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

BOOST_AUTO_TEST_CASE(sgd_options) {
  Tensor p = zeros({2}).requires_grad_();
  check_error([&] { optim::SGD opt({p}, {}); }, "SGD: lr is required");
  check_error([&] { optim::SGD opt({p}, {.momentum = 0.9}); }, "SGD(params, {.lr = 0.01})");
  check_error([&] { optim::SGD opt({p}, {.lr = -0.1}); }, "SGD: invalid learning rate -0.1 (must be a finite number >= 0)");
  check_error([&] { optim::SGD opt({p}, {.lr = inf}); }, "SGD: invalid learning rate inf (must be a finite number >= 0)");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .momentum = -0.5}); },
              "SGD: invalid momentum -0.5 (must be a finite number >= 0)");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .momentum = inf}); }, "SGD: invalid momentum inf");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = -0.1}); },
              "SGD: invalid dampening -0.1 (must be in [0, 1])");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = nan}); }, "SGD: invalid dampening nan");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .weight_decay = -1}); }, "SGD: invalid weight_decay -1");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .weight_decay = nan}); }, "SGD: invalid weight_decay nan");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .nesterov = true}); },
              "SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum 0 and dampening 0");
  check_error([&] { optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
              "got momentum 0.9 and dampening 0.1");
}

BOOST_AUTO_TEST_CASE(adam_and_adamw_options) {
  Tensor p = zeros({2}).requires_grad_();
  check_error([&] { optim::Adam opt({p}, {.lr = -1e-3}); }, "Adam: invalid learning rate -0.001");
  check_error([&] { optim::Adam opt({p}, {.lr = nan}); }, "Adam: invalid learning rate nan");
  check_error([&] { optim::Adam opt({p}, {.eps = -1}); }, "Adam: invalid eps -1 (must be a finite number > 0)");
  check_error([&] { optim::Adam opt({p}, {.eps = 0}); }, "Adam: invalid eps 0 (must be a finite number > 0)");
  check_error([&] { optim::Adam opt({p}, {.eps = inf}); }, "Adam: invalid eps inf");
  check_error([&] { optim::Adam opt({p}, {.betas = {nan, 0.999}}); }, "Adam: invalid beta1 nan (must be in [0, 1))");
  check_error([&] { optim::Adam opt({p}, {.betas = {1.0, 0.999}}); }, "Adam: invalid beta1 1 (must be in [0, 1))");
  check_error([&] { optim::Adam opt({p}, {.betas = {-0.1, 0.999}}); }, "Adam: invalid beta1 -0.1");
  check_error([&] { optim::Adam opt({p}, {.betas = {0.9, 1.5}}); }, "Adam: invalid beta2 1.5 (must be in [0, 1))");
  check_error([&] { optim::Adam opt({p}, {.weight_decay = -0.1}); }, "Adam: invalid weight_decay -0.1");
  check_error([&] { optim::AdamW opt({p}, {.lr = -1}); }, "AdamW: invalid learning rate -1");
  check_error([&] { optim::AdamW opt({p}, {.betas = {0.9, 1.0}}); }, "AdamW: invalid beta2 1");
  check_error([&] { optim::AdamW opt({p}, {.eps = -1e-8}); }, "AdamW: invalid eps -1e-08");
  check_error([&] { optim::AdamW opt({p}, {.weight_decay = -0.01}); }, "AdamW: invalid weight_decay -0.01");
}

BOOST_AUTO_TEST_CASE(rmsprop_options) {
  Tensor p = zeros({2}).requires_grad_();
  check_error([&] { optim::RMSprop opt({p}, {.lr = -1}); }, "RMSprop: invalid learning rate -1");
  check_error([&] { optim::RMSprop opt({p}, {.lr = inf}); }, "RMSprop: invalid learning rate inf");
  check_error([&] { optim::RMSprop opt({p}, {.alpha = -0.5}); }, "RMSprop: invalid alpha -0.5 (must be in [0, 1])");
  check_error([&] { optim::RMSprop opt({p}, {.alpha = 1.5}); }, "RMSprop: invalid alpha 1.5 (must be in [0, 1])");
  check_error([&] { optim::RMSprop opt({p}, {.eps = -1}); }, "RMSprop: invalid eps -1");
  check_error([&] { optim::RMSprop opt({p}, {.eps = 0}); }, "RMSprop: invalid eps 0 (must be a finite number > 0)");
  check_error([&] { optim::RMSprop opt({p}, {.weight_decay = -2}); }, "RMSprop: invalid weight_decay -2");
  check_error([&] { optim::RMSprop opt({p}, {.momentum = -0.9}); }, "RMSprop: invalid momentum -0.9");
}

BOOST_AUTO_TEST_CASE(adagrad_options) {
  Tensor p = zeros({2}).requires_grad_();
  check_error([&] { optim::Adagrad opt({p}, {.lr = -1}); }, "Adagrad: invalid learning rate -1");
  check_error([&] { optim::Adagrad opt({p}, {.lr_decay = -0.1}); }, "Adagrad: invalid lr_decay -0.1");
  check_error([&] { optim::Adagrad opt({p}, {.weight_decay = -0.1}); }, "Adagrad: invalid weight_decay -0.1");
  check_error([&] { optim::Adagrad opt({p}, {.initial_accumulator_value = -1}); },
              "Adagrad: invalid initial_accumulator_value -1");
  check_error([&] { optim::Adagrad opt({p}, {.eps = -1}); }, "Adagrad: invalid eps -1");
  check_error([&] { optim::Adagrad opt({p}, {.lr = nan}); }, "Adagrad: invalid learning rate nan");
  check_error([&] { optim::Adagrad opt({p}, {.lr_decay = inf}); }, "Adagrad: invalid lr_decay inf");
  check_error([&] { optim::Adagrad opt({p}, {.eps = 0}); }, "Adagrad: invalid eps 0 (must be a finite number > 0)");
}

BOOST_AUTO_TEST_CASE(parameter_lists) {
  Tensor p = zeros({2, 2}).requires_grad_();
  Tensor frozen = zeros({3});
  check_error([&] { optim::Adam opt({}); }, "Adam: got an empty parameter list");
  check_error([&] { optim::Adam opt({p, frozen}); },
              "Adam: parameter 1 of shape (3,) does not require grad (call requires_grad_() on it or leave it out)");
  check_error([&] { optim::Adam opt({p * 2.0}); }, "Adam: parameter 0 of shape (2,2) is not a leaf");
  check_error([&] { optim::Adam opt({p, Tensor()}); }, "Adam: parameter 1 is an undefined tensor");
  check_error([&] { optim::SGD opt({p, p}, {.lr = 0.1}); }, "SGD: parameter 1 of shape (2,2) is given twice");
  optim::Adagrad opt({p});
  check_error([&] { opt.add_param_group({p}); }, "Adagrad: parameter 0 of shape (2,2) is given twice");
  check_error([&] { opt.add_param_group({}); }, "Adagrad: got an empty parameter list");
  Tensor q = zeros({1}).requires_grad_();
  check_error([&] { opt.add_param_group({q}, {.eps = -1}); }, "Adagrad: invalid eps -1");
  BOOST_TEST(opt.num_groups() == 1u);  // a rejected group is not added
  opt.add_param_group({q});
  BOOST_TEST(opt.num_groups() == 2u);
}

BOOST_AUTO_TEST_CASE(a_parameter_turned_into_a_view_cannot_be_updated_in_place) {
  Tensor p = zeros({3}, float64).requires_grad_();
  optim::SGD opt({p}, {.lr = 0.1});
  p.set_data(broadcast_to(tensor({1.0}, float64), {3}));
  set_gradient(p, ones({3}, float64));
  check_error([&] { opt.step(); }, "SGD: cannot update a non-contiguous parameter of shape (3,) in place");
}

BOOST_AUTO_TEST_SUITE_END()
