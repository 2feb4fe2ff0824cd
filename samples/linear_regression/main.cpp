// Linear regression as a one-layer net: Linear(n, 1), a squared-error loss and gradient descent.
//
// Without arguments it reproduces the classic tutorial: X = [1,2,3,4,5], Y = [2,4,5,4,5], weight and
// bias starting at 0, learning rate 0.01, 1000 iterations of full-batch gradient descent in float64.
// The loss is half the mean squared error, ½·mean((ŷ-y)²), whose gradient is the tutorial's
// (1/m)·Σ(ŷ-y)·x; the reported mse is the plain mean squared error.
//
//   linear_regression [--data FILE.csv] [--batch-size N] [--lr X] [--epochs N]
//                     [--optimizer sgd|momentum|adam] [--dtype float64|float32] [--plot FILE.svg]
//
// --data reads a CSV with a header row and columns x1..xn,y (the last column is the target).
// --batch-size: the number of rows (the default) is batch gradient descent, 1 stochastic, k mini-batch.
// --plot draws the data (y against the first feature) with the learned and the closed-form lines as an
// SVG; with several features the lines are taken at the other features' means.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "descent/data.hpp"
#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim.hpp"
#include "descent/plot/plot.hpp"

using namespace descent;

namespace {

struct Settings {
  std::string data;
  std::size_t batch_size = 0;  // 0: all rows
  double lr = 0.01;
  int epochs = 1000;
  std::string optimizer = "sgd";
  Dtype dtype = float64;
  std::string plot;  // an SVG file to draw into
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "linear_regression: %s\nusage: linear_regression [--data FILE.csv] [--batch-size N] [--lr X] "
               "[--epochs N] [--optimizer sgd|momentum|adam] [--dtype float64|float32] [--plot FILE.svg]\n",
               problem);
  std::exit(2);
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("linear regression as a one-layer net");
    if (i + 1 >= argc) usage(("missing value after " + flag).c_str());
    const char* value = argv[++i];
    char* end = nullptr;
    if (flag == "--data") {
      s.data = value;
    } else if (flag == "--plot") {
      s.plot = value;
    } else if (flag == "--batch-size") {
      const long n = std::strtol(value, &end, 10);
      if (*end || n <= 0) usage("--batch-size must be a positive integer");
      s.batch_size = static_cast<std::size_t>(n);
    } else if (flag == "--lr") {
      s.lr = std::strtod(value, &end);
      if (*end || !(s.lr > 0)) usage("--lr must be a positive number");
    } else if (flag == "--epochs") {
      s.epochs = static_cast<int>(std::strtol(value, &end, 10));
      if (*end || s.epochs <= 0) usage("--epochs must be a positive integer");
    } else if (flag == "--optimizer") {
      s.optimizer = value;
      if (s.optimizer != "sgd" && s.optimizer != "momentum" && s.optimizer != "adam")
        usage("--optimizer must be sgd, momentum or adam");
    } else if (flag == "--dtype") {
      if (std::strcmp(value, "float64") == 0) s.dtype = float64;
      else if (std::strcmp(value, "float32") == 0) s.dtype = float32;
      else usage("--dtype must be float64 or float32");
    } else {
      usage(("unknown option " + flag).c_str());
    }
  }
  return s;
}

// Least squares with an intercept through the normal equations (AᵀA)β = Aᵀy, A = [X 1],
// solved by Gaussian elimination with partial pivoting in double precision.
bool closed_form(const Tensor& x, const Tensor& y, std::vector<double>& beta) {
  const auto X = x.to(float64).to_xarray<double>();
  const auto Y = y.to(float64).to_xarray<double>();
  const std::size_t m = X.shape()[0], n = X.shape()[1] + 1;
  std::vector<double> a(n * (n + 1), 0.0);  // augmented [AᵀA | Aᵀy]
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t i = 0; i < n; ++i) {
      const double ai = i + 1 < n ? X(r, i) : 1.0;
      for (std::size_t j = 0; j < n; ++j) a[i * (n + 1) + j] += ai * (j + 1 < n ? X(r, j) : 1.0);
      a[i * (n + 1) + n] += ai * Y(r, 0);
    }
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r * (n + 1) + c]) > std::abs(a[pivot * (n + 1) + c])) pivot = r;
    if (std::abs(a[pivot * (n + 1) + c]) < 1e-12) return false;
    for (std::size_t j = 0; j <= n; ++j) std::swap(a[c * (n + 1) + j], a[pivot * (n + 1) + j]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r * (n + 1) + c] / a[c * (n + 1) + c];
      for (std::size_t j = c; j <= n; ++j) a[r * (n + 1) + j] -= f * a[c * (n + 1) + j];
    }
  }
  beta.resize(n);
  for (std::size_t i = 0; i < n; ++i) beta[i] = a[i * (n + 1) + n] / a[i * (n + 1) + i];
  return true;
}

