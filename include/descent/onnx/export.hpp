#pragma once
// ONNX export: runs a model's forward once on example inputs while tracing (autograd/trace.hpp)
// and writes the traced ops as an ONNX graph, parameters and buffers as initializers (named as in
// state_dict), the example inputs as graph inputs. In the library descent::onnx (CMake option
// DESCENT_ONNX; Debian's libonnx-dev), so that the core does not depend on protobuf.
//
//   onnx::export_model(model, {zeros({8, 1, 28, 28})}, "cnn.onnx");   // opset 17, dynamic batch
//
// An op without an ONNX mapping is an error naming it and its shapes; nothing is written then. The
// ops covered are listed in README.md ("ONNX export and import").
#include <functional>
#include <string>
#include <vector>

#include "descent/nn/module.hpp"
#include "descent/tensor.hpp"

namespace descent::onnx {

struct ExportOptions {
  /// The ONNX opset (13 to 17; LayerNormalization needs 17).
  int opset = 17;
  /// Dimension 0 of every input, and of every output computed from one, is the symbolic "batch":
  /// the exported Reshape nodes then keep or infer that dimension (0 / -1) instead of the example's
  /// batch size. Give examples with a batch of 2 or more (a batch of 1 cannot be told from a unit axis).
  bool dynamic_batch = true;
  /// Graph input and output names; empty: "input" / "output" (with an index when there are several).
  std::vector<std::string> input_names = {};
  std::vector<std::string> output_names = {};
  /// The graph's name in the file.
  std::string graph_name = "descent";
};

/// Exports `model` (in evaluation mode: its modes are restored afterwards) traced on `example_inputs`
/// (one tensor: Module::forward's argument) to `path`, written atomically.
void export_model(nn::Module& model, const std::vector<Tensor>& example_inputs, const std::string& path,
                  const ExportOptions& options = {});

/// Exports the computation `forward` does on `example_inputs`; the tensors it reads besides them
/// (weights, constants) become initializers, named by `names` where listed there (else "const_<k>").
void export_function(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                     const std::vector<Tensor>& example_inputs, const std::string& path,
                     const ExportOptions& options = {},
                     const std::vector<std::pair<std::string, Tensor>>& names = {});

/// The exported model or computation as ONNX protobuf bytes (what export_model / export_function
/// write), for callers that keep it in memory.
std::string export_model_bytes(nn::Module& model, const std::vector<Tensor>& example_inputs,
                               const ExportOptions& options = {});
std::string export_function_bytes(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                                  const std::vector<Tensor>& example_inputs, const ExportOptions& options = {},
                                  const std::vector<std::pair<std::string, Tensor>>& names = {});

}  // namespace descent::onnx
