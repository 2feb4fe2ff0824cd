#pragma once
// --export FILE.onnx for the samples: the trained model written as an ONNX graph (descent::onnx,
// linked where descent was built with it), or an error saying this build has none.
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "descent/descent.hpp"
#ifdef DESCENT_HAS_ONNX
#include "descent/onnx/export.hpp"
#endif

namespace samples {

/// Refuses --export before any training where this build cannot export.
inline void check_can_export(const std::filesystem::path& path) {
#ifndef DESCENT_HAS_ONNX
  if (!path.empty())
    throw std::runtime_error("--export: this build of descent has no ONNX export (descent::onnx needs Debian's "
                             "libonnx-dev when configuring; -DDESCENT_ONNX=ON requires it)");
#else
  (void)path;
#endif
}

/// `model` (in evaluation mode, dim 0 of `example` symbolic) written to `path`.
inline void export_onnx(descent::nn::Module& model, const std::vector<descent::Tensor>& example,
                        const std::filesystem::path& path) {
  check_can_export(path);
#ifdef DESCENT_HAS_ONNX
  descent::onnx::export_model(model, example, path.string());
  std::printf("exported %s (ONNX, opset 17)\n", path.c_str());
#else
  (void)model, (void)example;
#endif
}

}  // namespace samples
