// Activations: values against PyTorch 1.13 / NumPy references (pasted as literals), gradients
// against finite differences, numerical stability and error messages.
#include "support/check.hpp"

#include <limits>

using namespace descent;
using testing::check_error;
using testing::check_gradient;
using testing::check_values;
using testing::random_input;
using Inputs = std::vector<Tensor>;

namespace {

const double inf = std::numeric_limits<double>::infinity();

/// The points every elementwise activation is evaluated at.
const xt::xarray<double> points = {-3.0, -1.5, -0.25, 0.0, 0.5, 1.0, 2.5, 4.0};

/// Checks f at `points` in float64 (tight) and float32 (to float32 precision).
void check_both_dtypes(const std::function<Tensor(const Tensor&)>& f, const xt::xarray<double>& expected) {
  const Tensor y64 = f(tensor(points, float64));
  BOOST_TEST((y64.dtype() == float64));
  check_values(y64, expected, 1e-12, 1e-14);
  const Tensor y32 = f(tensor(points, float32));
  BOOST_TEST((y32.dtype() == float32));
  check_values(y32, expected, 1e-5, 1e-6);
}

/// A gradcheck input whose elements all lie at least `gap` away from `kink`.
Tensor input_away_from(const Shape& shape, std::uint64_t seed, double kink = 0, double gap = 0.05) {
  Tensor x = random_input(shape, seed);
  double* v = x.data<double>();
  for (std::size_t i = 0; i < x.numel(); ++i)
    if (std::abs(v[i] - kink) < gap) v[i] = kink + (v[i] < kink ? -2 * gap : 2 * gap);
  return x;
}

/// A fixed (2,3,4) tensor for softmax over each axis.
const xt::xarray<double> cube = {{{0.0, 1.98, -0.51, -1.85}, {0.99, 1.6, -1.4, -1.24}, {1.72, 0.79, -1.92, -0.3}},
                                 {{2.0, -0.22, -1.94, 0.72}, {1.76, -1.17, -1.46, 1.55}, {1.06, -1.82, -0.59, 1.97}}};

}  // namespace

BOOST_AUTO_TEST_SUITE(activation)

// --- values ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(relu_values) {
  check_both_dtypes([](const Tensor& x) { return relu(x); }, {0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 2.5, 4.0});
  // NaN propagates, like PyTorch.
  BOOST_TEST(std::isnan(relu(tensor({std::nan(""), 1.0}, float32)).at({0})));
}

BOOST_AUTO_TEST_CASE(leaky_relu_values) {
  check_both_dtypes([](const Tensor& x) { return leaky_relu(x, 0.1); },
                    {-0.30000000000000004, -0.15000000000000002, -0.025, 0.0, 0.5, 1.0, 2.5, 4.0});
  check_values(leaky_relu(tensor({-2.0, 3.0}, float64)), {-0.02, 3.0}, 1e-12);  // default slope 0.01
}

BOOST_AUTO_TEST_CASE(sigmoid_values) {
  check_both_dtypes([](const Tensor& x) { return sigmoid(x); },
                    {0.04742587317756678, 0.18242552380635635, 0.43782349911420193, 0.5, 0.6224593312018546,
                     0.7310585786300049, 0.9241418199787566, 0.9820137900379085});
}

BOOST_AUTO_TEST_CASE(tanh_values) {
  check_both_dtypes([](const Tensor& x) { return descent::tanh(x); },
                    {-0.9950547536867305, -0.9051482536448664, -0.24491866240370913, 0.0, 0.46211715726000974,
                     0.7615941559557649, 0.9866142981514303, 0.999329299739067});
}

BOOST_AUTO_TEST_CASE(gelu_values) {
  // x/2 · (1 + erf(x/√2)), evaluated with math.erf (PyTorch's gelu agrees to 1e-16).
  check_both_dtypes([](const Tensor& x) { return gelu(x); },
                    {-0.00404969409489031, -0.10021080190328713, -0.10032341857926907, 0.0, 0.34573123063700656,
                     0.8413447460685429, 2.4844758366855597, 3.9998733150326675});
}

