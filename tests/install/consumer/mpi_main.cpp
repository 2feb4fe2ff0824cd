// An installed descent::distributed: MPI up (one rank when run alone), a collective and DataParallel.
#include <cstdio>
#include <memory>

#include <descent/descent.hpp>
#include <descent/distributed.hpp>

using namespace descent;

int main() {
  distributed::Environment mpi;
  Tensor t = ones({3});
  distributed::all_reduce({t});
  auto net = std::make_shared<nn::Linear>(2, 1);
  distributed::DataParallel model(net);
  mse_loss(model(ones({4, 2})), zeros({4, 1})).backward();
  std::printf("world_size=%zu sum=%g grad_defined=%d\n", distributed::world_size(), t.at({0}),
              net->weight.grad().defined() ? 1 : 0);
  return t.at({0}) == static_cast<double>(distributed::world_size()) && net->weight.grad().defined() ? 0 : 1;
}
