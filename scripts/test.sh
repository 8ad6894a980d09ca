#!/usr/bin/env bash
# Builds everything and runs every test: a bounded fuzzing run of the
# importer (FUZZ_SECONDS, default 60; 0 skips it), then lit, GoogleTest and
# the ONNX node conformance through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
  "$root/scripts/fuzz.sh"
fi
ctest --test-dir "$build" --output-on-failure -j "${DSC_JOBS:-2}"