BOOST_AUTO_TEST_CASE(softplus_values) {
  // log1p(exp(x)), evaluated with math.log1p / math.exp.
  check_both_dtypes([](const Tensor& x) { return softplus(x); },
                    {0.04858735157374206, 0.2014132779827524, 0.5759394198788436, 0.6931471805599453,
                     0.9740769841801067, 1.3132616875182228, 2.5788897342925496, 4.0181499279178094});
  // beta = 2, threshold = 3: log1p(exp(2x))/2, and x itself where 2x > 3 (2.5 and 4).
  check_both_dtypes([](const Tensor& x) { return softplus(x, 2, 3); },
                    {0.0012378425688652247, 0.02429367578687103, 0.23703849209005334, 0.34657359027997264,
                     0.6566308437591114, 1.0634640055214863, 2.5, 4.0});
}

BOOST_AUTO_TEST_CASE(softplus_above_threshold) {
  for (Dtype dtype : {float32, float64}) {
    Tensor x = tensor({25.0, 1000.0, -1000.0, -50.0}, dtype).requires_grad_();
    Tensor y = softplus(x);
    // Linear above the threshold (no exp overflow at 1000), exact 0 far below it.
    check_values(y, {25.0, 1000.0, 0.0, 1.9287498479639178e-22}, 1e-5, 0);
    sum(y).backward();
    check_values(x.grad(), {1.0, 1.0, 0.0, 1.9287498479639178e-22}, 1e-5, 0);
  }
}

BOOST_AUTO_TEST_CASE(sigmoid_is_stable) {
  for (Dtype dtype : {float32, float64}) {
    Tensor x = tensor({-100.0, 100.0, -1000.0, 1000.0}, dtype).requires_grad_();
    Tensor y = sigmoid(x);
    // sigmoid(-100) = 3.72e-44 (0 in float32), sigmoid(100) = 1; no NaN or inf anywhere.
    check_values(y, {3.7200759760208356e-44, 1.0, 0.0, 1.0}, 1e-6, 1e-40);
    sum(y).backward();
    check_values(x.grad(), {3.7200759760208356e-44, 0.0, 0.0, 0.0}, 1e-6, 1e-40);
  }
}

BOOST_AUTO_TEST_CASE(strided_input) {
  // A broadcast view (stride 0) is read through a contiguous copy.
  const Tensor x = broadcast_to(tensor({-1.0, 2.0}, float64), {3, 2});
  check_values(relu(x), {{0.0, 2.0}, {0.0, 2.0}, {0.0, 2.0}});
  check_values(softmax(x, 0), xt::xarray<double>({{1.0, 1.0}, {1.0, 1.0}, {1.0, 1.0}}) / 3.0);
}

// --- softmax / log_softmax values --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(softmax_axes) {
  const xt::xarray<double> axis0 = {
      {{0.11920292202211755, 0.9002495108803148, 0.8069013157667836, 0.07109430408428716},
       {0.31647910626368436, 0.9410329865352083, 0.5149955016194101, 0.057866955276361015},
       {0.6592603884513855, 0.931502396275674, 0.20915936521306333, 0.09363821223773568}},
      {{0.8807970779778823, 0.09975048911968512, 0.19309868423321644, 0.9289056959157129},
       {0.6835208937363156, 0.058967013464791766, 0.4850044983805899, 0.942133044723639},
       {0.34073961154861465, 0.06849760372432608, 0.7908406347869368, 0.9063617877622643}}};
  const xt::xarray<double> axis1 = {
      {{0.10780784360621201, 0.502997190932026, 0.6043029868292332, 0.1324169799122665},
       {0.2901361851026758, 0.3439803678206318, 0.24816049794684952, 0.24370436756237265},
       {0.6020559712911122, 0.15302244124734227, 0.14753651522391725, 0.6238786525253608}},
      {{0.45929378053388076, 0.6294702057007913, 0.15447594197372377, 0.14741301152078584},
       {0.36129328418253764, 0.24344195158683943, 0.24964461557836976, 0.3380650218793981},
       {0.17941293528358151, 0.12708784271236923, 0.5958794424479065, 0.5145219665998161}}};
  const xt::xarray<double> axis2 = {
      {{0.11110523820812783, 0.804706684646561, 0.06671820432686439, 0.017469872818446606},
       {0.32899179175035664, 0.6054868234787861, 0.030145413876379094, 0.035375970894478234},
       {0.6437237018751687, 0.2539835750289902, 0.01689925604049291, 0.08539346705534812}},
      {{0.7111896901635977, 0.07724167845416631, 0.013831369819005748, 0.19773726156323027},
       {0.5252276442982537, 0.02804560055750587, 0.02098550112804274, 0.42574125401619767},
       {0.26791642858809855, 0.015039425178161033, 0.051453325628343115, 0.6655908206053972}}};
  for (Dtype dtype : {float64, float32}) {
    const double rtol = dtype == float64 ? 1e-12 : 1e-5;
    const Tensor x = tensor(cube, dtype);
    check_values(softmax(x, 0), axis0, rtol);
    check_values(softmax(x, 1), axis1, rtol);
    check_values(softmax(x, 2), axis2, rtol);
    check_values(softmax(x, -1), axis2, rtol);
    check_values(softmax(x), axis2, rtol);
    check_values(softmax(x, -3), axis0, rtol);
  }
}

