#!/usr/bin/env bash
# CTest's onnxruntime_outputs: test_onnx_export writes its graphs, inputs and descent's outputs into
# OUTDIR, then onnxruntime (npm's onnxruntime-node, installed in tests/onnx by `npm ci`) runs them
# and compares. Skipped, saying so, where Node.js or the package is absent.
#   run_onnxruntime.sh path/to/test_onnx_export OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node > /dev/null; then
  echo "onnxruntime: SKIPPED: Node.js is not installed"
  exit 0
fi
rm -rf "$2" && mkdir -p "$2"
DESCENT_ONNX_TEST_OUTPUT="$2" "$1" > "$2/test_onnx_export.log"
NODE_PATH="$here/node_modules" node "$here/compare_with_onnxruntime.js" "$2"
