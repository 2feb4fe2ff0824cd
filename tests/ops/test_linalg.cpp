#include "support/check.hpp"
#include "support/closed_form.hpp"

#include "kernels/gemm.hpp"

#include <cmath>

using namespace descent;
using testing::check_error;
using testing::check_gradient;
using testing::check_values;
using testing::random_input;

namespace {

#include "ops/linalg_values.inc"

/// sin(1.3·i + 0.5 + seed) in row-major order: NumPy builds the same inputs for the references.
Tensor seq(const Shape& shape, double seed, Dtype dtype = float64) {
  auto values = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0; i < values.size(); ++i)
    values.data()[i] = std::sin(1.3 * static_cast<double>(i) + 0.5 + seed);
  return Tensor(std::move(values)).to(dtype);
}

xt::xarray<double> values(const Tensor& t) { return t.to(float64).to_xarray<double>(); }

/// The same product computed from row-major copies of both operands.
void check_same_as_contiguous(const Tensor& a, const Tensor& b) {
  check_values(matmul(a, b), values(matmul(a.contiguous(), b.contiguous())), 1e-12, 1e-12);
}

Tensor mm(const std::vector<Tensor>& x) {
  // A 0-d product goes out as shape (1,): the skeleton's sum() of a 0-d tensor (used by gradcheck)
  // crashes. The reshape's backward still hands matmul a 0-d gradient.
  Tensor y = matmul(x[0], x[1]);
  return y.dim() == 0 ? reshape(y, {1}) : y;
}

struct Case {
  Shape a, b;
  xt::xarray<double> expected;  // numpy.matmul(seq(a, 0), seq(b, 1))
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {{4}, {4}, 1.5057917722636276},
      {{3, 4}, {4}, {1.5057917722636276, -0.9327363586051702, -2.3797968401326854}},
      {{4}, {4, 2}, {-0.42024981443302983, 0.32730018510077785}},
      {{3, 4},
       {4, 2},
       {{-0.42024981443302983, 0.32730018510077774},
        {-0.743354707724302, 0.36126656911710625},
        {-0.2762983320838805, 0.01121863572893071}}},
      {{2, 3, 4},
       {2, 4, 2},
       {{{-0.42024981443302983, 0.32730018510077774},
         {-0.743354707724302, 0.36126656911710625},
         {-0.2762983320838805, 0.01121863572893071}},
        {{0.1409102830781408, 0.6935884762037476},
         {0.050175154595443965, 0.8961647869977917},
         {-0.09389449025205737, 0.1461478096778878}}}},
      {{1, 3, 4},
       {2, 4, 2},
       {{{-0.42024981443302983, 0.32730018510077774},
         {-0.743354707724302, 0.36126656911710625},
         {-0.2762983320838805, 0.01121863572893071}},
        {{-0.14202227854108002, -0.6198808718726629},
         {-0.06420241078084156, -0.9243322422443717},
         {0.08186247896408165, -0.24624925875123155}}}},
      {{2, 3, 4},
       {1, 4, 2},
       {{{-0.42024981443302983, 0.32730018510077774},
         {-0.743354707724302, 0.36126656911710625},
         {-0.2762983320838805, 0.01121863572893071}},
        {{0.48445395805672914, -0.35075433338060774},
         {0.7302478437379445, -0.3398871411682578},
         {0.19981261988802781, 0.032268749384696004}}}},
      {{2, 3, 4},
       {4, 2},
       {{{-0.42024981443302983, 0.32730018510077774},
         {-0.743354707724302, 0.36126656911710625},
         {-0.2762983320838805, 0.01121863572893071}},
        {{0.48445395805672914, -0.35075433338060774},
         {0.7302478437379445, -0.3398871411682578},
         {0.19981261988802781, 0.032268749384696004}}}},
      {{3, 4},
       {2, 4, 2},
       {{{-0.42024981443302983, 0.32730018510077774},
         {-0.743354707724302, 0.36126656911710625},
         {-0.2762983320838805, 0.01121863572893071}},
        {{-0.14202227854108002, -0.6198808718726629},
         {-0.06420241078084156, -0.9243322422443717},
         {0.08186247896408165, -0.24624925875123155}}}},
      {{2, 3, 4},
       {4},
       {{1.5057917722636276, -0.9327363586051702, -2.3797968401326854},
        {-1.2972126292150725, 1.1642653541153738, 2.3881680856560514}}},
      {{4}, {2, 4, 2}, {{-0.42024981443302983, 0.32730018510077785}, {-0.14202227854107996, -0.6198808718726629}}},
  };
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linalg)