BOOST_AUTO_TEST_CASE(log_softmax_axes) {
  const xt::xarray<double> axis0 = {
      {{-2.1269280110429727, -0.10508331976869593, -0.21455390348483222, -2.6437480567141334},
       {-1.1504980545416523, -0.06077708524473389, -0.6635971130761409, -2.8496087779417163},
       {-0.41663669588823926, -0.07095651645247267, -1.564658804601488, -2.3683167284069535}},
      {{-0.1269280110429726, -2.305083319768696, -1.6445539034848322, -0.07374805671413331},
       {-0.3804980545416522, -2.830777085244734, -0.7235971130761409, -0.05960877794171646},
       {-1.0766366958882392, -2.680956516452473, -0.23465880460148786, -0.09831672840695362}}};
  const xt::xarray<double> axis1 = {
      {{-2.2274048624286444, -0.6871706935261709, -0.503679573000274, -2.0217993966306826},
       {-1.2374048624286447, -1.0671706935261707, -1.393679573000274, -1.4117993966306823},
       {-0.5074048624286446, -1.8771706935261707, -1.913679573000274, -0.4717993966306825}},
      {{-0.7780652289267426, -0.46287675671983936, -1.8677169101496642, -1.9145170295760658},
       {-1.0180652289267424, -1.4128767567198393, -1.387716910149664, -1.0845170295760658},
       {-1.7180652289267426, -2.0628767567198394, -0.517716910149664, -0.6645170295760658}}};
  const xt::xarray<double> axis2 = {
      {{-2.1972774348600033, -0.2172774348600033, -2.7072774348600035, -4.047277434860003},
       {-1.1117224776150607, -0.5017224776150606, -3.5017224776150604, -3.3417224776150602},
       {-0.4404856792946832, -1.3704856792946831, -4.080485679294683, -2.460485679294683}},
      {{-0.3408160912829073, -2.5608160912829074, -4.280816091282907, -1.6208160912829073},
       {-0.643923502184227, -3.573923502184227, -3.863923502184227, -0.853923502184227},
       {-1.3170801807279937, -4.197080180727994, -2.9670801807279936, -0.4070801807279937}}};
  for (Dtype dtype : {float64, float32}) {
    const double rtol = dtype == float64 ? 1e-12 : 1e-5;
    const Tensor x = tensor(cube, dtype);
    check_values(log_softmax(x, 0), axis0, rtol);
    check_values(log_softmax(x, 1), axis1, rtol);
    check_values(log_softmax(x, -1), axis2, rtol);
    check_values(log_softmax(x), axis2, rtol);
  }
}

BOOST_AUTO_TEST_CASE(softmax_rows_sum_to_one) {
  // Row lengths around the SIMD width (8 doubles / 16 floats with AVX-512) exercise the tails.
  for (Dtype dtype : {float32, float64}) {
    Generator gen(7);
    for (std::size_t n : {1, 3, 8, 16, 17, 37}) {
      const Tensor x = randn({5, n}, gen, dtype) * 4.0;
      check_values(sum(softmax(x, -1), {-1}), xt::ones<double>({5}), 1e-5);
      check_values(sum(softmax(x, 0), {0}), xt::ones<double>({n}), 1e-5);
      check_values(sum(log_softmax(x, -1), {-1}) * 0.0, xt::zeros<double>({5}));  // finite (inf * 0 is NaN)
    }
  }
}

