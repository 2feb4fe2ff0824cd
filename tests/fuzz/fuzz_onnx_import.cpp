// libFuzzer target: bytes through onnx::import_model_bytes (import_model runs the same code on a
// file's bytes): protobuf parsing, the version and graph checks, initializer decoding. Built only
// with descent::onnx (DESCENT_ONNX). Bad input must end in descent::Error; anything else escaping,
// a crash or a sanitizer report fails. A model that imports must give back what it declared.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "descent/error.hpp"
#include "descent/onnx/import.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::shared_ptr<onnx::ImportedModel> model;
  try {
    model = onnx::import_model_bytes(std::string_view(reinterpret_cast<const char*>(bytes), size), "fuzz.onnx");
  } catch (const Error&) {
    return 0;
  }
  if (model->outputs().empty()) {
    std::fprintf(stderr, "fuzz_onnx_import: a model without outputs imported\n");
    std::abort();
  }
  for (const auto& [name, p] : model->named_parameters())
    if (!p.requires_grad()) {
      std::fprintf(stderr, "fuzz_onnx_import: parameter %s does not require grad\n", name.c_str());
      std::abort();
    }
  return 0;
}
