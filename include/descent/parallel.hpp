#pragma once
// Intra-op threads, as torch::set_num_threads: the large kernels (convolution's unrolling,
// pooling, normalisation, elementwise ops on large tensors) split their work over this many
// threads, the calling one included. Matrix products are OpenBLAS's own threads
// (OPENBLAS_NUM_THREADS). Results do not depend on the number: each thread writes its own part
// of the output, nothing is summed across threads.
#include <cstddef>

namespace descent {

/// The threads a kernel may use; by default the machine's hardware threads (at most 8), or
/// DESCENT_NUM_THREADS when it is set in the environment.
std::size_t get_num_threads();

/// Sets the threads kernels use from now on (1: everything on the calling thread). An error for 0.
void set_num_threads(std::size_t n);

}  // namespace descent
