// Data augmentation (data/transforms.hpp): random_crop and random_horizontal_flip against their
// definitions (every output image is one of the allowed windows / mirror images of its input, and
// every allowed one occurs), compose, TransformDataset, and the errors.
#include "support/check.hpp"

#include <set>
#include <utility>

#include "descent/data.hpp"

using namespace descent;
using descent::testing::check_error;

namespace {

/// n images (C, H, W) as float32 with distinct, recognisable values: pixel (i, c, y, x) is
/// 1 + i·1000 + c·100 + y·10 + x (so no pixel is 0, the padding value).
Tensor distinct_images(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
  Tensor t = empty({n, c, h, w}, float32);
  float* p = t.data<float>();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t ch = 0; ch < c; ++ch)
      for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) *p++ = float(1 + i * 1000 + ch * 100 + y * 10 + x);
  return t;
}

float at(const Tensor& t, std::size_t i, std::size_t c, std::size_t y, std::size_t x) {
  const Shape& s = t.shape();
  return t.data<float>()[((i * s[1] + c) * s[2] + y) * s[3] + x];
}

/// The offset (top, left) in padded coordinates at which image i of `out` is the size×size window
/// of image i of `in` zero-padded by `padding`, or (-1, -1) if it is no such window.
std::pair<int, int> window_of(const Tensor& in, const Tensor& out, std::size_t i, std::size_t padding) {
  const std::size_t c = in.shape()[1], h = in.shape()[2], w = in.shape()[3], size = out.shape()[2];
  for (std::size_t top = 0; top + size <= h + 2 * padding; ++top)
    for (std::size_t left = 0; left + size <= w + 2 * padding; ++left) {
      bool same = true;
      for (std::size_t ch = 0; ch < c && same; ++ch)
        for (std::size_t y = 0; y < size && same; ++y)
          for (std::size_t x = 0; x < size && same; ++x) {
            const long sy = long(top + y) - long(padding), sx = long(left + x) - long(padding);
            const bool inside = sy >= 0 && sx >= 0 && sy < long(h) && sx < long(w);
            same = at(out, i, ch, y, x) == (inside ? at(in, i, ch, std::size_t(sy), std::size_t(sx)) : 0.f);
          }
      if (same) return {int(top), int(left)};
    }
  return {-1, -1};
}

bool mirrored(const Tensor& in, const Tensor& out, std::size_t i) {
  const std::size_t c = in.shape()[1], h = in.shape()[2], w = in.shape()[3];
  for (std::size_t ch = 0; ch < c; ++ch)
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x)
        if (at(out, i, ch, y, x) != at(in, i, ch, y, w - 1 - x)) return false;
  return true;
}

bool unchanged(const Tensor& in, const Tensor& out, std::size_t i) {
  const std::size_t per = in.numel() / in.shape()[0];
  return std::equal(in.data<float>() + i * per, in.data<float>() + (i + 1) * per, out.data<float>() + i * per);
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_crop_cuts_windows_of_the_padded_image_at_every_position) {
  const std::size_t padding = 2;
  const Tensor in = distinct_images(400, 2, 5, 6);
  Generator gen(7);
  const Tensor out = data::random_crop(4, padding)(in, gen);
  BOOST_TEST(to_string(out.shape()) == "(400,2,4,4)");
  std::set<std::pair<int, int>> seen;
  for (std::size_t i = 0; i < 400; ++i) {
    const auto corner = window_of(in, out, i, padding);
    BOOST_TEST_REQUIRE(corner.first >= 0, "image " << i << " is not a window of its padded input");
    seen.insert(corner);
  }
  // (5 + 4 - 4 + 1) x (6 + 4 - 4 + 1) = 6 x 7 positions, each drawn with probability 1/42
  BOOST_TEST(seen.size() == 42u);
}

BOOST_AUTO_TEST_CASE(random_crop_of_the_full_size_without_padding_is_the_identity) {
  const Tensor in = distinct_images(3, 1, 4, 4);
  Generator gen(1);
  const Tensor out = data::random_crop(4)(in, gen);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(unchanged(in, out, i));
}

BOOST_AUTO_TEST_CASE(random_crop_takes_one_unbatched_image_and_other_dtypes) {
  Tensor one = reshape(distinct_images(1, 1, 3, 3), {1, 3, 3}).to(float64);
  Generator gen(3);
  const Tensor out = data::random_crop(3, 1)(one, gen);
  BOOST_TEST(to_string(out.shape()) == "(1,3,3)");
  BOOST_TEST((out.dtype() == float64));
  // Same window rule: compare through float32 copies with a batch axis.
  BOOST_TEST(window_of(reshape(one.to(float32), {1, 1, 3, 3}), reshape(out.to(float32), {1, 1, 3, 3}), 0, 1).first >= 0);
}

