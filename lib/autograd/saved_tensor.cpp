#include "descent/autograd/saved_tensor.hpp"

#include "autograd/running_node.hpp"
#include "descent/autograd/grad_mode.hpp"

namespace descent::autograd {

namespace {
thread_local const std::shared_ptr<Node>* running = nullptr;
}

const std::shared_ptr<Node>* running_node() { return running; }

RunningNode::RunningNode(const std::shared_ptr<Node>& node) : previous_(running) { running = &node; }
RunningNode::~RunningNode() { running = previous_; }

SavedTensor::SavedTensor(const Tensor& input) : tensor_(input) {
  if (!input.defined()) return;
  counter_ = input.impl().version;
  version_ = input.version();
}

SavedTensor SavedTensor::output(const Tensor& result) {
  SavedTensor saved(result.detach());
  saved.is_output_ = true;
  return saved;
}

Tensor SavedTensor::unpack() const {
  if (!tensor_.defined()) return tensor_;
  const TensorImpl& impl = tensor_.impl();
  const char* op = running ? (*running)->name() : "an op";
  DESCENT_CHECK(impl.version == counter_, "backward",
                "the backward of ", op, " needs a ", to_string(tensor_.dtype()), " tensor of shape ",
                to_string(tensor_.shape()), " that it saved, but its storage was replaced since (set_data, or "
                "Module::to): run backward before converting the model");
  const std::uint64_t now = impl.version->load(std::memory_order_relaxed);
  DESCENT_CHECK(now == version_, "backward",
                "one of the tensors needed for gradient computation has been modified by an inplace operation: "
                "the backward of ", op, " needs the ", to_string(tensor_.dtype()), " tensor of shape ",
                to_string(tensor_.shape()), " that it saved at version ", version_, ", which is at version ", now,
                " now. Something wrote into it between forward and backward (copy_, add_/mul_/..., an "
                "optimizer's step(), a checkpoint load, an in-place kernel): change a clone() instead, or call "
                "backward first");
  if (!is_output_ || !is_grad_enabled() || !running) return tensor_;
  // Under create_graph: the output again, as the result of the node that produced it.
  auto linked = std::make_shared<TensorImpl>(impl.storage(), impl.data, impl.shape, impl.strides, impl.dtype);
  linked->grad_fn = *running;
  linked->requires_grad = true;
  return Tensor(std::move(linked));
}

}  // namespace descent::autograd
