// Optimizer trajectories against PyTorch 1.13 (torch/optim/*.py, single-tensor path): five steps on
// a fixed float64 problem, every step's parameters compared with the numbers PyTorch printed.
//   p0 = [[0.5, -1.0], [1.5, 2.0]]
//   quadratic: loss = sum(p * p * c), c = [[1, 2], [3, 0.5]]    (grad = 2 c p)
//   scripted:  loss = sum(p * g * s_k), g = [[0.3, -0.2], [1.0, 0.05]], s = (1, 0.1, -0.5, 0.05, 2)
// The parameter is a stack of 9 copies of p0, shape (9,2,2): its 36 elements run through both the
// vectorised part of the update loops (batches of 8 doubles or 16 floats) and their scalar tail.
#include "support/check.hpp"

#include <xtensor/xbroadcast.hpp>

#include "descent/optim.hpp"

using namespace descent;
using descent::testing::check_values;

namespace {

using Trajectory = std::vector<xt::xarray<double>>;

// PyTorch's parameters after steps 1..5.
namespace torch_reference {
// torch.optim.SGD(lr=0.1)
const Trajectory sgd = {{{0.4, -0.6}, {0.6, 1.8}},
    {{0.32, -0.36}, {0.24, 1.62}},
    {{0.256, -0.216}, {0.09599999999999999, 1.4580000000000002}},
    {{0.2048, -0.1296}, {0.03839999999999999, 1.3122000000000003}},
    {{0.16384, -0.07776}, {0.015359999999999995, 1.1809800000000001}}};
// torch.optim.SGD(lr=0.1, momentum=0.9)
const Trajectory sgd_momentum = {{{0.4, -0.6}, {0.6, 1.8}},
    {{0.22999999999999998, 5.551115123125783e-17}, {-0.5700000000000001, 1.44}},
    {{0.03099999999999995, 0.5400000000000001}, {-1.2810000000000001, 0.972}},
    {{-0.15430000000000005, 0.8100000000000002}, {-1.1523, 0.4536}},
    {{-0.29021, 0.7290000000000001}, {-0.34509, -0.058319999999999955}}};
// torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0.5)
const Trajectory sgd_dampening = {{{0.4, -0.6}, {0.6, 1.8}},
    {{0.27, -0.11999999999999997}, {-0.38999999999999996, 1.53}},
    {{0.126, 0.33600000000000013}, {-1.164, 1.2105}},
    {{-0.016200000000000023, 0.6792000000000002}, {-1.5113999999999999, 0.8624249999999999}},
    {{-0.14256000000000005, 0.8522400000000003}, {-1.3706399999999999, 0.5060362499999999}}};
// torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True)
const Trajectory sgd_nesterov = {{{0.31, -0.24}, {-0.21000000000000024, 1.62}},
    {{0.1112, 0.26640000000000014}, {-0.6996, 1.1502000000000001}},
    {{-0.05417600000000003, 0.4332960000000001}, {-0.45609599999999995, 0.6546420000000001}},
    {{-0.16241152000000003, 0.35010144000000004}, {-0.09477696000000001, 0.18777581999999995}},
    {{-0.20785879040000002, 0.16513580159999997}, {0.0921640704, -0.20916336780000014}}};
// torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.1)
const Trajectory sgd_wd = {{{0.39499999999999996, -0.59}, {0.585, 1.78}},
    {{0.21754999999999997, 0.020900000000000064}, {-0.5953500000000003, 1.3862}},
    {{0.012159499999999967, 0.562141}, {-1.2945015000000002, 0.879298}},
    {{-0.17524544500000003, 0.8187800900000001}, {-1.134091935, 0.32636342}},
    {{-0.30710835205, 0.7140554341}, {-0.2979272461499997, -0.20717767820000002}}};
// torch.optim.SGD(lr=0.01, maximize=True)
const Trajectory sgd_maximize = {{{0.51, -1.04}, {1.59, 2.02}},
    {{0.5202, -1.0816000000000001}, {1.6854, 2.0402}},
    {{0.530604, -1.124864}, {1.786524, 2.060602}},
    {{0.54121608, -1.16985856}, {1.89371544, 2.0812080199999996}},
    {{0.5520404016, -1.2166529024}, {2.0073383664, 2.1020201001999994}}};
// torch.optim.Adam(lr=0.1)
const Trajectory adam = {{{0.400000001, -0.9000000002499999}, {1.400000000111111, 1.9000000005}},
    {{0.3011874216591668, -0.8004122281815201}, {1.3002390618415403, 1.8001664866210927}},
    {{0.2048712525602996, -0.7015862721668379}, {1.200902869833255, 1.7006233928121137}},
    {{0.11291539819002168, -0.6039390595195652}, {1.1021989355442237, 1.6015048963195329}},
    {{0.027814451370609505, -0.5079636579329025}, {1.0043581682860303, 1.5029557825929858}}};
// torch.optim.Adam(lr=0.1, weight_decay=0.1, betas=(0.8, 0.99))
const Trajectory adam_wd = {{{0.4000000009523809, -0.9000000002439025}, {1.4000000001092896, 1.9000000004545454}},
    {{0.30178446088263344, -0.8006960097464372}, {1.3004250791007417, 1.8003048264546453}},
    {{0.20719024594483168, -0.7026562031369035}, {1.2015965781875098, 1.7011364385770165}},
    {{0.11866807699145542, -0.6065321858204771}, {1.103862895685901, 1.6027288861873779}},
    {{0.03925269061502519, -0.5130592821789162}, {1.007597447767252, 1.5053263953099292}}};
// torch.optim.Adam(lr=0.1, betas=(0.9, 0.5), amsgrad=True), scripted gradients
const Trajectory adam_amsgrad = {{{0.4000000033333332, -0.9000000049999998}, {1.400000001, 1.900000019999996}},
    {{0.335539749575881, -0.835539752558337}, {1.3355397454004427, 1.835539779400435}},
    {{0.31601391050283356, -0.8160139139157938}, {1.3160139057246893, 1.8160139446324293}},
    {{0.29968894406439806, -0.799688947849923}, {1.2996889387646633, 1.7996889819196396}},
    {{0.2600540361077382, -0.760054040345852}, {1.260054030174379, 1.7600540784888683}}};
// torch.optim.Adam()
const Trajectory adam_default = {{{0.49900000001, -0.9990000000025}, {1.4990000000011112, 1.999000000005}},
    {{0.4980000527045228, -0.9980000262088332}, {1.498000017440721, 1.9980000130773594}},
    {{0.4970001932151497, -0.9970000960576376}, {1.4970000639164638, 1.997000047904775}},
    {{0.49600045658066116, -0.9960002269157571}, {1.4960001509725593, 1.9960001131328147}},
    {{0.49500087766883727, -0.9950004360398816}, {1.4950002900744135, 1.9950002173459327}}};
// torch.optim.AdamW(lr=0.1)
const Trajectory adamw = {{{0.399500001, -0.89900000025}, {1.398500000111111, 1.8980000005}},
    {{0.30029783925946113, -0.7985190266583931}, {1.2973452048733327, 1.7962725891500528}},
    {{0.20371238297376437, -0.6989111823795019}, {1.196724617074773, 1.6949445151502027}},
    {{0.11162009128047512, -0.6005985731063592}, {1.096849341529647, 1.5941529197651634}},
    {{0.026528201853247085, -0.5040800887583171}, {0.997954151417373, 1.4940456953567574}}};
// torch.optim.AdamW(lr=0.1, weight_decay=0.5, betas=(0.9, 0.5), amsgrad=True), scripted gradients
const Trajectory adamw_amsgrad = {{{0.37500000333333317, -0.8500000049999997}, {1.3250000009999998, 1.800000019999996}},
    {{0.2917897494092143, -0.743039752308337}, {1.1942897453504424, 1.6455397784004349}},
    {{0.25767442286570613, -0.6863619260503769}, {1.1150494184071669, 1.5437369547124073}},
    {{0.22846573528398534, -0.6357188636819872}, {1.0429719805267825, 1.4502251442639973}},
    {{0.17740754056312624, -0.5642980129938168}, {0.9511884729101591, 1.3380789836200262}}};
// torch.optim.RMSprop(lr=0.01)
const Trajectory rmsprop = {{{0.4000000099999991, -0.9000000025}, {1.4000000011111111, 1.9000000049999999}},
    {{0.3373391779574925, -0.8329179643225199}, {1.3315851127999112, 1.8309433328172848}},
    {{0.2904332263210434, -0.7799822688742754}, {1.2768514952620256, 1.775349450099218}},
    {{0.25282552925105384, -0.7353890395556385}, {1.2301960652221176, 1.727713822384188}},
    {{0.2215710000520894, -0.6964657834667951}, {1.189025411132945, 1.6854815885030794}}};
// torch.optim.RMSprop(lr=0.01, centered=True)
const Trajectory rmsprop_centered = {{{0.39949622857508793, -0.8994962209993314}, {1.3994962195964133, 1.8994962235245836}},
    {{0.3362588350808807, -0.8317593760158013}, {1.3304043451110072, 1.8297521563555703}},
    {{0.28876010737153834, -0.7780684063144445}, {1.274869376901383, 1.7733354190025379}},
    {{0.25057538790886125, -0.7326466942494919}, {1.227313830419962, 1.7247664205761466}},
    {{0.21878039808610594, -0.6928399412157029}, {1.1851609415092255, 1.681506319694284}}};
// torch.optim.RMSprop(lr=0.01, momentum=0.9)
const Trajectory rmsprop_momentum = {{{0.400000009999999, -0.9000000025}, {1.4000000011111111, 1.9000000049999999}},
    {{0.24733918695749157, -0.7429179665725199}, {1.2415851137999112, 1.7409433373172847}},
    {{0.07365732559010812, -0.5529149247262392}, {1.0469487590434932, 1.5441299749488298}},
    {{-0.09345355991190556, -0.3477288618242863}, {0.8314082991154166, 1.3238454010183425}},
    {{-0.2302139294221339, -0.14194249219985314}, {0.606755688832369, 1.0907377218783973}}};
// torch.optim.RMSprop(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1), scripted gradients
const Trajectory rmsprop_all = {{{0.46666666984126953, -0.9666666703703699}, {1.4666666676328501, 1.9666666711111105}},
    {{0.442363349192327, -0.9369284705236696}, {1.4425177871526425, 1.9272696986080975}},
    {{0.4403136403433836, -0.9227949798177266}, {1.440760737625044, 1.8893700569970433}},
    {{0.4333771955756804, -0.9035329089967847}, {1.433981497139981, 1.8505839404267468}},
    {{0.39889882442565056, -0.8625773389129222}, {1.3995377172063819, 1.8057874116971466}}};
// torch.optim.Adagrad(lr=0.1)
const Trajectory adagrad = {{{0.40000000001, -0.9000000000025}, {1.400000000001111, 1.900000000005}},
    {{0.33753049525848333, -0.8331035268413955}, {1.3317681749656352, 1.831125053815932}},
    {{0.29089917679625, -0.7804561813524568}, {1.2773245390801364, 1.7758215150175451}},
    {{0.2536089816303718, -0.7362231326561539}, {1.2310372642459915, 1.7285570378053192}},
    {{0.22269178428333342, -0.6977148620491185}, {1.1902972541890988, 1.6867615981388917}}};
// torch.optim.Adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1)
const Trajectory adagrad_decay = {{{0.40424824196534564, -0.9002961214698361}, {1.400059667657587, 1.901017320457967}},
    {{0.3485981089709716, -0.8395697752785154}, {1.338049111215885, 1.8387232904320059}},
    {{0.30969562539435735, -0.7955083870998658}, {1.2925400037162846, 1.7926853463058603}},
    {{0.2802269364305881, -0.761052988195236}, {1.256648399732102, 1.7562076547599206}},
    {{0.25683258470278825, -0.7329187660415656}, {1.2271401683966376, 1.7261136203488965}}};
// torch.optim.Adam(lr=0.1), float32
const Trajectory adam_f32 = {{{0.4000000059604645, -0.9000000357627869}, {1.399999976158142, 1.899999976158142}},
    {{0.3011874258518219, -0.8004122376441956}, {1.300239086151123, 1.8001664876937866}},
    {{0.2048712521791458, -0.7015863060951233}, {1.2009029388427734, 1.7006233930587769}},
    {{0.11291540414094925, -0.6039391160011292}, {1.1021989583969116, 1.601504921913147}},
    {{0.027814455330371857, -0.5079637169837952}, {1.004358172416687, 1.5029557943344116}}};
// torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True), float32
const Trajectory sgd_f32 = {{{0.3100000023841858, -0.23999999463558197}, {-0.21000006794929504, 1.6200000047683716}},
    {{0.1112000048160553, 0.26639997959136963}, {-0.6995999217033386, 1.1502000093460083}},
    {{-0.05417599156498909, 0.43329596519470215}, {-0.45609593391418457, 0.6546420454978943}},
    {{-0.16241151094436646, 0.35010138154029846}, {-0.0947769358754158, 0.1877758800983429}},
    {{-0.20785877108573914, 0.16513575613498688}, {0.092164047062397, -0.20916330814361572}}};
}  // namespace torch_reference

const std::vector<std::size_t> stacked = {9, 2, 2};

xt::xarray<double> stack(const xt::xarray<double>& values) { return xt::broadcast(values, stacked); }

Tensor initial_parameter(Dtype dtype) { return tensor(stack({{0.5, -1.0}, {1.5, 2.0}}), dtype).requires_grad_(); }

Tensor quadratic_loss(const Tensor& p, std::size_t) { return sum(p * p * tensor({{1.0, 2.0}, {3.0, 0.5}}, p.dtype())); }

Tensor scripted_loss(const Tensor& p, std::size_t step) {
  const double scale[] = {1.0, 0.1, -0.5, 0.05, 2.0};
  return sum(p * (tensor({{0.3, -0.2}, {1.0, 0.05}}, p.dtype()) * scale[step]));
}

// Runs five steps of `Opt` and compares each step's parameters with PyTorch's.
template <class Opt, class Loss>
void check_trajectory(const typename Opt::Options& options, Loss loss, const Trajectory& expected,
                      Dtype dtype = float64) {
  const double rtol = dtype == float64 ? 1e-10 : 1e-6, atol = dtype == float64 ? 1e-12 : 1e-6;
  Tensor p = initial_parameter(dtype);
  Opt opt({p}, options);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    BOOST_TEST_CONTEXT("step " << k + 1) {
      opt.zero_grad();
      loss(p, k).backward();
      opt.step();
      BOOST_TEST((p.dtype() == dtype));
      check_values(p, stack(expected[k]), rtol, atol);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sgd)

BOOST_AUTO_TEST_CASE(plain_steps_match_pytorch) {
  check_trajectory<optim::SGD>({.lr = 0.1}, quadratic_loss, torch_reference::sgd);
}

BOOST_AUTO_TEST_CASE(momentum_starts_the_buffer_at_the_first_gradient) {
  check_trajectory<optim::SGD>({.lr = 0.1, .momentum = 0.9}, quadratic_loss, torch_reference::sgd_momentum);
}

BOOST_AUTO_TEST_CASE(dampening_applies_from_the_second_step) {
  check_trajectory<optim::SGD>({.lr = 0.1, .momentum = 0.9, .dampening = 0.5}, quadratic_loss,
                               torch_reference::sgd_dampening);
}

BOOST_AUTO_TEST_CASE(nesterov_matches_pytorch) {
  check_trajectory<optim::SGD>({.lr = 0.1, .momentum = 0.9, .nesterov = true}, quadratic_loss,
                               torch_reference::sgd_nesterov);
}

BOOST_AUTO_TEST_CASE(weight_decay_is_added_to_the_gradient) {
  check_trajectory<optim::SGD>({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1}, quadratic_loss,
                               torch_reference::sgd_wd);
}

BOOST_AUTO_TEST_CASE(maximize_ascends) {
  check_trajectory<optim::SGD>({.lr = 0.01, .maximize = true}, quadratic_loss, torch_reference::sgd_maximize);
}

BOOST_AUTO_TEST_CASE(float32_parameters_follow_pytorchs_float32_trajectory) {
  check_trajectory<optim::SGD>({.lr = 0.1, .momentum = 0.9, .nesterov = true}, quadratic_loss,
                               torch_reference::sgd_f32, float32);
}

BOOST_AUTO_TEST_CASE(parameter_groups_have_their_own_learning_rates) {
  // torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.01}], lr=0.1, momentum=0.9), 3 steps on
  // sum(p * p * c) + sum(q * q * q)
  Tensor p = initial_parameter(float64);
  Tensor q = tensor({1.0, -2.0}, float64).requires_grad_();
  optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  opt.add_param_group({q}, {.lr = 0.01, .momentum = 0.9});
  BOOST_TEST(opt.num_groups() == 2u);
  BOOST_TEST(opt.lr(0) == 0.1);
  BOOST_TEST(opt.lr(1) == 0.01);
  for (int k = 0; k < 3; ++k) {
    opt.zero_grad();
    (quadratic_loss(p, 0) + sum(q * q * q)).backward();
    opt.step();
  }
  check_values(p, stack({{0.03099999999999995, 0.5400000000000001}, {-1.2810000000000001, 0.972}}), 1e-10, 1e-12);
  check_values(q, {0.83996441075413, -2.74887005180672}, 1e-10, 1e-12);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(adam)

BOOST_AUTO_TEST_CASE(steps_match_pytorch) {
  check_trajectory<optim::Adam>({.lr = 0.1}, quadratic_loss, torch_reference::adam);
}

BOOST_AUTO_TEST_CASE(defaults_match_pytorch) {
  const optim::AdamOptions defaults;
  BOOST_TEST(defaults.lr == 1e-3);
  BOOST_TEST(defaults.betas.first == 0.9);
  BOOST_TEST(defaults.betas.second == 0.999);
  BOOST_TEST(defaults.eps == 1e-8);
  BOOST_TEST(defaults.weight_decay == 0);
  BOOST_TEST(!defaults.amsgrad);
  check_trajectory<optim::Adam>({}, quadratic_loss, torch_reference::adam_default);
}

BOOST_AUTO_TEST_CASE(weight_decay_is_an_l2_term_in_the_gradient) {
  check_trajectory<optim::Adam>({.lr = 0.1, .betas = {0.8, 0.99}, .weight_decay = 0.1}, quadratic_loss,
                                torch_reference::adam_wd);
}

BOOST_AUTO_TEST_CASE(amsgrad_keeps_the_largest_second_moment) {
  check_trajectory<optim::Adam>({.lr = 0.1, .betas = {0.9, 0.5}, .amsgrad = true}, scripted_loss,
                                torch_reference::adam_amsgrad);
}

BOOST_AUTO_TEST_CASE(float32_parameters_follow_pytorchs_float32_trajectory) {
  check_trajectory<optim::Adam>({.lr = 0.1}, quadratic_loss, torch_reference::adam_f32, float32);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(adamw)

BOOST_AUTO_TEST_CASE(decoupled_weight_decay_defaults_to_0_01) {
  BOOST_TEST(optim::AdamWOptions{}.weight_decay == 1e-2);
  check_trajectory<optim::AdamW>({.lr = 0.1}, quadratic_loss, torch_reference::adamw);
}

BOOST_AUTO_TEST_CASE(amsgrad_with_strong_decay) {
  check_trajectory<optim::AdamW>({.lr = 0.1, .betas = {0.9, 0.5}, .weight_decay = 0.5, .amsgrad = true},
                                 scripted_loss, torch_reference::adamw_amsgrad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rmsprop)

BOOST_AUTO_TEST_CASE(plain_steps_match_pytorch) {
  check_trajectory<optim::RMSprop>({.lr = 0.01}, quadratic_loss, torch_reference::rmsprop);
}

BOOST_AUTO_TEST_CASE(centered_subtracts_the_squared_mean_gradient) {
  check_trajectory<optim::RMSprop>({.lr = 0.01, .centered = true}, quadratic_loss,
                                   torch_reference::rmsprop_centered);
}

BOOST_AUTO_TEST_CASE(momentum_accumulates_scaled_gradients) {
  check_trajectory<optim::RMSprop>({.lr = 0.01, .momentum = 0.9}, quadratic_loss,
                                   torch_reference::rmsprop_momentum);
}

BOOST_AUTO_TEST_CASE(centered_with_momentum_and_weight_decay) {
  check_trajectory<optim::RMSprop>(
      {.lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.5, .centered = true}, scripted_loss,
      torch_reference::rmsprop_all);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(adagrad)

BOOST_AUTO_TEST_CASE(plain_steps_match_pytorch) {
  check_trajectory<optim::Adagrad>({.lr = 0.1}, quadratic_loss, torch_reference::adagrad);
}

BOOST_AUTO_TEST_CASE(lr_decay_weight_decay_and_initial_accumulator) {
  check_trajectory<optim::Adagrad>(
      {.lr = 0.1, .lr_decay = 0.1, .weight_decay = 0.1, .initial_accumulator_value = 0.1}, quadratic_loss,
      torch_reference::adagrad_decay);
}

BOOST_AUTO_TEST_SUITE_END()
