#!/usr/bin/env bash
# Builds the importer's libFuzzer target with clang (in build-fuzz/, separate
# from the main build) and runs it for FUZZ_SECONDS (default 60) on the seed
# corpus; exits non-zero on any crash, leak, timeout or out-of-memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DDSC_BUILD_FUZZERS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
fi
ninja -C "$build" -j "${DSC_JOBS:-2}" onnx-importer-fuzzer
FUZZ_SECONDS=${FUZZ_SECONDS:-60} "$root/test/fuzz/run_fuzzer.sh" \
  "$build/bin/onnx-importer-fuzzer"
