#pragma once
// Data augmentation, like torchvision.transforms: a Transform maps images to new ones with fresh
// randomness on every call, and TransformDataset applies one to a dataset's inputs each time they
// are read, so that every epoch sees other crops and flips of the same examples.
//
//   auto train = std::make_shared<data::TransformDataset>(
//       fashion_train, data::compose({data::random_crop(28, 4), data::random_horizontal_flip()}), seed);
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true});
//
// Deterministic per-example changes (scaling, casting, one-hot targets) are data::map:
//
//   auto scaled = data::map(dataset, [](data::Batch e) { return data::Batch{e.inputs / 255.0, e.targets}; });
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "descent/data/dataset.hpp"
#include "descent/random.hpp"

namespace descent::data {

/// Maps one image (C, H, W) or a batch of them (N, C, H, W), of any dtype, to new images; each
/// image draws its own randomness from `gen`. The values are copied: nothing is recorded.
using Transform = std::function<Tensor(const Tensor& images, Generator& gen)>;

/// torchvision's RandomCrop(size, padding): pads each image with `padding` zeros on every side, then
/// cuts a size × size window at a uniformly random position of the padded image.
Transform random_crop(std::size_t size, std::size_t padding = 0);
/// torchvision's RandomHorizontalFlip(p): mirrors each image left to right with probability p.
Transform random_horizontal_flip(double p = 0.5);
/// The transforms one after the other (torchvision's Compose).
Transform compose(std::vector<Transform> transforms);

/// `base` with its inputs passed through `transform` whenever they are read (targets unchanged),
/// like torchvision datasets' transform= argument. Its randomness comes from its own generator,
/// seeded here; reads from several threads are serialised.
class TransformDataset : public Dataset {
 public:
  TransformDataset(std::shared_ptr<const Dataset> base, Transform transform, std::uint64_t seed = 0);

  std::size_t size() const override;
  Batch get(std::size_t index) const override;
  /// The base dataset's batch (its fast path), transformed as one batch of images.
  Batch get_batch(const std::vector<std::size_t>& indices) const override;

 private:
  std::shared_ptr<const Dataset> base_;
  Transform transform_;
  mutable std::mutex mutex_;  // guards gen_: get() is const, as Dataset's interface wants
  mutable Generator gen_;
};

/// A function of one example (inputs and targets without the batch axis) to a new one.
using ExampleFunction = std::function<Batch(Batch example)>;

/// `base` with every example passed through `fn` when it is read, as torchvision's transform= and
/// target_transform= or a map over a Hugging Face dataset: the inputs, the targets or both may change
/// (shape and dtype too, the same for every example). get_batch applies `fn` to each example and
/// stacks them (the base's batched fast path is not used: `fn` sees one example).
class MapDataset : public Dataset {
 public:
  MapDataset(std::shared_ptr<const Dataset> base, ExampleFunction fn);

  std::size_t size() const override { return base_->size(); }
  Batch get(std::size_t index) const override { return fn_(base_->get(index)); }

 private:
  std::shared_ptr<const Dataset> base_;
  ExampleFunction fn_;
};

/// `dataset` mapped by `fn` (a MapDataset), ready for a DataLoader.
std::shared_ptr<const MapDataset> map(std::shared_ptr<const Dataset> dataset, ExampleFunction fn);

}  // namespace descent::data
