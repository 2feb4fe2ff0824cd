#pragma once
// nn::Module: the base of every layer, built-in or a user's. A module registers its parameters,
// buffers (state that is not trained, such as BatchNorm's running statistics) and sub-modules by
// name; everything else (parameters(), zero_grad(), train()/eval(), to(dtype),
// summary) follows from that registry. A user's layer is written exactly like nn::Linear:
//
//   struct Affine : nn::Module {
//     Tensor scale, shift;
//     Affine(std::size_t n) {
//       scale = register_parameter("scale", ones({n}));
//       shift = register_parameter("shift", zeros({n}));
//     }
//     Tensor forward(const Tensor& x) override { return x * scale + shift; }
//   };
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "descent/tensor.hpp"

namespace descent::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  /// The computation of the layer.
  virtual Tensor forward(const Tensor& input) = 0;
  /// Runs forward(); call sub-modules this way so that summary() can see their output shapes.
  Tensor operator()(const Tensor& input);

  /// The layer's type and its settings for printouts, e.g. "Linear(in_features=4, out_features=2)".
  virtual std::string describe() const;

  /// All parameters, this module's first, then each sub-module's, in registration order.
  std::vector<Tensor> parameters() const;
  /// The same with dotted names: "weight", "0.weight", "encoder.fc.bias".
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  /// All buffers (state saved with the model but not trained: never in parameters(), so no
  /// optimizer sees them), in the same order and with the same dotted names: "1.running_mean".
  std::vector<Tensor> buffers() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Parameters and buffers in PyTorch's state_dict order: per module its parameters, then its
  /// buffers, then each sub-module's. What io::save writes.
  std::vector<std::pair<std::string, Tensor>> state_dict() const;
  /// Direct sub-modules with their names.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  /// Total number of parameter elements.
  std::size_t num_parameters() const;

  /// Forgets every parameter's gradient.
  void zero_grad();
  /// Training mode (the default) or evaluation mode (Dropout off), for this module and all below it.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Converts every parameter and floating buffer to `dtype` in place (integer buffers such as
  /// num_batches_tracked stay, as in PyTorch): handles held elsewhere (an optimizer's) see the change.
  void to(Dtype dtype);

  /// A table of the layers (name, type, output shape when `input_shape` is given, parameter count),
  /// like Keras' summary(). The output shapes come from one forward pass on zeros, without recording.
  std::string summary(const Shape& input_shape = {}) const;
  /// The same with the output shapes of one forward pass on `example_input` (torchinfo's
  /// input_data): int64 token ids for a model that starts with an Embedding, say.
  std::string summary(const Tensor& example_input) const;

 protected:
  /// Registers a parameter (it will require grad) and returns its handle.
  Tensor register_parameter(std::string name, Tensor value);
  /// Registers a buffer (it does not require grad) and returns its handle. Its name must differ from
  /// every parameter's, buffer's and sub-module's of this module.
  Tensor register_buffer(std::string name, Tensor value);
  /// Registers a sub-module and returns it.
  template <class M> std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  void add_child(std::string name, std::shared_ptr<Module> module);

 private:
  /// Throws unless `name` is free among this module's parameters, buffers and sub-modules.
  void check_name_free(const char* op, const std::string& name) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  Shape last_output_shape_;  // seen by the last operator() call, for summary()
  std::string table(bool with_shapes) const;  // summary()'s table, after its forward pass
  bool has_output_shape_ = false;
};

}  // namespace descent::nn