BOOST_AUTO_TEST_CASE(random_horizontal_flip_mirrors_about_a_fraction_p_of_the_images) {
  const Tensor in = distinct_images(1000, 2, 3, 5);
  Generator gen(11);
  const Tensor out = data::random_horizontal_flip(0.5)(in, gen);
  std::size_t flipped = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const bool m = mirrored(in, out, i), u = unchanged(in, out, i);
    BOOST_TEST_REQUIRE((m || u), "image " << i << " is neither itself nor its mirror image");
    flipped += m;
  }
  BOOST_TEST(flipped > 430u);  // binomial(1000, 0.5): 430..570 holds with probability 1 - 1e-5
  BOOST_TEST(flipped < 570u);
  Generator g2(1);
  const Tensor all = data::random_horizontal_flip(1)(in, g2), none = data::random_horizontal_flip(0)(in, g2);
  for (std::size_t i = 0; i < 1000; ++i) BOOST_TEST_REQUIRE((mirrored(in, all, i) && unchanged(in, none, i)));
}

BOOST_AUTO_TEST_CASE(compose_applies_in_order_and_reads_a_view) {
  // A crop to the left half after a flip gives the mirrored right half: order matters.
  const Tensor in = distinct_images(2, 1, 2, 4);
  Generator gen(5);
  const Tensor flipped_then_cropped = data::compose({data::random_horizontal_flip(1), data::random_crop(2)})(in, gen);
  BOOST_TEST(to_string(flipped_then_cropped.shape()) == "(2,1,2,2)");
  // A non-contiguous input (a transposed view) is read by its values.
  const Tensor view = transpose(transpose(in, 2, 3).contiguous(), 2, 3);
  BOOST_TEST(!view.is_contiguous());
  const Tensor out = data::random_horizontal_flip(1)(view, gen);
  for (std::size_t i = 0; i < 2; ++i) BOOST_TEST(mirrored(in, out, i));
}

BOOST_AUTO_TEST_CASE(transform_dataset_transforms_inputs_and_keeps_targets) {
  const Tensor images = distinct_images(6, 1, 3, 3);
  Tensor labels = empty({6}, int64);
  for (std::size_t i = 0; i < 6; ++i) labels.data<std::int64_t>()[i] = std::int64_t(i);
  auto base = std::make_shared<data::TensorDataset>(images, labels);
  data::TransformDataset flipped(base, data::random_horizontal_flip(1), 42);
  BOOST_TEST(flipped.size() == 6u);
  const data::Batch batch = flipped.get_batch({4, 1});
  BOOST_TEST(batch.targets.data<std::int64_t>()[0] == 4);
  BOOST_TEST(batch.targets.data<std::int64_t>()[1] == 1);
  const Tensor wanted = index_select(images, 0, tensor({4, 1}, int64));
  for (std::size_t i = 0; i < 2; ++i) BOOST_TEST(mirrored(wanted, batch.inputs, i));
  const data::Batch one = flipped.get(2);
  BOOST_TEST(to_string(one.inputs.shape()) == "(1,3,3)");
  BOOST_TEST(one.targets.item<std::int64_t>() == 2);
  // Fresh randomness on every read, reproducible from the seed.
  data::TransformDataset a(base, data::random_crop(3, 2), 9), b(base, data::random_crop(3, 2), 9);
  const Tensor a1 = a.get_batch({0, 1, 2, 3, 4, 5}).inputs, a2 = a.get_batch({0, 1, 2, 3, 4, 5}).inputs;
  const Tensor b1 = b.get_batch({0, 1, 2, 3, 4, 5}).inputs;
  BOOST_TEST(std::equal(a1.data<float>(), a1.data<float>() + a1.numel(), b1.data<float>()));
  BOOST_TEST(!std::equal(a1.data<float>(), a1.data<float>() + a1.numel(), a2.data<float>()));
}

BOOST_AUTO_TEST_CASE(transforms_name_the_problem) {
  Generator gen(0);
  check_error([&] { data::random_crop(3)(zeros({4, 4}), gen); }, "random_crop: expected images (C, H, W) or a batch (N, C, H, W), got (4,4)");
  check_error([&] { data::random_crop(7, 1)(zeros({2, 1, 4, 5}), gen); }, "a 7x7 crop does not fit in images (2,1,4,5) padded by 1");
  check_error([&] { data::random_crop(0); }, "size must be positive");
  check_error([&] { data::random_horizontal_flip(1.5); }, "p must be in [0, 1], got 1.5");
  check_error([&] { data::compose({data::random_crop(2), data::Transform()}); }, "transform 1 is empty");
  check_error([&] { data::TransformDataset(nullptr, data::random_crop(2)); }, "the base dataset is null");
}
