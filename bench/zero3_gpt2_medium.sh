#!/usr/bin/env bash
# Benchmark (not a test): ZeRO-3 on 4 CPU ranks of a model of about 350M parameters,
# the example GPT-2 at GPT-2 medium's widths (vocab 50304, d 1024, 16 heads, 24 layers,
# FFN 4096, seq 64, batch 1 per rank, 4 samples). Exports it (Debian's torch), compiles it for 4
# ranks with ZeRO stage 3, trains STEPS steps and checks that every rank's measured
# memory equals the plan's prediction. See bench/README.md.
#
#   bash bench/zero3_gpt2_medium.sh    # several minutes, ~12 GB of memory, 2 cores
#
# Environment: DSC_BUILD_DIR (default build), PYTHON (default /usr/bin/python3), STEPS (2),
# MASTER_PORT (29950), KEEP=1 keeps the temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
py=${PYTHON:-/usr/bin/python3}
steps=${STEPS:-2}
port=${MASTER_PORT:-29950}

"$py" -c 'import torch' 2>/dev/null || { echo "no torch in $py: bash scripts/install-deps.sh --with-torch" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-medium.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
"$py" "$root/bench/export_gpt2_sized.py" --size medium --out-dir "$tmp" --name gpt2_medium | sed 's/^/   /'
cat > "$tmp/ds_config.json" <<JSON
{"train_batch_size": 4, "train_micro_batch_size_per_gpu": 1, "steps_per_print": 1,
 "zero_optimization": {"stage": 3},
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001}}}
JSON
start=$(date +%s%N)
"$build/bin/ds-compile" "$tmp/gpt2_medium.onnx" --config "$tmp/ds_config.json" --num_gpus 4 \
  -o "$tmp/out" 2>&1 | sed 's/^/   /'
echo "compile time: $(( ($(date +%s%N) - start) / 1000000 )) ms"
start=$(date +%s%N)
"$build/bin/ds-run" --master_port "$port" "$tmp/out" -- --data "$tmp/gpt2_medium_inputs" \
  --steps "$steps" --metrics "$tmp/metrics.jsonl" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; exit 1; }
echo "train time: $(( ($(date +%s%N) - start) / 1000000 )) ms for $steps steps"
sed 's/^/   /' "$tmp/run.log"
# Every rank: "ds-rank R: memory: predicted P bytes, measured M bytes, ...".
ranks=$(grep -c 'memory: predicted' "$tmp/run.log")
equal=$(grep 'memory: predicted' "$tmp/run.log" |
  awk '{ if ($5 == $8 && $0 !~ / allocated/) n++ } END { print n + 0 }')
echo "ranks reporting memory: $ranks; predicted == measured on $equal"
[ "$ranks" -eq 4 ] && [ "$equal" -eq 4 ]
