// Tensor handles: creation, metadata, element access, conversions, sharing, printing, errors.
#include "support/check.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

using namespace descent;
using descent::testing::check_error;
using descent::testing::check_values;

BOOST_AUTO_TEST_SUITE(tensor_handle)

BOOST_AUTO_TEST_CASE(factories_have_the_requested_shape_dtype_and_values) {
  Tensor z = zeros({2, 3});
  BOOST_TEST(z.dim() == 2u);
  BOOST_TEST(z.numel() == 6u);
  BOOST_TEST(z.size(-1) == 3u);
  BOOST_TEST(to_string(z.dtype()) == "float32");
  check_values(z, {{0, 0, 0}, {0, 0, 0}});
  check_values(ones({2}, float64), {1, 1});
  BOOST_TEST(to_string(ones({2}, float64).dtype()) == "float64");
  check_values(full({2, 2}, 7.5), {{7.5, 7.5}, {7.5, 7.5}});
  check_values(arange(4), {0, 1, 2, 3});
  check_values(arange(1, 2, 0.25, float64), {1, 1.25, 1.5, 1.75});
  check_values(arange(5, 0, -2, int64), {5, 3, 1});
  check_values(eye(2, 3), {{1, 0, 0}, {0, 1, 0}});
  check_values(tensor({{1, 2}, {3, 4}}), {{1, 2}, {3, 4}});
  check_values(zeros_like(tensor({1, 2, 3}, float64)), {0, 0, 0});
  Tensor s = tensor(3.5);
  BOOST_TEST(s.dim() == 0u);
  BOOST_TEST(s.item() == 3.5);
}

BOOST_AUTO_TEST_CASE(element_access_counts_negative_indices_from_the_end) {
  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}}, float64);
  BOOST_TEST(t.at({0, 0}) == 1);
  BOOST_TEST(t.at({1, -1}) == 6);
  BOOST_TEST(t.at({-2, 1}) == 2);
  BOOST_TEST(tensor({42}, int64).item<std::int64_t>() == 42);
}

BOOST_AUTO_TEST_CASE(copies_share_values_and_clone_does_not) {
  Tensor a = zeros({3});
  Tensor b = a;  // a handle: same values
  Tensor c = a.clone();
  a.data<float>()[1] = 5;
  BOOST_TEST(b.at({1}) == 5);
  BOOST_TEST(c.at({1}) == 0);
  BOOST_TEST(b.is_same(a));
  BOOST_TEST(!c.is_same(a));
}

BOOST_AUTO_TEST_CASE(xarray_in_without_copy_and_out_as_a_copy) {
  xt::xarray<double> values = {{1.5, 2.5}, {3.5, 4.5}};
  const double* buffer = values.data();
  Tensor t(std::move(values));
  BOOST_TEST(t.data<double>() == buffer);  // taken, not copied
  BOOST_TEST(to_string(t.dtype()) == "float64");
  xt::xarray<double> back(t);
  BOOST_TEST(back(1, 0) == 3.5);
  back(1, 0) = 0;
  BOOST_TEST(t.at({1, 0}) == 3.5);  // the conversion copied
  Tensor labels(xt::xarray<std::int64_t>{3, 1, 2});
  BOOST_TEST(to_string(labels.dtype()) == "int64");
}

BOOST_AUTO_TEST_CASE(raw_buffers_copied_or_wrapped) {
  float raw[4] = {1, 2, 3, 4};
  Tensor copied = from_buffer(raw, {2, 2});
  Tensor wrapped = from_blob(raw, {2, 2});
  raw[0] = 10;
  BOOST_TEST(copied.at({0, 0}) == 1);
  BOOST_TEST(wrapped.at({0, 0}) == 10);
}

BOOST_AUTO_TEST_CASE(dtype_conversion) {
  Tensor f = tensor({1.75, -2.25});
  Tensor d = f.to(float64);
  check_values(d, {1.75, -2.25});
  BOOST_TEST(to_string(d.dtype()) == "float64");
  check_values(f.to(int64), {1, -2});  // truncation toward zero, like C++ and NumPy's astype
  BOOST_TEST(f.to(float32).is_same(f));  // no conversion needed: same tensor
  check_values(tensor({0, 2}).to(boolean), {0, 1});
}

