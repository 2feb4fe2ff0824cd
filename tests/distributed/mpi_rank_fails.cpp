// A rank that throws in the middle of training while the others wait in its gradient reduction:
// mpirun must end every rank with an error, never hang (CTest runs this under a timeout and expects
// a non-zero exit with this rank's message). --uncaught lets the exception escape main instead.
#include <cstdio>
#include <cstring>
#include <memory>

#include "descent/descent.hpp"
#include "descent/distributed.hpp"

using namespace descent;

namespace {
void run_training(bool fail_in_forward) {
  distributed::Environment mpi;
  auto net = std::make_shared<nn::Sequential>(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 1));
  distributed::DataParallel model(net);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  for (int step = 1; step <= 1000; ++step) {
    opt.zero_grad();
    if (distributed::rank() == 1 && step == 3 && fail_in_forward)
      throw Error("rank 1 fails at step 3 on purpose");
    Tensor loss = mse_loss(model(ones({2, 4})), zeros({2, 1}));
    if (distributed::rank() == 1 && step == 3) throw Error("rank 1 fails at step 3 on purpose");
    loss.backward();  // rank 0 waits here for rank 1's share of the reduction
    opt.step();
  }
}
}  // namespace

int main(int argc, char** argv) {
  const bool uncaught = argc > 1 && std::strcmp(argv[1], "--uncaught") == 0;
  if (uncaught) run_training(false);
  try {
    run_training(true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
