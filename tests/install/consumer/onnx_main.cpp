// An installed descent::onnx: a small model exported to the file named on the command line.
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <descent/descent.hpp>
#include <descent/onnx/export.hpp>

using namespace descent;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  nn::Sequential model(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 1));
  onnx::export_model(model, {zeros({2, 3})}, argv[1]);
  const auto bytes = std::filesystem::file_size(argv[1]);
  std::printf("exported %s: %ju bytes\n", argv[1], static_cast<std::uintmax_t>(bytes));
  return bytes > 0 ? 0 : 1;
}
