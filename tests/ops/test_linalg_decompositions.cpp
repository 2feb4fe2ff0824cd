#include "support/check.hpp"
#include "support/closed_form.hpp"

#include <cmath>
#include <limits>

using namespace descent;
using testing::check_close;
using testing::check_error;
using testing::check_second_order;
using testing::cosine_upstream;
using testing::random_input;
using testing::sine_filled;

namespace {

#include "ops/linalg_decompositions_values.inc"

const double inf = std::numeric_limits<double>::infinity();

/// The reference script's inputs (linalg_decompositions_reference.py), as leaves.
Tensor leaf(Tensor t) { return t.detach().requires_grad_(); }
Tensor filled(const Shape& s, double b, double c) { return leaf(sine_filled(s, 1, b, c)); }
/// sines + n·I: well-conditioned square matrices.
Tensor square(const Shape& s, double c) {
  return leaf(sine_filled(s, 1, 0.7, c) + static_cast<double>(s.back()) * eye(s.back(), float64));
}
/// sines + 2·I (I m×n): sines alone are matrices of rank 2.
Tensor shifted(const Shape& s, double b, double c) {
  return leaf(sine_filled(s, 1, b, c) + 2.0 * eye(s[s.size() - 2], s.back(), float64));
}

void backward_cosine(const Tensor& y) { y.backward(cosine_upstream(y.shape())); }

/// A 0-d result as shape (1): what gradcheck sums.
Tensor at_least_1d(const Tensor& y) { return y.dim() == 0 ? reshape(y, {1}) : y; }

/// t[0].
Tensor select_first(const Tensor& t) { return squeeze(narrow(t, 0, 0, 1), 0); }

/// x + 3·I for random x: comfortably invertible.
Tensor plus_identity(const Tensor& x) { return x + 3.0 * eye(x.size(-1), x.dtype()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(linalg_solve)

BOOST_AUTO_TEST_CASE(matches_pytorch) {
  struct Case {
    Shape a, b;
    bool left;
    const std::vector<double>&x, &da, &db;
  };
  const std::vector<Case> cases{{{3, 3}, {3, 2}, true, solve_2d_x, solve_2d_da, solve_2d_db},
                                {{2, 3, 3}, {3}, true, solve_vec_x, solve_vec_da, solve_vec_db},
                                {{2, 3, 3}, {2, 3}, true, solve_bvec_x, solve_bvec_da, solve_bvec_db},
                                {{2, 1, 3, 3}, {4, 3, 2}, true, solve_bcast_x, solve_bcast_da, solve_bcast_db},
                                {{2, 3, 3}, {4, 3}, false, solve_right_x, solve_right_da, solve_right_db}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.a) << " " << to_string(c.b) << " left " << c.left) {
      const Tensor a = square(c.a, 0.1), b = filled(c.b, 0.3, 0.2);
      const Tensor x = linalg::solve(a, b, c.left);
      check_close(x, c.x);
      backward_cosine(x);
      check_close(a.grad(), c.da);
      check_close(b.grad(), c.db);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  const auto f = [](const std::vector<Tensor>& x) { return linalg::solve(plus_identity(x[0]), x[1]); };
  check_second_order(f, {random_input({3, 3}, 1), random_input({3, 2}, 2)});
  check_second_order(f, {random_input({2, 1, 3, 3}, 3), random_input({2, 3, 1}, 4)});  // broadcast batches
  check_second_order(f, {random_input({2, 3, 3}, 5), random_input({3}, 6)});           // a vector B
  check_second_order(f, {random_input({2, 3, 3}, 7), random_input({2, 3}, 8)});        // a batch of vectors
  check_second_order([](const std::vector<Tensor>& x) { return linalg::solve(plus_identity(x[0]), x[1], false); },
                     {random_input({2, 3, 3}, 9), random_input({4, 3}, 10)});  // X·A = B
}

BOOST_AUTO_TEST_CASE(float32_views_and_empty_batches) {
  const Tensor a = square({2, 3, 3}, 0.1).detach(), b = filled({3, 2}, 0.3, 0.2).detach();
  const Tensor x32 = linalg::solve(a.to(float32), b.to(float32));
  BOOST_TEST((x32.dtype() == float32));
  testing::check_values(x32, linalg::solve(a, b).to_xarray<double>(), 1e-5, 1e-6);
  BOOST_TEST(to_string(linalg::solve(zeros({0, 3, 3}, float64), b).shape()) == to_string(Shape{0, 3, 2}));
  // strided views (a transpose, a broadcast B) give what their contiguous copies give
  testing::check_values(linalg::solve(transpose(a), transpose(b)),
                        linalg::solve(transpose(a).contiguous(), transpose(b).contiguous()).to_xarray<double>(), 1e-12,
                        1e-12);
  testing::check_values(linalg::det(transpose(a)), linalg::det(a).to_xarray<double>(), 1e-12, 1e-12);
  testing::check_values(linalg::inv(transpose(a)), transpose(linalg::inv(a)).contiguous().to_xarray<double>(), 1e-12,
                        1e-12);
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  Tensor a = eye(2, float64).clone();
  a.data<double>()[3] = 0;
  check_error([&] { linalg::solve(a, ones({2}, float64)); },
              "linalg.solve: The solver failed because the input matrix is singular (A (2,2), B (2,))");
  const Tensor batch = stack({eye(2, float64), a});
  check_error([&] { linalg::solve(batch, ones({2}, float64)); }, "linalg.solve: (batch element 1) The solver failed");
  check_error(
      [&] {
        linalg::solve(eye(3, float64), ones({4, 2}, float64));
      },
      "incompatible shapes of A and B for the equation A·X = B ((3,3) and (4,2))");
  check_error(
      [&] {
        linalg::solve(ones({2, 3}, float64), ones({2}, float64));
      },
      "square matrices, but they are 2 by 3");
  check_error([&] { linalg::solve(eye(2, float32), ones({2}, float64)); }, "linalg.solve");
  check_error([&] { linalg::solve(ones({2}, float64), ones({2}, float64)); }, "at least 2 dimensions");
  check_error(
      [&] {
        linalg::solve(ones({2, 3, 3}, float64), ones({4, 3, 1}, float64));
      },
      "linalg.solve: cannot broadcast");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg_inv_det)

BOOST_AUTO_TEST_CASE(inv_matches_pytorch) {
  for (const auto& [shape, y_ref, da_ref] :
       {std::tuple{Shape{3, 3}, inv_2d_y, inv_2d_da}, std::tuple{Shape{2, 3, 3}, inv_3d_y, inv_3d_da}}) {
    const Tensor a = square(shape, 0.4);
    const Tensor y = linalg::inv(a);
    check_close(y, y_ref);
    backward_cosine(y);
    check_close(a.grad(), da_ref);
  }
}

BOOST_AUTO_TEST_CASE(det_matches_pytorch) {
  for (const auto& [shape, y_ref, da_ref] :
       {std::tuple{Shape{3, 3}, det_2d_y, det_2d_da}, std::tuple{Shape{2, 4, 4}, det_3d_y, det_3d_da}}) {
    const Tensor a = shifted(shape, 0.9, 0.3);
    const Tensor y = linalg::det(a);
    BOOST_TEST(to_string(y.shape()) == to_string(Shape(shape.begin(), shape.end() - 2)));
    check_close(y, y_ref);
    backward_cosine(y);
    check_close(a.grad(), da_ref);
  }
  // A row swap flips the sign; a singular matrix has determinant 0; a 0×0 matrix 1.
  const Tensor swap = tensor(xt::xarray<double>{{0, 1}, {1, 0}}, float64);
  BOOST_TEST(linalg::det(swap).item<double>() == -1.0);
  BOOST_TEST(linalg::det(zeros({2, 2}, float32)).item<float>() == 0.0f);
  BOOST_TEST(linalg::det(zeros({0, 0}, float64)).item<double>() == 1.0);
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  check_second_order([](const std::vector<Tensor>& x) { return linalg::inv(plus_identity(x[0])); },
                     {random_input({2, 3, 3}, 11)});
  check_second_order([](const std::vector<Tensor>& x) { return at_least_1d(linalg::det(x[0])); },
                     {random_input({3, 3}, 12)});
  check_second_order([](const std::vector<Tensor>& x) { return linalg::det(x[0]); }, {random_input({2, 4, 4}, 13)});
}

BOOST_AUTO_TEST_CASE(single_precision) {
  const Tensor a = square({2, 3, 3}, 0.4).detach();
  testing::check_values(linalg::inv(a.to(float32)), linalg::inv(a).to_xarray<double>(), 1e-5, 1e-6);
  testing::check_values(linalg::det(a.to(float32)), linalg::det(a).to_xarray<double>(), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(errors) {
  check_error([] { linalg::inv(zeros({2, 2, 2}, float64)); }, "linalg.inv: (batch element 0) The diagonal element");
  check_error([] { linalg::inv(zeros({2, 3}, float64)); }, "linalg.inv: A must be batches of square matrices");
  check_error([] { linalg::det(ones({2, 2}, int64)); }, "linalg.det: expected a float32 or float64 tensor");
  const Tensor singular = ones({2, 2}, float64).requires_grad_();
  check_error([&] { linalg::det(singular).backward(); }, "linalg.det: its gradient at a singular matrix");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg_cholesky)

BOOST_AUTO_TEST_CASE(matches_pytorch) {
  for (const auto& [shape, upper, y_ref, dx_ref] :
       {std::tuple{Shape{2, 3, 3}, false, cholesky_lower_y, cholesky_lower_dx},
        std::tuple{Shape{3, 3}, true, cholesky_upper_y, cholesky_upper_dx}}) {
    const Tensor x = filled(shape, 0.8, 0.5);
    const Tensor y = linalg::cholesky(matmul(x, transpose(x)) + eye(shape.back(), float64), upper);
    check_close(y, y_ref);
    backward_cosine(y);
    check_close(x.grad(), dx_ref);
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  for (const bool upper : {false, true}) {
    check_second_order(
        [upper](const std::vector<Tensor>& x) {
          return linalg::cholesky(matmul(x[0], transpose(x[0])) + eye(x[0].size(-1), float64), upper);
        },
        {random_input({2, 3, 3}, 21 + upper)});
  }
}

BOOST_AUTO_TEST_CASE(reads_the_lower_triangle_and_float32) {
  const Tensor x = filled({3, 3}, 0.8, 0.5).detach();
  const Tensor a = matmul(x, transpose(x)) + eye(3, float64);
  // only the lower triangle is read, as LAPACK's potrf('L') in PyTorch
  testing::check_values(linalg::cholesky(tril(a) + 100.0 * triu(ones({3, 3}, float64), 1)),
                        linalg::cholesky(a).to_xarray<double>(), 1e-12, 1e-12);
  testing::check_values(linalg::cholesky(a.to(float32)), linalg::cholesky(a).to_xarray<double>(), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(errors) {
  Tensor a = eye(3, float64).clone();
  a.data<double>()[4] = -1;
  check_error([&] { linalg::cholesky(a); },
              "linalg.cholesky: The factorization could not be completed because the input is not positive-definite "
              "(the leading minor of order 2 is not positive-definite; A (3,3)).");
  check_error(
      [&] {
        linalg::cholesky(stack({eye(3, float64), a}));
      },
      "linalg.cholesky: (batch element 1) The factorization");
  check_error([] { linalg::cholesky(ones({3, 2}, float64)); }, "linalg.cholesky: A must be batches of square matrices");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg_qr)

BOOST_AUTO_TEST_CASE(matches_pytorch) {
  struct Case {
    Shape shape;
    std::string mode;
    const std::vector<double>&q, &r, *da;
  };
  const std::vector<Case> cases{
      {{4, 3}, "reduced", qr_reduced_q, qr_reduced_r, &qr_reduced_da},
      {{2, 5, 3}, "reduced", qr_batched_q, qr_batched_r, &qr_batched_da},
      {{3, 3}, "complete", qr_square_complete_q, qr_square_complete_r, &qr_square_complete_da},
      {{4, 2}, "complete", qr_tall_complete_q, qr_tall_complete_r, nullptr},
      {{2, 4}, "reduced", qr_wide_q, qr_wide_r, &qr_wide_da}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.shape) << " " << c.mode) {
      const Tensor a = shifted(c.shape, 0.6, 0.2);
      const auto [q, r] = linalg::qr(a, c.mode);
      check_close(q, c.q);
      check_close(r, c.r);
      if (!c.da) continue;
      autograd::backward({q, r}, {cosine_upstream(q.shape()), cosine_upstream(r.shape())});
      check_close(a.grad(), *c.da);
    }
  }
  const auto r_only = linalg::qr(shifted({4, 3}, 0.6, 0.2), "r");
  BOOST_TEST(!r_only.Q.defined());
  check_close(r_only.R, qr_r_mode_r);
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  check_second_order([](const std::vector<Tensor>& x) { return linalg::qr(x[0]).Q; }, {random_input({4, 3}, 31)});
  check_second_order([](const std::vector<Tensor>& x) { return linalg::qr(x[0]).R; }, {random_input({2, 4, 3}, 32)});
  check_second_order(
      [](const std::vector<Tensor>& x) {
        const auto [q, r] = linalg::qr(x[0], "complete");
        return q + r;
      },
      {random_input({3, 3}, 33)});
  check_second_order(
      [](const std::vector<Tensor>& x) {
        const auto [q, r] = linalg::qr(x[0]);
        return concat({q, r}, -1);
      },
      {random_input({2, 2, 4}, 35)});  // wide
}

BOOST_AUTO_TEST_CASE(empty_matrices) {  // torch's shapes; the complete Q of a (3, 0) matrix is I
  const auto complete = linalg::qr(zeros({3, 0}, float64), "complete");
  testing::check_values(complete.Q, eye(3, float64).to_xarray<double>());
  BOOST_TEST(to_string(complete.R.shape()) == "(3,0)");
  const auto reduced = linalg::qr(zeros({3, 0}, float64));
  BOOST_TEST(to_string(reduced.Q.shape()) + to_string(reduced.R.shape()) == "(3,0)(0,0)");
  const auto wide = linalg::qr(zeros({0, 3}, float64));
  BOOST_TEST(to_string(wide.Q.shape()) + to_string(wide.R.shape()) == "(0,0)(0,3)");
}

BOOST_AUTO_TEST_CASE(float32_and_errors) {
  const Tensor a = shifted({2, 5, 3}, 0.6, 0.2).detach();
  const auto q32 = linalg::qr(a.to(float32));
  testing::check_values(q32.Q, linalg::qr(a).Q.to_xarray<double>(), 1e-5, 1e-6);
  check_error([&] { linalg::qr(a, "full"); }, "linalg.qr: qr received unrecognized mode 'full'");
  const Tensor x = random_input({3, 2}, 34);
  check_error([&] { sum(linalg::qr(x, "r").R).backward(); }, "not computed when mode='r'");
  check_error([&] { sum(linalg::qr(x, "complete").Q).backward(); },
              "not differentiable when mode='complete' and nrows > ncols");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg_lstsq)

BOOST_AUTO_TEST_CASE(matches_pytorch) {
  struct Case {
    Shape a, b;
    const std::vector<double>&x, &da, &db;
  };
  const std::vector<Case> cases{{{5, 3}, {5, 2}, lstsq_tall_x, lstsq_tall_da, lstsq_tall_db},
                                {{2, 4}, {2, 3}, lstsq_wide_x, lstsq_wide_da, lstsq_wide_db},
                                {{2, 4, 3}, {1, 4, 2}, lstsq_batched_x, lstsq_batched_da, lstsq_batched_db},
                                {{2, 4, 3}, {2, 4}, lstsq_vec_x, lstsq_vec_da, lstsq_vec_db}};
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.a) << " " << to_string(c.b)) {
      const Tensor a = shifted(c.a, 0.6, 0.3), b = filled(c.b, 0.4, 0.1);
      const Tensor x = linalg::lstsq(a, b).solution;
      check_close(x, c.x);
      backward_cosine(x);
      check_close(a.grad(), c.da);
      check_close(b.grad(), c.db);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  const auto f = [](const std::vector<Tensor>& x) { return linalg::lstsq(x[0], x[1]).solution; };
  check_second_order(f, {random_input({5, 3}, 41), random_input({5, 2}, 42)});
  check_second_order(f, {random_input({2, 4}, 43), random_input({2, 3}, 44)});
  check_second_order(f, {random_input({2, 4, 3}, 45), random_input({1, 4, 2}, 46)});
}

BOOST_AUTO_TEST_CASE(float32_and_errors) {
  const Tensor a = shifted({5, 3}, 0.6, 0.3).detach(), b = filled({5, 2}, 0.4, 0.1).detach();
  testing::check_values(linalg::lstsq(a.to(float32), b.to(float32)).solution,
                        linalg::lstsq(a, b).solution.to_xarray<double>(), 1e-4, 1e-5);
  // a zero column: R's diagonal has an exact 0 (gels's test; an all-zero A gives X = 0, the minimum norm)
  const Tensor deficient = tensor(xt::xarray<double>{{1, 0}, {2, 0}, {3, 0}}, float64);
  check_error(
      [&] {
        linalg::lstsq(deficient, ones({3, 1}, float64));
      },
      "linalg.lstsq: the input matrix A ((3,2)) does not have full rank");
  testing::check_values(linalg::lstsq(zeros({3, 2}, float64), ones({3, 1}, float64)).solution,
                        xt::zeros<double>({2, 1}));
  check_error([&] { linalg::lstsq(a, ones({4, 2}, float64)); }, "linalg.lstsq: incompatible shapes of A and B");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(linalg_norms)

BOOST_AUTO_TEST_CASE(matches_pytorch) {
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    const std::vector<double>&y, *dx;
  };
  const std::vector<Case> cases{
      {"vector 2", [](const Tensor& t) { return linalg::vector_norm(t); }, vnorm_2_all_y, &vnorm_2_all_dx},
      {"vector 1", [](const Tensor& t) { return linalg::vector_norm(t, 1, Axes{1}); }, vnorm_1_dim_y, &vnorm_1_dim_dx},
      {"vector inf",
       [](const Tensor& t) {
         return linalg::vector_norm(t, inf, Axes{0, 2}, true);
       },
       vnorm_inf_dim_y, &vnorm_inf_dim_dx},
      {"vector -inf", [](const Tensor& t) { return linalg::vector_norm(t, -inf, Axes{-1}); }, vnorm_ninf_dim_y,
       &vnorm_ninf_dim_dx},
      {"vector 3", [](const Tensor& t) { return linalg::vector_norm(t, 3, Axes{-1}, true); }, vnorm_3_dim_y,
       &vnorm_3_dim_dx},
      {"vector 0", [](const Tensor& t) { return linalg::vector_norm(t, 0, Axes{-1}); }, vnorm_0_dim_y, nullptr},
      {"matrix fro", [](const Tensor& t) { return linalg::matrix_norm(t); }, mnorm_fro_y, &mnorm_fro_dx},
      {"matrix 1", [](const Tensor& t) { return linalg::matrix_norm(t, 1); }, mnorm_1_y, &mnorm_1_dx},
      {"matrix -1",
       [](const Tensor& t) {
         return linalg::matrix_norm(t, -1, {0, 2}, true);
       },
       mnorm_n1_dims_y, &mnorm_n1_dims_dx},
      {"matrix inf", [](const Tensor& t) { return linalg::matrix_norm(t, inf); }, mnorm_inf_y, &mnorm_inf_dx},
      {"matrix -inf",
       [](const Tensor& t) {
         return linalg::matrix_norm(t, -inf, {2, 0});
       },
       mnorm_ninf_dims_y, &mnorm_ninf_dims_dx},
      {"norm", [](const Tensor& t) { return linalg::norm(t); }, norm_default_y, &norm_default_dx},
      {"norm dim 2",
       [](const Tensor& t) {
         return linalg::norm(t, std::nullopt, Axes{1, 2});
       },
       norm_dim2_y, &norm_dim2_dx},
      {"norm 2-d inf", [](const Tensor& t) { return linalg::norm(select_first(t), inf); }, norm_2d_inf_y,
       &norm_2d_inf_dx},
      {"norm 1-d 3", [](const Tensor& t) { return linalg::norm(select_first(select_first(t)), 3); }, norm_1d_3_y,
       &norm_1d_3_dx},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const Tensor x = filled({2, 3, 4}, 0.5, 0.3);
      const Tensor y = c.f(x);
      check_close(y, c.y);
      if (!c.dx) continue;
      backward_cosine(y);
      check_close(x.grad(), *c.dx);
    }
  }
}

BOOST_AUTO_TEST_CASE(two_norm_of_a_zero_vector) {
  for (const auto& [keepdim, y_ref, dx_ref] : {std::tuple{false, vnorm_2_zero_y, vnorm_2_zero_dx},
                                               std::tuple{true, norm_zero_keepdim_y, norm_zero_keepdim_dx}}) {
    const Tensor x = leaf(concat({zeros({1, 3}, float64), sine_filled({1, 3}, 1, 0.5, 0.3)}));
    const Tensor y = keepdim ? linalg::norm(x, std::nullopt, Axes{1}, true) : linalg::vector_norm(x, 2, Axes{1});
    check_close(y, y_ref);
    backward_cosine(y);
    check_close(x.grad(), dx_ref);
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_every_order) {
  for (const double ord : {1.0, 2.0, 3.0, inf, -inf}) {
    check_second_order([ord](const std::vector<Tensor>& x) { return linalg::vector_norm(x[0], ord, Axes{-1}); },
                       {random_input({2, 3}, 51)});
  }
  check_second_order([](const std::vector<Tensor>& x) { return linalg::matrix_norm(x[0]); },
                     {random_input({2, 3, 3}, 52)});
  for (const double ord : {1.0, -1.0, inf, -inf}) {
    check_second_order([ord](const std::vector<Tensor>& x) { return linalg::matrix_norm(x[0], ord); },
                       {random_input({2, 3, 3}, 53)});
  }
}

BOOST_AUTO_TEST_CASE(errors) {
  const Tensor x = ones({2, 3, 4}, float64);
  check_error([&] { linalg::matrix_norm(x, 2); }, "linalg.matrix_norm: Order 2 not supported");
  check_error([&] { linalg::matrix_norm(x, "nuc"); }, "linalg.matrix_norm: Order nuc not supported");
  check_error([&] { linalg::matrix_norm(x, 1, {0, 3}); }, "dim 3 is out of range for a tensor of shape (2,3,4)");
  check_error([&] { linalg::matrix_norm(x, 1, {1, -2}); }, "dims must be different");
  check_error([&] { linalg::norm(x, 2); }, "linalg.norm: input must be 1-D or 2-D when dim is None");
  check_error([&] { linalg::norm(x, "fro", Axes{1}); }, "dim must be a 2-tuple");
  check_error([] { linalg::vector_norm(ones({2}, int64)); }, "linalg.vector_norm: expected a float32 or float64");
}

BOOST_AUTO_TEST_SUITE_END()
