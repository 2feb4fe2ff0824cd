#include "detail/buffer.hpp"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace descent::detail {

namespace {

constexpr std::size_t alignment = 64;
constexpr std::size_t recycle_from = std::size_t{64} << 10;  // smaller blocks: malloc is fast enough
constexpr std::size_t recycle_up_to = std::size_t{64} << 20;  // larger ones (a dataset) go back to the OS
constexpr std::size_t cache_limit = std::size_t{256} << 20;    // bytes kept for reuse at most

/// Freed large buffers by size, for the next allocation of that size (training steps repeat theirs).
class BufferCache {
 public:
  void* take(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= bytes;
    return p;
  }
  void give(void* p, std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= cache_limit) {
        free_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_ = 0;
};

BufferCache& cache() {
  static BufferCache* instance = new BufferCache;  // never destroyed: tensors may outlive statics
  return *instance;
}

void* allocate(std::size_t bytes) {
  void* p = std::aligned_alloc(alignment, bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

/// A large buffer and its counter, giving the buffer back to the cache when the last owner goes.
struct LargeBlock {
  LargeBlock(void* values, std::size_t bytes) : values(values), bytes(bytes) {}
  ~LargeBlock() { cache().give(values, bytes); }
  LargeBlock(const LargeBlock&) = delete;
  LargeBlock& operator=(const LargeBlock&) = delete;
  void* values;
  std::size_t bytes;
  VersionCounter version{0};
};

/// A huge buffer (returned to the OS) and its counter.
struct HugeBlock {
  explicit HugeBlock(void* values) : values(values) {}
  ~HugeBlock() { std::free(values); }
  HugeBlock(const HugeBlock&) = delete;
  HugeBlock& operator=(const HugeBlock&) = delete;
  void* values;
  VersionCounter version{0};
};

/// Any owner and a counter beside it.
struct Adopted {
  explicit Adopted(std::shared_ptr<void> owner) : owner(std::move(owner)) {}
  std::shared_ptr<void> owner;
  VersionCounter version{0};
};

}  // namespace

Storage allocate_buffer(std::size_t bytes) {
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
  // Small: one malloc for the control block, the counter and the values together, the values placed
  // at the block's first 64-byte boundary after the counter. Always aligned the same way because
  // vectorised loops split their work by alignment: the same values at another alignment could
  // round differently, and a resumed training run would then not be bit-identical.
  if (rounded < recycle_from) {
    constexpr std::size_t counter = sizeof(VersionCounter);
    auto block = std::make_shared_for_overwrite<std::byte[]>(rounded + counter + alignment - 1);
    const auto address = reinterpret_cast<std::uintptr_t>(block.get()) + counter;
    const std::size_t skip = counter + (alignment - address % alignment) % alignment;
    std::byte* values = block.get() + skip;
    auto* version = new (values - counter) VersionCounter(0);  // trivially destructible
    return {std::shared_ptr<void>(block, values), version};
  }
  if (rounded > recycle_up_to) {
    auto block = std::make_shared<HugeBlock>(allocate(rounded));
    return {std::shared_ptr<void>(block, block->values), &block->version};
  }
  void* p = cache().take(rounded);
  if (!p) p = allocate(rounded);
  auto block = std::make_shared<LargeBlock>(p, rounded);
  return {std::shared_ptr<void>(block, block->values), &block->version};
}

}  // namespace descent::detail

namespace descent {

Storage adopt_storage(std::shared_ptr<void> owner) {
  auto block = std::make_shared<detail::Adopted>(std::move(owner));
  return {std::shared_ptr<void>(block, block->owner.get()), &block->version};
}

}  // namespace descent

namespace descent::detail {

bool addressable(const Shape& shape, std::size_t element_bytes) {
  std::size_t product = element_bytes;
  for (auto d : shape)
    if (d != 0 && __builtin_mul_overflow(product, d, &product)) return false;
  return product <= static_cast<std::size_t>(PTRDIFF_MAX);
}

}  // namespace descent::detail
