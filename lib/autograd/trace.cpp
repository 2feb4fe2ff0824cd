// The thread's active tracer (descent/autograd/trace.hpp): null unless a TraceGuard is alive.
#include "descent/autograd/trace.hpp"

namespace descent::autograd {

constinit thread_local Tracer* current_tracer = nullptr;

}  // namespace descent::autograd
