#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
// (torch.optim.SGD). Per element, with d = grad + weight_decay * p:
//   momentum:  buf = d on the first step, then buf = momentum * buf + (1 - dampening) * d;
//              d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
#include <limits>

#include "descent/optim/optimizer.hpp"

namespace descent::optim {

struct SGDOptions {
  /// Required, as in PyTorch: leaving it out is an error.
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  /// Ascend instead of descend.
  bool maximize = false;
};

struct SGDState {
  Tensor momentum_buffer;
  template <class F> void visit(F f) { f("momentum_buffer", momentum_buffer); }
};

class SGD : public OptimizerImpl<SGDOptions, SGDState> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);

 protected:
  void validate(const SGDOptions& options) const override;
  void update(Tensor& param, const Tensor& grad, SGDState& state, const SGDOptions& options) override;
};

}  // namespace descent::optim