BOOST_AUTO_TEST_CASE(softmax_is_stable) {
  for (Dtype dtype : {float32, float64}) {
    const double rtol = dtype == float64 ? 1e-12 : 1e-6;
    check_values(softmax(tensor({1000.0, 1001.0, 1002.0}, dtype)),
                 {0.09003057317038045, 0.2447284710547976, 0.6652409557748218}, rtol);
    check_values(log_softmax(tensor({-1e4, 0.0, 1e4}, dtype)), {-20000.0, -10000.0, 0.0}, rtol);
    check_values(softmax(tensor({-1e4, 0.0, 1e4}, dtype)), {0.0, 0.0, 1.0}, rtol);
    // Along a non-last axis too.
    check_values(log_softmax(tensor({{-1e4, 1.0}, {0.0, 2.0}, {1e4, 3.0}}, dtype), 0),
                 {{-20000.0, -2.4076059644443806}, {-10000.0, -1.4076059644443806}, {0.0, -0.4076059644443804}},
                 rtol);
  }
}

BOOST_AUTO_TEST_CASE(softmax_with_minus_infinity) {
  // PyTorch: -inf entries get probability 0 (log-probability -inf); a row of only -inf gives NaN.
  for (Dtype dtype : {float32, float64}) {
    const double rtol = dtype == float64 ? 1e-12 : 1e-6;
    const double nan = std::nan("");
    const Tensor x = tensor({{-inf, 0.0, 1.0}, {-inf, -inf, -inf}}, dtype);
    check_values(softmax(x), {{0.0, 0.2689414213699951, 0.7310585786300049}, {nan, nan, nan}}, rtol);
    check_values(log_softmax(x), {{-inf, -1.3132616875182228, -0.31326168751822286}, {nan, nan, nan}}, rtol);
    // Along a non-last axis: the column (3,1).
    const Tensor column = reshape(tensor({-inf, 0.0, 1.0}, dtype), {3, 1});
    check_values(reshape(softmax(column, 0), {3}), {0.0, 0.2689414213699951, 0.7310585786300049}, rtol);
  }
}

BOOST_AUTO_TEST_CASE(softmax_gradient_with_minus_infinity) {
  // Gradients against PyTorch for x = [-inf, 0, 1] and g = [1, 2, 3].
  const Tensor g = tensor({1.0, 2.0, 3.0}, float64);
  Tensor x = tensor({-inf, 0.0, 1.0}, float64).requires_grad_();
  softmax(x).backward(g);
  check_values(x.grad(), {0.0, -0.19661193324148196, 0.1966119332414816}, 1e-12, 1e-15);
  x.zero_grad();
  log_softmax(x).backward(g);
  check_values(x.grad(), {1.0, 0.3863514717800294, -1.3863514717800294}, 1e-12);
}

BOOST_AUTO_TEST_CASE(softmax_of_a_scalar) {
  for (std::ptrdiff_t axis : {0, -1}) {
    check_values(softmax(tensor(2.5, float64), axis), xt::xarray<double>(1.0));
    check_values(log_softmax(tensor(2.5, float64), axis), xt::xarray<double>(0.0));
  }
}

// --- gradients ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(relu_gradient) {
  check_gradient([](const Inputs& in) { return relu(in[0]); }, {input_away_from({3, 5}, 1)});
}

BOOST_AUTO_TEST_CASE(leaky_relu_gradient) {
  check_gradient([](const Inputs& in) { return leaky_relu(in[0]); }, {input_away_from({3, 5}, 2)});
  check_gradient([](const Inputs& in) { return leaky_relu(in[0], 0.3); }, {input_away_from({2, 3, 2}, 3)});
}

BOOST_AUTO_TEST_CASE(sigmoid_gradient) {
  check_gradient([](const Inputs& in) { return sigmoid(in[0]); }, {random_input({3, 5}, 4)});
  check_gradient([](const Inputs& in) { return sigmoid(in[0] * 4.0); }, {random_input({17}, 5)});
}

BOOST_AUTO_TEST_CASE(tanh_gradient) {
  check_gradient([](const Inputs& in) { return descent::tanh(in[0]); }, {random_input({3, 5}, 6)});
  check_gradient([](const Inputs& in) { return descent::tanh(in[0] * 2.0); }, {random_input({17}, 7)});
}

