#!/usr/bin/env bash
# Builds everything and runs every test through ctest: lit, GoogleTest, the
# ONNX node conformance and a bounded fuzzing run of the importer
# (FUZZ_SECONDS, default 60); then the mutation check
# (test/mutation/mutation_check.py: the comparisons must fail against
# deliberately broken code; DSC_MUTATIONS=0 skips it). The mutation check
# edits and restores sources in place: do not edit the tree while it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
# Every test has a timeout: its own TIMEOUT, else 900 s.
ctest --test-dir "$build" --output-on-failure --timeout 900 -j "${DSC_JOBS:-2}"
if [ "${DSC_MUTATIONS:-1}" != 0 ]; then
  python3 "$root/test/mutation/mutation_check.py" --build "$build"
fi
