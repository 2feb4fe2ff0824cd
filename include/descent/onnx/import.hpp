#pragma once
// ONNX import: reads an ONNX model (descent's export, PyTorch's torch.onnx.export, ...) into a Module
// that runs its graph with descent's differentiable ops. The initializers become the Module's named
// parameters (float tensors of rank ≥ 1; BatchNormalization's running statistics become buffers,
// scalars and integer tensors stay constants), so an imported model can be fine-tuned:
//
//   auto model = onnx::import_model("mlp.onnx");
//   optim::SGD opt(model->parameters(), 0.01);
//   Tensor loss = cross_entropy((*model)(x), y);   // one graph input and output; run() for several
//   loss.backward(); opt.step();
//
// Everything that can be checked without running is checked on import: the IR version and opset
// (13 to 17 of the default domain), the node order, every value being defined, and the op types:
// the ops without an implementation are named all together in one error. Inputs are checked against
// the declared shapes (a symbolic dimension takes any size) on every run. The ops covered are listed
// in README.md ("ONNX export and import").
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/nn/module.hpp"
#include "descent/tensor.hpp"

namespace descent::onnx {

namespace detail {
struct ImportedGraph;
}

/// A graph input or output: its name, element type and declared dimensions (-1 for a symbolic or
/// unknown one, e.g. "batch").
struct ValueSpec {
  std::string name;
  Dtype dtype = Dtype::float32;
  std::vector<std::int64_t> dims;
};

class ImportedModel : public nn::Module {
 public:
  explicit ImportedModel(std::shared_ptr<const detail::ImportedGraph> graph);

  /// The graph on its one input, giving its first output.
  Tensor forward(const Tensor& input) override;
  /// The graph on its inputs (in the graph's input order), giving all its outputs in order.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  /// The same with the inputs by name; all must be given.
  std::vector<Tensor> run(const std::vector<std::pair<std::string, Tensor>>& named_inputs);

  const std::vector<ValueSpec>& inputs() const;
  const std::vector<ValueSpec>& outputs() const;
  std::string describe() const override;

 private:
  std::shared_ptr<const detail::ImportedGraph> graph_;
  std::vector<Tensor> initializers_;  ///< per graph initializer: the parameter, buffer or constant
};

/// Reads the ONNX model in `path`; throws descent::Error for a file that cannot be read or parsed, an
/// unsupported IR version, opset or op, or an inconsistent graph.
std::shared_ptr<ImportedModel> import_model(const std::string& path);
/// The same from a model's protobuf bytes (what export_model_bytes gives); `source` names them in errors.
std::shared_ptr<ImportedModel> import_model_bytes(std::string_view bytes, const std::string& source = "bytes");

}  // namespace descent::onnx
