#!/usr/bin/env bash
# Benchmark (not a test): the example GPT-2 at GPT-2 small's sizes (vocab 50304, seq
# 256, d 768, 12 heads, 12 layers, FFN 3072, batch 1: 124M parameters, the head tied),
# past 2 GiB of rank memory. Exports it with the example's exporter (Debian's torch,
# which also trains it STEPS AdamW steps), prints ds-compile's wall clock (goal: under
# 10 s), trains STEPS steps on one CPU rank and compares every loss with PyTorch's
# (rtol 1e-4). See bench/README.md.
#
#   bash bench/gpt2_small_size.sh      # ~3 min and ~6 GB of memory on 2 cores
#
# Environment: DSC_BUILD_DIR (default build), PYTHON (default /usr/bin/python3), STEPS (3),
# KEEP=1 keeps the temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
py=${PYTHON:-/usr/bin/python3}
steps=${STEPS:-3}

"$py" -c 'import torch' 2>/dev/null || { echo "no torch in $py: bash scripts/install-deps.sh --with-torch" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-small.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== exporting GPT-2 small's sizes and training $steps PyTorch steps"
"$py" "$root/bench/export_gpt2_sized.py" --size small --out-dir "$tmp" --name gpt2_small \
  --train-steps "$steps" | sed 's/^/   /'
cat > "$tmp/ds_config.json" <<JSON
{"train_micro_batch_size_per_gpu": 1, "steps_per_print": 1,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001}}}
JSON
start=$(date +%s%N)
"$build/bin/ds-compile" "$tmp/gpt2_small.onnx" --config "$tmp/ds_config.json" -o "$tmp/out" 2>&1 | sed 's/^/   /'
echo "compile time: $(( ($(date +%s%N) - start) / 1000000 )) ms (goal: under 10 s)"
"$build/bin/ds-run" "$tmp/out" -- --data "$tmp/gpt2_small_inputs" --steps "$steps" \
  --metrics "$tmp/metrics.jsonl" 2>&1 | sed 's/^/   /'
"$py" "$root/test/e2e/compare_training.py" "$tmp/metrics.jsonl" "$tmp/gpt2_small_ref_train.json" \
  --loss-rtol 1e-4 --norm-rtol 1e-4