BOOST_AUTO_TEST_CASE(gelu_gradient) {
  check_gradient([](const Inputs& in) { return gelu(in[0]); }, {random_input({3, 5}, 8)});
  check_gradient([](const Inputs& in) { return gelu(in[0] * 3.0); }, {random_input({17}, 9)});
}

BOOST_AUTO_TEST_CASE(softplus_gradient) {
  check_gradient([](const Inputs& in) { return softplus(in[0]); }, {random_input({3, 5}, 10)});
  // beta = 2, threshold = 3: both branches, away from the switch at x = 1.5.
  check_gradient([](const Inputs& in) { return softplus(in[0], 2, 3); },
                 {input_away_from({4, 5}, 11, 1.5, 0.05)});
  check_gradient([](const Inputs& in) { return softplus(in[0] * 3.0, 2, 3); }, {input_away_from({17}, 12, 0.5, 0.02)});
}

BOOST_AUTO_TEST_CASE(softmax_gradient) {
  const Tensor x = random_input({2, 3, 4}, 13);
  for (std::ptrdiff_t axis : {0, 1, 2, -1}) {
    check_gradient([axis = axis](const Inputs& in) { return softmax(in[0], axis); }, {x});
    check_gradient([axis = axis](const Inputs& in) { return log_softmax(in[0], axis); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(softmax_gradient_wide) {
  // Rows and columns longer than the SIMD width, with tails: (3,19) over both axes, (2,5,17) over 1.
  const std::vector<std::pair<Shape, std::ptrdiff_t>> cases = {{{3, 19}, -1}, {{3, 19}, 0}, {{2, 5, 17}, 1}};
  for (const auto& [shape, axis] : cases) {
    const Tensor x = random_input(shape, 14);
    check_gradient([axis = axis](const Inputs& in) { return softmax(in[0] * 2.0, axis); }, {x});
    check_gradient([axis = axis](const Inputs& in) { return log_softmax(in[0] * 2.0, axis); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(softmax_gradient_strided) {
  // A broadcast (stride-0) input, and a stride-0 incoming gradient (from sum's backward).
  const Tensor x = random_input({4}, 15);
  check_gradient([](const Inputs& in) { return softmax(broadcast_to(in[0], {3, 4}), 0); }, {x});
  check_gradient([](const Inputs& in) { return log_softmax(broadcast_to(in[0], {3, 4}), -1); }, {x});
  const Tensor y = random_input({3, 4}, 16);
  check_gradient([](const Inputs& in) { return sum(softmax(in[0], 1), {0}); }, {y});
  check_gradient([](const Inputs& in) { return sum(log_softmax(in[0], 0), {1}); }, {y});
  check_gradient([](const Inputs& in) { return sum(sigmoid(in[0]), {0}); }, {y});
}

BOOST_AUTO_TEST_CASE(no_recording_without_grad) {
  const Tensor x = tensor({1.0, 2.0}, float64);
  BOOST_TEST(softmax(x).is_leaf());
  BOOST_TEST(relu(x).is_leaf());
  Tensor p = tensor({1.0, 2.0}, float64).requires_grad_();
  BOOST_TEST(!softmax(p).is_leaf());
  BOOST_TEST(!gelu(p).is_leaf());
}

// --- errors ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(axis_out_of_range) {
  const Tensor x = zeros({2, 3, 4});
  check_error([&] { softmax(x, 3); }, "softmax: axis 3 out of range for shape (2,3,4)");
  check_error([&] { log_softmax(x, -4); }, "log_softmax: axis -4 out of range for shape (2,3,4)");
  check_error([&] { softmax(tensor(1.0), 1); }, "softmax: axis 1 out of range for shape ()");
  check_error([&] { nn::Softmax(2)(zeros({2, 3})); }, "softmax: axis 2 out of range for shape (2,3)");
  check_error([&] { nn::LogSoftmax(-3)(zeros({2, 3})); }, "log_softmax: axis -3 out of range for shape (2,3)");
}

BOOST_AUTO_TEST_CASE(integer_input) {
  const Tensor x = tensor({1.0, 2.0, 3.0}, int64);
  check_error([&] { relu(x); }, "relu: expected a float32 or float64 tensor, got int64 of shape (3,)");
  check_error([&] { leaky_relu(x); }, "leaky_relu: expected a float32 or float64 tensor, got int64");
  check_error([&] { sigmoid(x); }, "sigmoid: expected a float32 or float64 tensor, got int64");
  check_error([&] { descent::tanh(x); }, "tanh: expected a float32 or float64 tensor, got int64");
  check_error([&] { gelu(x); }, "gelu: expected a float32 or float64 tensor, got int64");
  check_error([&] { softplus(x); }, "softplus: expected a float32 or float64 tensor, got int64");
  check_error([&] { softmax(x); }, "softmax: expected a float32 or float64 tensor, got int64 of shape (3,)");
  check_error([&] { log_softmax(x); }, "log_softmax: expected a float32 or float64 tensor, got int64");
}

BOOST_AUTO_TEST_CASE(invalid_parameters) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check_error([] { softplus(zeros({2}), 0); }, "softplus: invalid beta 0 (must be a finite number other than 0)");
  check_error([&] { softplus(zeros({2}), nan); }, "softplus: invalid beta nan");
  check_error([&] { leaky_relu(zeros({2}), nan); }, "leaky_relu: invalid negative_slope nan (must be a finite number)");
  check_error([&] { nn::LeakyReLU{std::numeric_limits<double>::infinity()}(zeros({2})); },
              "leaky_relu: invalid negative_slope inf");
}

BOOST_AUTO_TEST_SUITE_END()

// --- gelu's tanh approximation -------------------------------------------------------------

#include "support/closed_form.hpp"

namespace gelu_reference {
#include "ops/erf_gelu_values.inc"
}

BOOST_AUTO_TEST_SUITE(gelu_tanh)

BOOST_AUTO_TEST_CASE(values_and_derivatives_against_pytorch) {
  // x = 4·sin(0.7k + 0.1) over (3, 7): values, the gradient and a Hessian-vector product (create_graph).
  const Tensor x = testing::sine_filled({3, 7}, 4, 0.7, 0.1).requires_grad_();
  const Tensor y = gelu(x, "tanh");
  testing::check_close(y, gelu_reference::gelu_tanh_y);
  const Tensor u = testing::cosine_upstream({3, 7});
  const Tensor dx = autograd::grad({y}, {x}, {u}, {.create_graph = true})[0];
  testing::check_close(dx, gelu_reference::gelu_tanh_dx);
  testing::check_close(autograd::grad({dx}, {x}, {u})[0], gelu_reference::gelu_tanh_dxx);
  testing::check_close(autograd::grad({gelu(x, "tanh")}, {x}, {u})[0], gelu_reference::gelu_tanh_dx);  // fused
  check_values(gelu(x.detach().to(float32), "tanh"), y.to_xarray<double>(), 1e-6, 1e-6);
  // "none" is the exact one, the default.
  check_values(gelu(x, "none"), gelu(x).to_xarray<double>(), 0, 0);
}

BOOST_AUTO_TEST_CASE(second_order) {
  testing::check_second_order([](const Inputs& in) { return gelu(in[0] * 2.0, "tanh"); }, {random_input({4, 5}, 60)});
  testing::check_second_order([](const Inputs& in) { return gelu(in[0], "tanh") * in[1]; },
                              {random_input({3, 4}, 61), random_input({4}, 62)});
}

BOOST_AUTO_TEST_CASE(layer_and_errors) {
  nn::GELU exact, approximate("tanh");
  BOOST_TEST(exact.describe() == "GELU(approximate='none')");  // torch.nn.GELU's repr
  BOOST_TEST(approximate.describe() == "GELU(approximate='tanh')");
  const Tensor x = testing::sine_filled({3, 7}, 4, 0.7, 0.1);
  testing::check_close(approximate(x), gelu_reference::gelu_tanh_y);
  check_values(exact(x), gelu(x).to_xarray<double>(), 0, 0);
  check_error([] { gelu(zeros({2}), "sigmoid"); }, "gelu: approximate must be \"none\" or \"tanh\", got \"sigmoid\"");
  check_error([] { nn::GELU("Tanh"); }, "GELU: approximate must be \"none\" or \"tanh\", got \"Tanh\"");
}

BOOST_AUTO_TEST_SUITE_END()
