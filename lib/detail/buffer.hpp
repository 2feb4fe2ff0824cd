#pragma once
// Memory for tensor values.
#include <cstddef>
#include <memory>

namespace descent::detail {

/// An uninitialised, 64-byte aligned buffer of at least `bytes` bytes, freed (or recycled) when the
/// last owner goes. Large buffers are recycled through a per-size cache: a fresh large allocation is
/// returned to the OS by malloc when freed and costs a page fault per 4 KiB when touched again, which
/// made a training step of a large MLP spend a quarter of its time in the kernel.
std::shared_ptr<void> allocate_buffer(std::size_t bytes);

}  // namespace descent::detail
