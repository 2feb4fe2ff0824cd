#include "descent/data/transforms.hpp"

#include <cstring>
#include <string>
#include <utility>

#include "detail/check.hpp"
#include "detail/dispatch.hpp"

namespace descent::data {

namespace {

// The images as (N, C, H, W) row-major bytes, whatever the caller gave: (C, H, W) is one image.
struct Images {
  Tensor values;  // contiguous
  std::size_t n, c, h, w, element;
  bool batched;
};

Images images_of(const char* op, const Tensor& images) {
  DESCENT_CHECK(images.defined() && (images.dim() == 3 || images.dim() == 4), op,
                "expected images (C, H, W) or a batch (N, C, H, W), got ",
                images.defined() ? to_string(images.shape()) : std::string("an undefined tensor"));
  const bool batched = images.dim() == 4;
  const Shape& s = images.shape();
  const std::size_t first = batched ? 1 : 0;
  return {detail::contiguous_values(images).detach(), batched ? s[0] : 1, s[first], s[first + 1], s[first + 2],
          element_size(images.dtype()), batched};
}

Shape shape_of(const Images& in, std::size_t h, std::size_t w) {
  return in.batched ? Shape{in.n, in.c, h, w} : Shape{in.c, h, w};
}

}  // namespace

Transform random_crop(std::size_t size, std::size_t padding) {
  DESCENT_CHECK(size > 0, "random_crop", "size must be positive");
  return [size, padding](const Tensor& images, Generator& gen) {
    const Images in = images_of("random_crop", images);
    DESCENT_CHECK(size <= in.h + 2 * padding && size <= in.w + 2 * padding, "random_crop", "a ", size, "x", size,
                  " crop does not fit in images ", to_string(images.shape()), " padded by ", padding);
    Tensor out = zeros(shape_of(in, size, size), images.dtype());
    const auto* src = static_cast<const unsigned char*>(in.values.impl().data);
    auto* dst = static_cast<unsigned char*>(out.impl().data);
    const std::size_t e = in.element;
    for (std::size_t i = 0; i < in.n; ++i) {
      // The window's corner in padded coordinates; source pixel = corner + offset - padding.
      const auto top = static_cast<std::ptrdiff_t>(gen.below(in.h + 2 * padding - size + 1)) -
                       static_cast<std::ptrdiff_t>(padding);
      const auto left = static_cast<std::ptrdiff_t>(gen.below(in.w + 2 * padding - size + 1)) -
                        static_cast<std::ptrdiff_t>(padding);
      // Columns of the window inside the image: [first, last) of the output row.
      const auto width = static_cast<std::ptrdiff_t>(in.w), height = static_cast<std::ptrdiff_t>(in.h);
      const std::ptrdiff_t first = std::max<std::ptrdiff_t>(0, -left);
      const std::ptrdiff_t last = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(size), width - left);
      for (std::size_t ch = 0; ch < in.c; ++ch) {
        const unsigned char* plane = src + ((i * in.c + ch) * in.h * in.w) * e;
        unsigned char* out_plane = dst + ((i * in.c + ch) * size * size) * e;
        for (std::size_t r = 0; r < size; ++r) {
          const std::ptrdiff_t row = top + static_cast<std::ptrdiff_t>(r);
          if (row < 0 || row >= height || first >= last) continue;  // stays zero (padding)
          std::memcpy(out_plane + (r * size + static_cast<std::size_t>(first)) * e,
                      plane + (static_cast<std::size_t>(row) * in.w + static_cast<std::size_t>(left + first)) * e,
                      static_cast<std::size_t>(last - first) * e);
        }
      }
    }
    return out;
  };
}

Transform random_horizontal_flip(double p) {
  DESCENT_CHECK(p >= 0 && p <= 1, "random_horizontal_flip", "p must be in [0, 1], got ", p);
  return [p](const Tensor& images, Generator& gen) {
    const Images in = images_of("random_horizontal_flip", images);
    Tensor out = empty(shape_of(in, in.h, in.w), images.dtype());
    const auto* src = static_cast<const unsigned char*>(in.values.impl().data);
    auto* dst = static_cast<unsigned char*>(out.impl().data);
    const std::size_t e = in.element, image_bytes = in.c * in.h * in.w * e, row_bytes = in.w * e;
    for (std::size_t i = 0; i < in.n; ++i) {
      const unsigned char* from = src + i * image_bytes;
      unsigned char* to = dst + i * image_bytes;
      if (!(gen.uniform() < p)) {
        std::memcpy(to, from, image_bytes);
        continue;
      }
      for (std::size_t row = 0; row < in.c * in.h; ++row)
        for (std::size_t col = 0; col < in.w; ++col)
          std::memcpy(to + row * row_bytes + col * e, from + row * row_bytes + (in.w - 1 - col) * e, e);
    }
    return out;
  };
}

Transform compose(std::vector<Transform> transforms) {
  for (std::size_t i = 0; i < transforms.size(); ++i)
    DESCENT_CHECK(static_cast<bool>(transforms[i]), "compose", "transform ", i, " is empty");
  return [transforms = std::move(transforms)](const Tensor& images, Generator& gen) {
    Tensor out = images;
    for (const Transform& t : transforms) out = t(out, gen);
    return out;
  };
}

TransformDataset::TransformDataset(std::shared_ptr<const Dataset> base, Transform transform, std::uint64_t seed)
    : base_(std::move(base)), transform_(std::move(transform)), gen_(seed) {
  DESCENT_CHECK(base_ != nullptr, "TransformDataset", "the base dataset is null");
  DESCENT_CHECK(static_cast<bool>(transform_), "TransformDataset", "the transform is empty");
}

std::size_t TransformDataset::size() const { return base_->size(); }

Batch TransformDataset::get(std::size_t index) const {
  Batch example = base_->get(index);
  std::lock_guard<std::mutex> lock(mutex_);
  example.inputs = transform_(example.inputs, gen_);
  return example;
}

Batch TransformDataset::get_batch(const std::vector<std::size_t>& indices) const {
  Batch batch = base_->get_batch(indices);
  std::lock_guard<std::mutex> lock(mutex_);
  batch.inputs = transform_(batch.inputs, gen_);
  return batch;
}

MapDataset::MapDataset(std::shared_ptr<const Dataset> base, ExampleFunction fn)
    : base_(std::move(base)), fn_(std::move(fn)) {
  DESCENT_CHECK(base_ != nullptr, "map", "the dataset is null");
  DESCENT_CHECK(static_cast<bool>(fn_), "map", "the function is empty");
}

std::shared_ptr<const MapDataset> map(std::shared_ptr<const Dataset> dataset, ExampleFunction fn) {
  return std::make_shared<const MapDataset>(std::move(dataset), std::move(fn));
}

}  // namespace descent::data
