#!/usr/bin/env bash
# The device check, run on the GPU machine from the repository root with the carried
# build/gpu-check (bench/gpu/prepare.sh makes it here). Builds nothing.
# Prints one table: each check, its result and the GPU. Without a GPU every check says
# "skipped" with the reason (that is how it runs on a machine without one).
#
#   bash bench/gpu/check.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
dir=$build/gpu-check
export LD_LIBRARY_PATH=$dir/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# cuBLASLt: the toolkit's, else the one PyTorch's CUDA wheels bring.
if ! ldconfig -p 2> /dev/null | grep -q libcublasLt.so.13 && [ ! -e /usr/local/cuda/lib64/libcublasLt.so.13 ]; then
  lt=$(python3 -c 'import glob, site; print("\n".join(glob.glob(p + "/nvidia/**/libcublasLt.so.13", recursive=True)[0] for p in site.getsitepackages() if glob.glob(p + "/nvidia/**/libcublasLt.so.13", recursive=True)))' 2> /dev/null | head -1)
  [ -z "$lt" ] || export LD_LIBRARY_PATH=$(dirname "$lt"):$LD_LIBRARY_PATH
fi
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1)
gpu=${gpu:-none}
rows=()
# check NAME BINARY FILTER: the GoogleTest's verdict (passed, failed, skipped: why).
check() {
  local name=$1 bin=$dir/$2 filter=$3 out verdict
  if [ ! -x "$bin" ]; then
    rows+=("| $name | missing: $bin (run bench/gpu/prepare.sh) |")
    return
  fi
  out=$(timeout 300 "$bin" --gtest_filter="$filter" 2>&1)
  if grep -q '\[  SKIPPED \]' <<< "$out"; then
    verdict="skipped: $(grep -m1 -A1 'Skipped$' <<< "$out" | tail -1)"
  elif grep -q '\[  PASSED  \]' <<< "$out" && ! grep -q '\[  FAILED  \]' <<< "$out"; then
    verdict=passed
  else
    verdict="failed: $(grep -m3 -E 'Failure|Expected|error' <<< "$out" | tr '\n' ' ')"
  fi
  rows+=("| $name | $verdict |")
}
check "every CUDA kernel against its CPU kernel (random inputs)" CudaKernelsTest 'CudaKernels.EachAgreesWithTheCpuKernel'
check "the optimizer updates against the CPU's" CudaOptimizerTest 'CudaOptimizer.*'
check "NCCL, a world of one on the GPU" NcclCommTest 'NcclCommunicator.WorldOfOneOnTheGpu'
echo "device check, $(date -u +%Y-%m-%dT%H:%MZ), GPU: $gpu"
echo "| check | result |"
echo "| --- | --- |"
printf '%s\n' "${rows[@]}"
