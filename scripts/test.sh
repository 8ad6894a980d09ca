#!/usr/bin/env bash
# Builds everything and runs every test (lit, GoogleTest, ONNX node
# conformance) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure -j "${DSC_JOBS:-2}"
