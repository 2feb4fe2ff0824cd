#pragma once
// Memory for tensor values.
#include <cstddef>
#include <memory>

#include "descent/shape.hpp"
#include "descent/tensor.hpp"

namespace descent::detail {

/// An uninitialised, 64-byte aligned buffer of at least `bytes` bytes, freed (or recycled) when the
/// last owner goes. Large buffers are recycled through a per-size cache: a fresh large allocation is
/// returned to the OS by malloc when freed and costs a page fault per 4 KiB when touched again, which
/// made a training step of a large MLP spend a quarter of its time in the kernel. The storage's
/// version counter lives in the same allocation.
Storage allocate_buffer(std::size_t bytes);

/// Whether a contiguous tensor of `shape` with elements of `element_bytes` bytes can be described:
/// its byte size and its strides fit in std::ptrdiff_t. The strides multiply the dims past a 0 dim
/// too, so an empty shape like (0, 2^40, 2^40) cannot. Readers check this before calling empty().
bool addressable(const Shape& shape, std::size_t element_bytes);

}  // namespace descent::detail