BOOST_AUTO_TEST_CASE(values_against_numpy_float64) {
  for (const auto& c : cases()) {
    BOOST_TEST_CONTEXT(to_string(c.a) << " by " << to_string(c.b)) {
      check_values(matmul(seq(c.a, 0), seq(c.b, 1)), c.expected, 1e-12, 1e-14);
    }
  }
}

BOOST_AUTO_TEST_CASE(values_against_numpy_float32) {
  for (const auto& c : cases()) {
    BOOST_TEST_CONTEXT(to_string(c.a) << " by " << to_string(c.b)) {
      Tensor y = matmul(seq(c.a, 0, float32), seq(c.b, 1, float32));
      BOOST_TEST((y.dtype() == float32));
      check_values(y, c.expected, 1e-5, 1e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_in_every_rank_combination) {
  std::uint64_t seed = 10;
  for (const auto& c : cases()) {
    BOOST_TEST_CONTEXT(to_string(c.a) << " by " << to_string(c.b)) {
      check_gradient(mm, {random_input(c.a, seed), random_input(c.b, seed + 1)});
      // Only one operand differentiable: the other gradient is skipped.
      check_gradient(mm, {random_input(c.a, seed + 2), random_input(c.b, seed + 3).detach()});
      check_gradient(mm, {random_input(c.a, seed + 4).detach(), random_input(c.b, seed + 5)});
    }
    seed += 10;
  }
}

BOOST_AUTO_TEST_CASE(gradient_values_against_numpy) {
  // a (2,3), b (3,2): dL/da = ones(2,2)·bᵀ, dL/db = aᵀ·ones(2,2) for L = sum(a·b)
  Tensor a = seq({2, 3}, 0).requires_grad_(), b = seq({3, 2}, 1).requires_grad_();
  sum(matmul(a, b)).backward();
  check_values(a.grad(), {{1.3324831367599597, -1.5910415986203976, 1.39420816723998},
                          {1.3324831367599597, -1.5910415986203976, 1.39420816723998}},
               1e-12, 1e-14);
  check_values(b.grad(), {{-0.47217653528531317, -0.47217653528531317},
                          {0.4231620882805579, 0.4231620882805579},
                          {0.6985672611520796, 0.6985672611520796}},
               1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(transposed_views_are_read_in_place) {
  Tensor x = seq({3, 4}, 0);
  Tensor t = transpose(x);
  BOOST_TEST(t.impl().owner == x.impl().owner);  // shares the buffer ...
  BOOST_TEST(t.impl().data == x.impl().data);
  BOOST_TEST(!t.is_contiguous());  // ... as a column-major (4,3) view
  const auto layout = kernels::blas_matrix(t);
  BOOST_TEST(layout.usable);  // so matmul hands it to BLAS with CblasTrans, without a copy
  BOOST_TEST(layout.transposed);
  BOOST_TEST(layout.leading_dim == 4);

  const auto plain = kernels::blas_matrix(x);
  BOOST_TEST((plain.usable && !plain.transposed && plain.leading_dim == 4));
  // Narrowed columns keep the parent's leading dimension, in both orientations.
  const auto cols = kernels::blas_matrix(narrow(x, 1, 1, 2));
  BOOST_TEST((cols.usable && !cols.transposed && cols.leading_dim == 4));
  const auto cols_t = kernels::blas_matrix(transpose(narrow(x, 1, 1, 2)));
  BOOST_TEST((cols_t.usable && cols_t.transposed && cols_t.leading_dim == 4));
  // Single rows and columns, whatever their other stride.
  BOOST_TEST(kernels::blas_matrix(narrow(t, 0, 2, 1)).usable);
  BOOST_TEST(kernels::blas_matrix(narrow(x, 1, 3, 1)).usable);
  // Layouts BLAS cannot describe: repeated rows, strided both ways.
  BOOST_TEST(!kernels::blas_matrix(broadcast_to(seq({1, 4}, 0), {3, 4})).usable);
  BOOST_TEST(!kernels::blas_matrix(squeeze(narrow(seq({2, 3, 4}, 0), 2, 1, 1), 2)).usable);
}

BOOST_AUTO_TEST_CASE(strided_operands_match_contiguous_copies) {
  const Tensor a = seq({4, 3}, 0), b = seq({4, 2}, 1), c = seq({2, 3}, 2);
  check_same_as_contiguous(transpose(a), b);                    // gemm, A with CblasTrans
  check_same_as_contiguous(transpose(a), transpose(seq({2, 4}, 9)));  // both transposed
  check_same_as_contiguous(c, transpose(c));                    // B with CblasTrans
  check_same_as_contiguous(transpose(a), seq({4}, 3));          // gemv on a transposed matrix
  check_same_as_contiguous(seq({4}, 3), a);                     // vector · matrix: gemv with Trans
  check_same_as_contiguous(seq({3}, 3), transpose(a));          // vector · transposed matrix
  check_same_as_contiguous(narrow(b, 1, 1, 1), narrow(c, 0, 1, 1));  // column · row: k = 1
  check_same_as_contiguous(transpose(narrow(a, 0, 0, 1)), narrow(c, 0, 1, 1));
  check_same_as_contiguous(narrow(seq({3, 6}, 4), 1, 1, 4), b);    // leading dimension 6 > 4 columns
  check_same_as_contiguous(transpose(narrow(seq({6, 3}, 4), 0, 2, 4)), b);
  check_same_as_contiguous(narrow(seq({3, 4}, 5), 0, 1, 1), b);     // a 1×k matrix: gemv
  check_same_as_contiguous(transpose(b), narrow(a, 1, 2, 1));        // an n = 1 matrix: gemv
  check_same_as_contiguous(transpose(narrow(a, 1, 2, 1)), narrow(b, 1, 0, 1));  // 1×1: dot
  // Vectors with a stride: a column of a matrix, a transposed row.
  check_same_as_contiguous(squeeze(narrow(a, 1, 1, 1), 1), b);
  check_same_as_contiguous(transpose(b), squeeze(narrow(a, 1, 1, 1), 1));
  check_same_as_contiguous(squeeze(narrow(a, 1, 1, 1), 1), squeeze(narrow(b, 1, 0, 1), 1));
  // Layouts BLAS cannot read are copied first.
  check_same_as_contiguous(broadcast_to(seq({1, 4}, 6), {3, 4}), b);
  check_same_as_contiguous(squeeze(narrow(seq({3, 4, 2}, 7), 2, 1, 1), 2), b);
  check_same_as_contiguous(seq({2, 4}, 8), broadcast_to(seq({4, 1}, 6), {4, 3}));
  check_same_as_contiguous(broadcast_to(seq({1}, 6), {4}), b);  // a vector with stride 0
  check_same_as_contiguous(c, broadcast_to(seq({1}, 6), {3}));
}

BOOST_AUTO_TEST_CASE(strided_batches_match_contiguous_copies) {
  const Tensor a = seq({2, 4, 3}, 0), b = seq({2, 4, 5}, 1);
  check_same_as_contiguous(transpose(a), b);                                   // each batch with CblasTrans
  check_same_as_contiguous(transpose(a), transpose(seq({2, 5, 4}, 2)));
  check_same_as_contiguous(permute(seq({4, 2, 3}, 3), {1, 2, 0}), b);          // batch stride 3, ld 6
  check_same_as_contiguous(transpose(a), seq({4, 5}, 4));                      // no tall-matrix shortcut
  check_same_as_contiguous(seq({2, 3, 4}, 5), transpose(seq({5, 4}, 4)));      // tall matrix, B transposed
  check_same_as_contiguous(seq({3, 1, 4}, 5), seq({4, 5}, 4));                 // batches of rows: tall matrix
  check_same_as_contiguous(seq({3, 1, 4}, 5), seq({4}, 4));
  check_same_as_contiguous(seq({3, 2, 4}, 5), seq({4, 1}, 4));                 // tall matrix · column: gemv
  check_same_as_contiguous(narrow(seq({2, 5, 4}, 6), 1, 1, 3), seq({4, 2}, 4));  // gaps between batches
  check_same_as_contiguous(broadcast_to(seq({1, 3, 4}, 6), {2, 3, 4}), seq({4, 2}, 4));  // batch stride 0
  check_same_as_contiguous(seq({5, 3}, 7), transpose(a));                      // 2-D · transposed batches
  check_same_as_contiguous(transpose(seq({4, 3}, 7)), b);
  check_same_as_contiguous(seq({4}, 7), transpose(seq({2, 5, 4}, 2)));
  check_same_as_contiguous(transpose(a), seq({4}, 7));
  check_same_as_contiguous(transpose(seq({1, 4, 3}, 8)), b);                   // broadcast batch, transposed
}

BOOST_AUTO_TEST_CASE(gradients_through_transposed_and_strided_operands) {
  check_gradient([](const std::vector<Tensor>& x) { return matmul(transpose(x[0]), x[1]); },
                 {random_input({4, 3}, 1), random_input({4, 2}, 2)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(transpose(x[0]), transpose(x[1])); },
                 {random_input({4, 3}, 3), random_input({2, 4}, 4)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(transpose(x[0]), x[1]); },
                 {random_input({2, 4, 3}, 5), random_input({4, 2}, 6)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(x[0], transpose(x[1])); },
                 {random_input({2, 3, 4}, 7), random_input({1, 2, 4}, 8)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(permute(x[0], {1, 2, 0}), x[1]); },
                 {random_input({3, 2, 4}, 9), random_input({3, 2}, 10)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(narrow(x[0], 1, 1, 3), transpose(x[1])); },
                 {random_input({2, 5, 4}, 11), random_input({3, 4}, 12)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(transpose(x[1]), squeeze(narrow(x[0], 1, 1, 1))); },
                 {random_input({4, 3}, 13), random_input({4, 2}, 14)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(broadcast_to(x[0], {3, 4}), x[1]); },
                 {random_input({1, 4}, 15), random_input({4, 2}, 16)});
  check_gradient([](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
                 {random_input({3, 1, 4}, 17), random_input({4, 2}, 18)});
}

BOOST_AUTO_TEST_CASE(larger_products_float32) {
  // Big enough for OpenBLAS's blocked (and threaded) kernels; float32 against float64.
  const Tensor a = seq({67, 130}, 0), b = seq({130, 45}, 1), at = seq({130, 67}, 2);
  check_values(matmul(a.to(float32), b.to(float32)), values(matmul(a, b)), 1e-4, 1e-4);
  check_values(matmul(transpose(at.to(float32)), b.to(float32)), values(matmul(transpose(at).contiguous(), b)), 1e-4,
               1e-4);
  check_values(matmul(b.to(float32), transpose(b.to(float32))), values(matmul(b, transpose(b).contiguous())), 1e-4,
               1e-4);
}

BOOST_AUTO_TEST_CASE(empty_operands) {
  check_values(matmul(zeros({3, 0}, float64), zeros({0, 2}, float64)), xt::zeros<double>({3, 2}));
  check_values(matmul(zeros({0}, float64), zeros({0}, float64)), 0.0);
  BOOST_TEST(to_string(matmul(zeros({0, 3}), zeros({3, 2})).shape()) == "(0,2)");
  BOOST_TEST(to_string(matmul(zeros({2, 0, 3}), zeros({3, 2})).shape()) == "(2,0,2)");
  BOOST_TEST(to_string(matmul(zeros({0, 2, 3}), zeros({1, 3, 2})).shape()) == "(0,2,2)");
}

BOOST_AUTO_TEST_CASE(errors) {
  try {
    matmul(zeros({3, 4}), zeros({5, 2}));
    BOOST_TEST(false, "no error thrown");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()) == "matmul: cannot multiply (3,4) by (5,2)");
  }
  check_error([] { matmul(zeros({4}), zeros({5})); }, "matmul: cannot multiply (4,) by (5,)");
  check_error([] { matmul(zeros({2, 3, 4}), zeros({2, 5, 2})); }, "matmul: cannot multiply (2,3,4) by (2,5,2)");
  check_error([] { matmul(zeros({3}), zeros({2, 4, 2})); }, "matmul: cannot multiply (3,) by (2,4,2)");
  check_error([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); }, "batch sizes 2 and 3 differ");
  check_error([] { matmul(zeros({}), zeros({3})); },
              "matmul: both operands need at least one dimension, got () and (3,)");
  check_error([] { matmul(zeros({3, 3}), zeros({})); }, "at least one dimension");
  check_error([] { matmul(zeros({2, 2, 3, 4}), zeros({3, 4, 5})); },
              "matmul: cannot multiply (2,2,3,4) by (3,4,5): batch sizes 2 and 3 differ (and neither is 1)");
  check_error([] { matmul(zeros({2, 1, 3, 4}), zeros({2, 5, 4})); }, "cannot multiply (2,1,3,4) by (2,5,4)");
  check_error([] { matmul(zeros({3, 4}), zeros({4, 5}, float64)); },
              "matmul: dtype mismatch: float32 (3,4) and float64 (4,5)");
  check_error([] { matmul(zeros({3, 4}, int64), zeros({4, 5}, int64)); },
              "matmul: expected float32 or float64 operands, got int64");
  check_error([] { matmul(zeros({3, 4}, boolean), zeros({4, 5}, boolean)); }, "got bool");
}

// --- N-D operands: batch dimensions broadcast (torch.matmul) ---------------------------------

namespace {

struct NdCase {
  const char* name;
  Shape a, b;
  const std::vector<double>&y, &da, &db;
};

const std::vector<NdCase>& nd_cases() {
  static const std::vector<NdCase> all{
      {"bcast4d", {2, 1, 3, 4}, {5, 4, 6}, bcast4d_y, bcast4d_da, bcast4d_db},
      {"batch4d_2d", {2, 3, 4, 5}, {5, 2}, batch4d_2d_y, batch4d_2d_da, batch4d_2d_db},
      {"m2d_batch4d", {3, 4}, {2, 2, 4, 3}, m2d_batch4d_y, m2d_batch4d_da, m2d_batch4d_db},
      {"vec_4d", {4}, {2, 3, 4, 5}, vec_4d_y, vec_4d_da, vec_4d_db},
      {"m4d_vec", {2, 3, 4, 5}, {5}, m4d_vec_y, m4d_vec_da, m4d_vec_db},
      {"both4d", {1, 2, 3, 4}, {3, 1, 4, 2}, both4d_y, both4d_da, both4d_db},
      {"m5d", {2, 1, 2, 3, 4}, {1, 3, 1, 4, 2}, m5d_y, m5d_da, m5d_db},
  };
  return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(nd_values_and_gradients_against_pytorch) {
  const std::vector<std::string> shapes{"(2,5,3,6)", "(2,3,4,2)", "(2,2,3,3)", "(2,3,5)", "(2,3,4)", "(3,2,3,2)",
                                        "(2,3,2,3,2)"};
  for (std::size_t i = 0; i < nd_cases().size(); ++i) {
    const NdCase& c = nd_cases()[i];
    BOOST_TEST_CONTEXT(c.name) {
      const Tensor a = testing::sine_filled(c.a, 1, 0.7, 0.1).requires_grad_();
      const Tensor b = testing::sine_filled(c.b, 1, 0.3, 0.2).requires_grad_();
      const Tensor y = matmul(a, b);
      BOOST_TEST(to_string(y.shape()) == shapes[i]);
      testing::check_close(y, c.y);
      y.backward(testing::cosine_upstream(y.shape()));
      testing::check_close(a.grad(), c.da);
      testing::check_close(b.grad(), c.db);
      // float32: the same products to float32 precision
      check_values(matmul(a.detach().to(float32), b.detach().to(float32)), values(y), 1e-5, 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(nd_second_order_with_broadcasting) {
  std::uint64_t seed = 300;
  for (const NdCase& c : nd_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      testing::check_second_order(mm, {random_input(c.a, seed), random_input(c.b, seed + 1)});
      testing::check_second_order(mm, {random_input(c.a, seed + 2).detach(), random_input(c.b, seed + 3)});
    }
    seed += 10;
  }
  // Transposed and strided 4-D operands.
  testing::check_second_order([](const std::vector<Tensor>& x) { return matmul(transpose(x[0], 1, 2), transpose(x[1])); },
                              {random_input({2, 3, 2, 4}, 400), random_input({2, 1, 5, 4}, 401)});
}

BOOST_AUTO_TEST_CASE(nd_strided_views_match_contiguous_copies) {
  // The head split of attention: (B, T, 3·h·d) viewed as (B, T, 3, h, d), q = [:, :, 0] as (B, h, T, d).
  const Tensor qkv = seq({2, 5, 3 * 2 * 4}, 0);
  const auto head = [&](std::ptrdiff_t i) {
    return transpose(squeeze(narrow(reshape(qkv, {2, 5, 3, 2, 4}), 2, i, 1), 2), 1, 2);
  };
  const Tensor q = head(0), k = head(1);
  BOOST_TEST(to_string(q.shape()) == "(2,2,5,4)");
  BOOST_TEST(q.impl().data == qkv.impl().data);  // a view
  // Each head's (T, d) matrix is row-major with leading dimension 3·h·d: BLAS reads it in place ...
  const auto layout = kernels::blas_matrix(5, 4, q.strides()[2], q.strides()[3]);
  BOOST_TEST((layout.usable && !layout.transposed && layout.leading_dim == 24));
  // ... at offsets b·T·3hd + h·d
  const auto offsets = kernels::batch_offsets(q, {2, 2});
  const std::vector<std::ptrdiff_t> expected{0, 4, 120, 124};
  BOOST_TEST((std::vector<std::ptrdiff_t>(offsets.begin(), offsets.end()) == expected));
  check_same_as_contiguous(q, transpose(k));
  check_same_as_contiguous(transpose(q), k);
  check_same_as_contiguous(q, seq({4, 3}, 1));
  check_same_as_contiguous(seq({5}, 1), q);
  check_same_as_contiguous(broadcast_to(seq({1, 1, 3, 5}, 2), {2, 2, 3, 5}), q);  // stride-0 batches
  check_same_as_contiguous(seq({2, 1, 1, 5}, 2), q);
  check_same_as_contiguous(permute(seq({5, 2, 3, 4}, 3), {1, 2, 0, 3}), seq({4, 2}, 4));  // tall matrix not possible
  check_same_as_contiguous(seq({2, 3, 5, 4}, 3), seq({4, 2}, 4));                           // tall matrix
  // Gradients through the views land in qkv's layout.
  check_gradient([](const std::vector<Tensor>& x) {
    const Tensor v = reshape(x[0], {2, 3, 3, 2, 2});
    const Tensor a = transpose(squeeze(narrow(v, 2, 0, 1), 2), 1, 2), b = transpose(squeeze(narrow(v, 2, 1, 1), 2), 1, 2);
    return matmul(a, transpose(b));
  }, {random_input({2, 3, 12}, 410)});
}

BOOST_AUTO_TEST_CASE(nd_empty_batches) {
  BOOST_TEST(to_string(matmul(zeros({2, 0, 3, 4}), zeros({4, 2})).shape()) == "(2,0,3,2)");
  BOOST_TEST(to_string(matmul(zeros({0, 1, 3, 4}), zeros({5, 4, 2})).shape()) == "(0,5,3,2)");
  check_values(matmul(zeros({2, 1, 3, 0}, float64), zeros({2, 0, 2}, float64)), xt::zeros<double>({2, 2, 3, 2}));
}

BOOST_AUTO_TEST_SUITE_END()
