#!/usr/bin/env bash
# Builds libFuzzer targets with clang (in build-fuzz/, separate from the main
# build) and runs each for FUZZ_SECONDS (default 60) on its seed corpus;
# exits non-zero on any crash, leak, timeout or out-of-memory.
#
#   scripts/fuzz.sh [TARGET...]
#
# TARGETs: onnx-importer-fuzzer (the ONNX importer), reader-fuzzer (ds_config,
# hostfile and resource flags, plan.json, launch.json, state.json); default
# both, one after the other (about two minutes of fuzzing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(onnx-importer-fuzzer reader-fuzzer)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DDSC_BUILD_FUZZERS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
fi
ninja -C "$build" -j "${DSC_JOBS:-2}" "${targets[@]}"
for target in "${targets[@]}"; do
  case $target in
  onnx-importer-fuzzer)
    args=("$root/test/fuzz/corpus") ;;
  reader-fuzzer)
    args=("$root/test/fuzz/corpus-readers" -dict="$root/test/fuzz/readers.dict") ;;
  *)
    echo "$0: unknown fuzzer '$target'" >&2
    exit 2 ;;
  esac
  echo "== $target"
  FUZZ_SECONDS=${FUZZ_SECONDS:-60} "$root/test/fuzz/run_fuzzer.sh" \
    "$build/bin/$target" "${args[@]}"
done