// float -> int64 truncates toward zero; PyTorch 1.13 (/usr/bin/python3) gives the same:
// torch.tensor([-1.75, 1.75, -0.5]).to(torch.int64) = [-1, 1, 0];
// torch.tensor([2.0**63 - 1024], dtype=torch.float64).to(torch.int64) = 9223372036854774784,
// torch.tensor([-2.0**63], dtype=torch.float64).to(torch.int64) = -9223372036854775808,
// torch.tensor([2.0**63 - 2**39]).to(torch.int64) = 9223371487098961920 (float32).
BOOST_AUTO_TEST_CASE(float_to_int64_truncates_up_to_the_edges_of_int64) {
  check_values(tensor({-1.75, 1.75, -0.5}, float64).to(int64), {-1, 1, 0}, 0, 0);
  const Tensor edges = tensor({0x1p63 - 1024, -0x1p63}, float64).to(int64);
  BOOST_TEST(edges.data<std::int64_t>()[0] == 9223372036854774784);
  BOOST_TEST(edges.data<std::int64_t>()[1] == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(tensor({0x1p63f - 0x1p39f}).to(int64).item<std::int64_t>() == 9223371487098961920);
  check_values(full({2}, -1.75, int64), {-1, -1}, 0, 0);
}

// NaN, ±inf and values beyond int64 have no int64 (a C++ cast of them is undefined behaviour,
// PyTorch returns INT64_MIN): refused, naming the value and where it is.
BOOST_AUTO_TEST_CASE(float_to_int64_refuses_values_int64_cannot_hold) {
  BOOST_TEST(testing::error_of([] { tensor({1, NAN, 3}).to(int64); }) ==
             "to(int64): value nan at index (1,) of a float32 (3,) tensor cannot be converted to int64 "
             "(finite values in [-2^63, 2^63) only)");
  check_error([] { tensor({INFINITY}).to(int64); }, "to(int64): value inf at index (0,)");
  check_error([] { tensor({-INFINITY}, float64).to(int64); }, "value -inf at index (0,) of a float64");
  check_error([] { tensor({0x1p63}, float64).to(int64); }, "value 9.22337e+18 at index (0,)");
  check_error([] { tensor({-0x1p63 - 2048}, float64).to(int64); }, "value -9.22337e+18 at index (0,)");
  check_error([] { tensor({0x1p63f}).to(int64); }, "value 9.22337e+18 at index (0,) of a float32");
  // The index is the tensor's own, also for a view: (1, 0) of the transpose.
  check_error([] { transpose(tensor({{0, 1e19}, {2, 3}}, float64)).to(int64); },
              "value 1e+19 at index (1,0) of a float64 (2,2) tensor");
  check_error([] { tensor({2, NAN}, int64); }, "to(int64): value nan at index (1,)");
  check_error([] { full({2}, NAN, int64); }, "full: value nan cannot be an int64 (finite values in [-2^63, 2^63) only)");
  check_error([] { full({2}, 0x1p63, int64); }, "full: value 9.22337e+18 cannot be an int64");
  // Other conversions are defined for every value: NaN is true, like PyTorch's .bool().
  check_values(tensor({NAN, 0, INFINITY}).to(boolean), {1, 0, 1}, 0, 0);
  check_values(tensor({1e300, -1e300}, float64).to(float32), {INFINITY, -INFINITY}, 0, 0);
}

// arange(0, inf) was silently empty, arange(0, 1e300) cast 1e300 to size_t (undefined).
BOOST_AUTO_TEST_CASE(arange_refuses_bounds_and_counts_it_cannot_honour) {
  BOOST_TEST(testing::error_of([] { arange(0, INFINITY); }) == "arange: start and end must be finite, got 0 and inf");
  check_error([] { arange(NAN, 1); }, "arange: start and end must be finite, got nan and 1");
  check_error([] { arange(-INFINITY, 0, 1, float64); }, "start and end must be finite, got -inf and 0");
  check_error([] { arange(0, 1, NAN); }, "arange: step must be finite and non-zero, got nan");
  check_error([] { arange(0, 1, INFINITY); }, "arange: step must be finite and non-zero, got inf");
  BOOST_TEST(testing::error_of([] { arange(0, 1e300); }) ==
             "arange: from 0 to 1e+300 by 1 is 1e+300 values of float32: too many to address");
  check_error([] { arange(-1e308, 1e308, 1e-300, float64); }, "is inf values of float64: too many to address");
  check_error([] { arange(0, 0x1p62, 1, float64); }, "is 4.61169e+18 values of float64: too many to address");
  check_error([] { arange(0, 2e19, 1e18, int64); }, "arange: values from 0 to 1.9e+19 do not fit in int64");
  check_error([] { arange(0, -2e19, -1e18, int64); }, "values from 0 to -1.9e+19 do not fit in int64");
  check_values(arange(0, 1e19, 1e18, int64), {0, 1e18, 2e18, 3e18, 4e18, 5e18, 6e18, 7e18, 8e18, 9e18}, 0, 0);
  BOOST_TEST(arange(0, -1, 1).numel() == 0u);  // an empty range is fine
}

// 10^18 float32 values (4e18 bytes) can be addressed but not allocated. AddressSanitizer reports
// such a request instead of returning null, hence not there.
BOOST_AUTO_TEST_CASE(arange_too_large_for_memory_is_an_error,
                     *boost::unit_test::enable_if<!testing::under_address_sanitizer>()) {
  check_error([] { arange(0, 1e18); },
              "arange: from 0 to 1e+18 by 1 is 1000000000000000000 values of float32 (4e+18 bytes): out of memory");
}

BOOST_AUTO_TEST_CASE(prints_like_numpy) {
  BOOST_TEST(to_string(tensor({{1, 2}, {3, 4}})) == "tensor([[1., 2.],\n        [3., 4.]])");
  BOOST_TEST(to_string(tensor({0.5, -1.25}, float64)) == "tensor([  0.5, -1.25], dtype=float64)");
  BOOST_TEST(to_string(tensor({3, 1}, int64)) == "tensor([3, 1], dtype=int64)");
  BOOST_TEST(to_string(tensor(2.0)) == "tensor(2.)");
  BOOST_TEST(to_string(zeros({2, 1, 2})) == "tensor([[[0., 0.]],\n\n        [[0., 0.]]])");
  BOOST_TEST(to_string(zeros({1}).requires_grad_()) == "tensor([0.], requires_grad=true)");
  const std::string big = to_string(arange(2000));
  BOOST_TEST(big == "tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.])");
  BOOST_TEST(to_string(Tensor()) == "tensor(undefined)");
}

BOOST_AUTO_TEST_CASE(bad_use_gives_clear_errors) {
  check_error([] { tensor({1, 2}).item(); }, "item: only a one-element tensor has an item, got shape (2,)");
  check_error([] { tensor({1, 2}).at({2}); }, "at: index 2 out of range for axis 0 of shape (2,)");
  check_error([] { tensor({1, 2}).at({0, 0}); }, "at: expected 1 indices for shape (2,), got 2");
  check_error([] { tensor({1, 2}).data<double>(); }, "data: the tensor holds float32, not float64");
  check_error([] { tensor({1, 2}).to_xarray<double>(); }, "to_xarray: the tensor holds float32");
  check_error([] { tensor({1}, int64).requires_grad_(); }, "requires_grad_: only float32 and float64");
  check_error([] { Tensor().shape(); }, "use of an undefined tensor");
  check_error([] { tensor({1, 2}).size(2); }, "size: axis 2 out of range for shape (2,)");
  check_error([] { arange(0, 1, 0); }, "arange: step must be finite and non-zero");
  // Shapes whose strides overflow, even when a 0 dim leaves nothing to allocate.
  check_error([] { empty({0, std::size_t{1} << 40, std::size_t{1} << 40}); },
              "empty: shape (0,1099511627776,1099511627776) of float32 is too large");
  check_error([] { zeros({std::size_t{1} << 62, 2}, float64); }, "empty: shape (4611686018427387904,2) of float64");
  BOOST_TEST(empty({0, std::size_t{1} << 40}).numel() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(in_place)

BOOST_AUTO_TEST_CASE(scalar_updates_change_the_values_and_every_view_of_them) {
  Tensor t = tensor({{2, 4}, {6, 8}}, float64);
  Tensor row = narrow(t, 0, 1, 1);
  t.div_(2).add_(1).mul_(3).sub_(0.5);
  check_values(t, {{5.5, 8.5}, {11.5, 14.5}});
  check_values(row, {{11.5, 14.5}});
}

BOOST_AUTO_TEST_CASE(refused_while_recording_a_tensor_that_requires_grad) {
  Tensor w = ones({2}).requires_grad_();
  check_error([&] { w.mul_(2); }, "mul_: a tensor that requires grad cannot be changed in place while recording");
  NoGradGuard no_grad;
  w.mul_(2);
  check_values(w, {2, 2});
  check_error([] { tensor({1}, int64).add_(1); }, "add_: expected a float32 or float64 tensor, got int64");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(storage)

// Vectorised kernels split their work by alignment; equal values must round equally everywhere
// (bit-identical resumed training depends on it), so every new buffer starts on 64 bytes.
BOOST_AUTO_TEST_CASE(every_new_buffer_is_64_byte_aligned) {
  std::vector<Tensor> keep;  // alive together, so the addresses differ
  for (std::size_t n : {1, 3, 7, 16, 100, 1000, 20000, 70000}) {
    keep.push_back(empty({n}));
    keep.push_back(zeros({n}, float64));
    for (const Tensor& t : {keep[keep.size() - 2], keep.back()})
      BOOST_TEST(reinterpret_cast<std::uintptr_t>(t.impl().data) % 64 == 0u, "numel " << n);
  }
}

BOOST_AUTO_TEST_SUITE_END()
