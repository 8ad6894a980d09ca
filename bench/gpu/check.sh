#!/usr/bin/env bash
# The device check, run on the GPU machine from the repository root with the carried
# build/gpu-check (bench/gpu/prepare.sh makes it here). Builds nothing. Checks each CUDA
# kernel and optimizer update against the CPU's, NCCL, and the rank on the GPU: the tiny GPT-2
# and the shared Llama (float32) train as they trained on the CPU here, and ZeRO 1-3 on one
# rank as the plain run; then GPT-2 small (bf16) against PyTorch eager and torch.compile.
# Prints one table: each check, its result and the GPU. Without a GPU every check says
# "skipped" with the reason (that is how it runs on a machine without one).
#
#   bash bench/gpu/check.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
dir=$build/gpu-check
# The packed libraries (prepare.sh) and every run's output go to a scratch directory.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ ! -f "$dir/lib.tar.xz" ] || tar -C "$work" -xJf "$dir/lib.tar.xz"
export LD_LIBRARY_PATH=$work/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# cuBLASLt: the toolkit's, else the one PyTorch's CUDA wheels bring.
if ! ldconfig -p 2> /dev/null | grep -q libcublasLt.so.13 && [ ! -e /usr/local/cuda/lib64/libcublasLt.so.13 ]; then
  lt=$(python3 -c 'import glob, site; print("\n".join(glob.glob(p + "/nvidia/**/libcublasLt.so.13", recursive=True)[0] for p in site.getsitepackages() if glob.glob(p + "/nvidia/**/libcublasLt.so.13", recursive=True)))' 2> /dev/null | head -1)
  [ -z "$lt" ] || export LD_LIBRARY_PATH=$(dirname "$lt"):$LD_LIBRARY_PATH
fi
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1)
gpu=${gpu:-none}
# Testing the script without a GPU: DSC_CHECK_BACKEND names a backend that runs on the host
# (test/device), DSC_CHECK_GPU what to call it, DSC_CHECK_SMALL=0 leaves GPT-2 small out.
backend=${DSC_CHECK_BACKEND:-$work/lib/libdsc_cuda.so}
gpu=${DSC_CHECK_GPU:-$gpu}
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
# train NAME REFERENCE TOLERANCE: runs/NAME on the GPU for the steps its CPU run took; every
# loss and gradient norm against REFERENCE (a runs/<name>/cpu.jsonl) within TOLERANCE.
train() {
  local name=$1 reference=$dir/runs/$2/cpu.jsonl tol=$3 run=$dir/runs/$1 verdict
  if [ ! -x "$run/bin/rank_0" ]; then
    rows+=("| $name: GPU vs CPU | missing: $run (run bench/gpu/prepare.sh) |")
    return
  fi
  if [ "$gpu" = none ]; then
    rows+=("| $name: GPU vs CPU | skipped: no GPU here |")
    return
  fi
  local steps
  steps=$(wc -l < "$run/cpu.jsonl")
  local metrics=$work/$name.jsonl log=$work/$name.log
  if ! DSC_DEVICE=cuda DSC_CUDA_BACKEND=$backend timeout 300 "$run/bin/rank_0" \
    --data "$run/data" --steps "$steps" --metrics "$metrics" > "$log" 2>&1; then
    rows+=("| $name: GPU vs CPU | failed: $(grep -m2 -E 'error|rror' "$log" | tr '\n' ' ') |")
    return
  fi
  verdict=$(python3 "$root/test/e2e/compare_training.py" "$metrics" "$reference" \
    --loss-rtol "$tol" --norm-rtol "$tol" 2>&1 | tail -3 | tr '\n' ' ')
  rows+=("| $name: $steps steps on the GPU vs $2 on the CPU (rtol $tol) | $verdict $(grep -m1 'memory:' "$log" | sed 's/^ds-rank: //') |")
}
train gpt2_tiny gpt2_tiny 1e-4
train llama llama 1e-4
for stage in 1 2 3; do
  train "gpt2_tiny_zero$stage" gpt2_tiny 1e-4
done
echo "device check, $(date -u +%Y-%m-%dT%H:%MZ), GPU: $gpu"
echo "| check | result |"
echo "| --- | --- |"
printf '%s\n' "${rows[@]}"
# GPT-2 small against PyTorch eager and torch.compile, from the same initial weights.
echo
if [ "$gpu" = none ]; then
  echo "GPT-2 small against PyTorch: skipped: no GPU here"
elif [ "${DSC_CHECK_SMALL:-1}" = 0 ]; then
  echo "GPT-2 small against PyTorch: left out (DSC_CHECK_SMALL=0)"
elif [ ! -x "$dir/runs/gpt2_small/bin/rank_0" ]; then
  echo "GPT-2 small against PyTorch: missing (bench/gpu/prepare.sh without SMALL=0)"
else
  timeout 420 python3 "$root/bench/gpu/gpt2_vs_torch.py" --run "$dir/runs/gpt2_small" \
    --size gpu_small --steps 20 --backend "$backend" --work "$work/gpt2_small" 2>&1 |
    tail -8
fi
