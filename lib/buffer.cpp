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

}  // namespace

std::shared_ptr<void> allocate_buffer(std::size_t bytes) {
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
  // Small: one malloc for the control block and the values together, the values placed at the
  // block's first 64-byte boundary. Always aligned the same way because vectorised loops split their
  // work by alignment: the same values at another alignment could round differently, and a resumed
  // training run would then not be bit-identical.
  if (rounded < recycle_from) {
    auto block = std::make_shared_for_overwrite<std::byte[]>(rounded + alignment - 1);
    const auto address = reinterpret_cast<std::uintptr_t>(block.get());
    const std::size_t skip = (alignment - address % alignment) % alignment;
    return std::shared_ptr<void>(block, block.get() + skip);
  }
  if (rounded > recycle_up_to) return std::shared_ptr<void>(allocate(rounded), std::free);
  void* p = cache().take(rounded);
  if (!p) p = allocate(rounded);
  return std::shared_ptr<void>(p, [rounded](void* q) { cache().give(q, rounded); });
}

bool addressable(const Shape& shape, std::size_t element_bytes) {
  std::size_t product = element_bytes;
  for (auto d : shape)
    if (d != 0 && __builtin_mul_overflow(product, d, &product)) return false;
  return product <= static_cast<std::size_t>(PTRDIFF_MAX);
}

}  // namespace descent::detail
