#!/usr/bin/env bash
# Builds everything and runs every test through ctest: lit, GoogleTest, the
# ONNX node conformance and a bounded fuzzing run of the importer
# (FUZZ_SECONDS, default 60).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure -j "${DSC_JOBS:-2}"