std::string join(const std::vector<double>& values, const char* format) {
  std::string out;
  char buffer[64];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buffer, sizeof buffer, format, values[i]);
    if (i) out += ',';
    out += buffer;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const Settings s = parse(argc, argv);
  Tensor x, y;
  if (s.data.empty()) {
    x = reshape(tensor({1, 2, 3, 4, 5}, s.dtype), {5, 1});
    y = reshape(tensor({2, 4, 5, 4, 5}, s.dtype), {5, 1});
  } else {
    const auto table = data::read_csv(s.data);
    if (table.columns.size() < 2) usage("the CSV needs at least one feature column and the target column");
    const std::size_t n = table.columns.size();
    x = narrow(table.values, 1, 0, n - 1).to(s.dtype).contiguous();
    y = narrow(table.values, 1, -1, 1).to(s.dtype).contiguous();
  }
  const std::size_t rows = x.size(0), features = x.size(1);
  const std::size_t batch_size = s.batch_size ? std::min(s.batch_size, rows) : rows;
  const char* kind = batch_size == rows ? "batch" : batch_size == 1 ? "stochastic" : "mini-batch";
  std::printf("linear regression: %zu rows, %zu feature(s); %s gradient descent (batch size %zu), %s, lr %g, "
              "%d epochs, %s\n",
              rows, features, kind, batch_size, s.optimizer.c_str(), s.lr, s.epochs, to_string(s.dtype).c_str());

  nn::Linear model(features, 1, {.dtype = s.dtype});
  nn::init::zeros_(model.weight);  // the tutorial starts from 0
  nn::init::zeros_(model.bias);
  std::unique_ptr<optim::Optimizer> opt;
  if (s.optimizer == "adam") opt = std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.lr = s.lr});
  else opt = std::make_unique<optim::SGD>(model.parameters(),
                                          optim::SGDOptions{.lr = s.lr, .momentum = s.optimizer == "momentum" ? 0.9 : 0.0});

  data::DataLoader loader(data::TensorDataset(x, y), {.batch_size = batch_size, .shuffle = batch_size < rows}, 0);
  const int report_every = std::max(1, s.epochs / 10);
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    for (const data::Batch& batch : loader) {
      Tensor loss = 0.5 * nn::mse_loss(model(batch.inputs), batch.targets);  // ½·MSE: the tutorial's gradient
      opt->zero_grad();
      loss.backward();
      opt->step();
    }
    NoGradGuard no_grad;
    const double epoch_mse = nn::mse_loss(model(x), y).item();
    if (!std::isfinite(epoch_mse)) {  // diverged: every later epoch would print nan
      std::fprintf(stderr, "linear_regression: the loss became non-finite (%s) at epoch %d: lower --lr (now %g)\n",
                   std::isnan(epoch_mse) ? "nan" : epoch_mse > 0 ? "inf" : "-inf", epoch, s.lr);
      return 1;
    }
    if (epoch % report_every == 0 || epoch == 1) std::printf("epoch %5d  mse %.10f\n", epoch, epoch_mse);
  }

  NoGradGuard no_grad;
  const double mse = nn::mse_loss(model(x), y).item();
  const auto w = model.weight.to(float64).to_xarray<double>();
  std::vector<double> weights(w.begin(), w.end());
  const double bias = model.bias.item();
  std::printf("learned:     weights=[%s] bias=%.10g\n", join(weights, "%.10g").c_str(), bias);
  std::vector<double> beta;
  double closed_form_bias = 0;
  if (closed_form(x, y, beta)) {
    const double b = closed_form_bias = beta.back();
    beta.pop_back();
    std::printf("closed form: weights=[%s] bias=%.10g (least squares)\n", join(beta, "%.10g").c_str(), b);
  } else {
    std::printf("closed form: none (the features are linearly dependent)\n");
  }
  if (!s.plot.empty()) {
    // y against the first feature; a line's other features are held at their means.
    const auto X = x.to(float64).to_xarray<double>(), Y = y.to(float64).to_xarray<double>();
    std::vector<double> x1(rows), ys(Y.begin(), Y.end()), means(features, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      x1[r] = X(r, 0);
      for (std::size_t j = 0; j < features; ++j) means[j] += X(r, j) / static_cast<double>(rows);
    }
    auto intercept_at_means = [&](const std::vector<double>& w, double b) {
      for (std::size_t j = 1; j < features; ++j) b += w[j] * means[j];
      return b;
    };
    plot::ScatterChart chart{.title = "linear regression", .x_label = features == 1 ? "x" : "x1 (others at their mean)",
                             .y_label = "y"};
    chart.add("data", x1, ys).add_line(weights[0], intercept_at_means(weights, bias), "learned");
    if (beta.size() == features)
      chart.add_line(beta[0], intercept_at_means(beta, closed_form_bias), "closed form");
    chart.save(s.plot);
    std::printf("plot: %s\n", s.plot.c_str());
  }
  std::printf("weights=%s bias=%.17g mse=%.17g\n", join(weights, "%.17g").c_str(), bias, mse);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "linear_regression: %s\n", e.what());
  return 1;
}
