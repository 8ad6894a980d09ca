#!/usr/bin/env bash
# Prepares, on this machine, what bench/gpu/check.sh needs on the GPU machine (which has CUDA,
# NCCL and PyTorch, but no OpenBLAS, MLIR or Gloo), in build/gpu-check:
# - the GPU unit tests (each CUDA kernel and optimizer update against the CPU's, NCCL);
# - the GPU backend the ranks load (lib/libdsc_cuda.so, one copy for every run);
# - runs/<name>/: a model compiled here (executable, weights, inputs) and its CPU run's
#   metrics for STEPS steps (runs/<name>/cpu.jsonl), which the GPU run must equal: the tiny
#   GPT-2 and the shared Llama in float32, and the tiny GPT-2 under ZeRO 1, 2 and 3 on one
#   rank (each must equal the plain run); GPT-2 small in bf16 for gpt2_vs_torch.py;
# - the shared libraries the GPU machine may lack (OpenBLAS, the Fortran runtime, Gloo and its
#   dependencies), packed with the backend in lib.tar.xz.
# Carry `build/gpu-check` to the GPU machine and run bench/gpu/check.sh there.
#
#   bash bench/gpu/prepare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
shared=${DSC_SHARED_MODELS:-$root/../shared/models}
steps=${STEPS:-10}
bash "$root/scripts/build.sh" CudaKernelsTest CudaOptimizerTest NcclCommTest ds-compile \
  ds-run dsc_cuda > /dev/null
out=$build/gpu-check
libs=$out/lib
rm -rf "$out" && mkdir -p "$libs" "$out/runs"
cp "$build/test/unit/CudaKernelsTest" "$build/test/unit/CudaOptimizerTest" \
  "$build/test/unit/NcclCommTest" "$out/"
cp "$build/kernels/cuda/libdsc_cuda.so" "$libs/"

# run NAME MODEL CONFIG DATA [PREFIX]: compiles MODEL here and records its CPU run. PREFIX
# strips a prefix from the inputs' file names (the shared models' llama_ids.npy).
run() {
  local name=$1 model=$2 config=$3 data=$4 prefix=${5:-} dir=$out/runs/$1
  "$build/bin/ds-compile" "$model" --config "$config" -o "$dir" 2> /dev/null
  rm -rf "$dir/lib" # check.sh gives every run the one copy in lib/
  mkdir -p "$dir/data"
  for f in "$data/$prefix"*.npy; do
    cp "$f" "$dir/data/$(basename "$f" | sed "s/^$prefix//")"
  done
  DSC_DEVICE=cpu "$dir/bin/rank_0" --data "$dir/data" --steps "$steps" \
    --metrics "$dir/cpu.jsonl" > /dev/null 2>&1
}
tiny=$root/examples/models/gpt2_tiny.onnx
tinyConfig=$root/examples/gpt2_tiny/ds_config.json
run gpt2_tiny "$tiny" "$tinyConfig" "$root/examples/models/gpt2_tiny_inputs"
run llama "$shared/llama_dynamo.onnx" "$root/test/e2e/shared_model_config.json" "$shared" llama_
for stage in 1 2 3; do
  config=$out/runs/zero$stage.json
  /usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["zero_optimization"] = {"stage": int(sys.argv[2])}; json.dump(c, open(sys.argv[3], "w"))' \
    "$tinyConfig" "$stage" "$config"
  run "gpt2_tiny_zero$stage" "$tiny" "$config" "$root/examples/models/gpt2_tiny_inputs"
done

# GPT-2 small as the issue measures it (vocab 50304, 12 layers, d 768, 12 heads, seq 1024,
# batch 8, bf16, AdamW), without its params (124M): gpt2_vs_torch.py draws PyTorch's there and
# gives them to the rank with --weights. The export needs ~3 min and 700 MB here; SMALL=0 skips it.
if [ "${SMALL:-1}" != 0 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 "$root/bench/export_gpt2_sized.py" --size gpu_small --out-dir "$tmp" \
    --name gpt2_small > /dev/null
  echo '{"train_micro_batch_size_per_gpu": 8, "bf16": {"enabled": true}, "steps_per_print": 1,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.0001, "weight_decay": 0.0}}}' > "$tmp/bf16.json"
  small=$out/runs/gpt2_small
  "$build/bin/ds-compile" "$tmp/gpt2_small.onnx" --config "$tmp/bf16.json" --no-param-weights \
    -o "$small" 2> /dev/null
  rm -rf "$small/lib"
  mkdir -p "$small/data" && cp "$tmp/gpt2_small_inputs/"*.npy "$small/data/"
  /usr/bin/python3 "$root/bench/gpu/param_sources.py" --size gpu_small "$tmp/gpt2_small.onnx" \
    > "$small/param_sources.json"
fi

# Every library the binaries load that an Ubuntu GPU machine may lack: OpenBLAS and the Fortran
# runtime, Gloo and what it links (hiredis, ibverbs, libnl). Not glibc, libstdc++ and libgcc
# (newer there), nor CUDA's and NCCL's (there).
for bin in "$build/test/unit/CudaKernelsTest" "$build/test/unit/CudaOptimizerTest" \
  "$build/test/unit/NcclCommTest" "$out/runs/gpt2_tiny/bin/rank_0" "$libs/libdsc_cuda.so"; do
  ldd "$bin" | awk '/=> \// {print $3}'
done | sort -u |
  grep -vE '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so|/usr/local/cuda|libnccl|libcuda' |
  while read -r lib; do
    cp -L "$lib" "$libs/"
  done
# Packed: OpenBLAS alone is 36 MB, and what travels to the GPU machine is limited.
tar -C "$out" -cJf "$out/lib.tar.xz" lib && rm -rf "$libs"
echo "prepared $out ($(du -sh "$out" | cut -f1)): $(ls "$out" | tr '\n' ' ')runs: $(ls "$out/runs" | tr '\n' ' ')"
echo "carry build/gpu-check"
