#!/usr/bin/env bash
# Check (not a test: it needs a second build): ds-compile at BASE and this tree train the
# tiny GPT-2 to the same bits. For each configuration both trees compile the model and run
# STEPS steps (ds-run, --metrics, --save); every step's loss, grad_norm and lr (as printed)
# and the saved weights (byte for byte) must be equal. Prints one line per configuration
# and exits non-zero on the first difference.
#
#   bash bench/results_before_after.sh            # BASE 85d9ffd: before the update was compiled
#   BASE=<commit> bash bench/results_before_after.sh
#
# Configurations: one rank (AdamW; SGD with momentum; AdamW with clipping and weight decay;
# 2 micro-steps with a warmup), and ZeRO 1 and 3 on 3 ranks and ZeRO-2 on 2 ranks with 2
# micro-steps, with clipping. Environment: STEPS (6), DSC_BUILD_DIR (build), BASE_DIR, KEEP=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
base=$(git -C "$root" rev-parse --short "${BASE:-85d9ffd}")
base_dir=${BASE_DIR:-${TMPDIR:-/tmp}/dsc-base-$base}
steps=${STEPS:-6}
# shellcheck source=bench/build_base.sh
. "$root/bench/build_base.sh"
build_base "$base" "$base_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-results.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi
onnx=$root/examples/models/gpt2_tiny.onnx
data=$root/examples/models/gpt2_tiny_inputs
echo "base: $base ($base_dir/build); this tree: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes'); $(date -u +%Y-%m-%dT%H:%MZ)"

# config NAME RANKS JSON
run_config() {
  local name=$1 ranks=$2 json=$3
  echo "$json" > "$tmp/$name.json"
  for tree in base this; do
    local bin=$build/bin
    [ $tree = base ] && bin=$base_dir/build/bin
    local out=$tmp/$name.$tree
    "$bin/ds-compile" "$onnx" --config "$tmp/$name.json" --num_gpus "$ranks" -o "$out" > /dev/null 2>&1
    "$bin/ds-run" --master_port 0 "$out" -- --data "$data" --steps "$steps" \
      --metrics "$out/metrics.jsonl" --save "$out/saved" > "$out/log.txt" 2>&1
  done
  /usr/bin/python3 - "$tmp/$name.base" "$tmp/$name.this" "$name" <<'PY'
import json, sys
base, this, name = sys.argv[1:]
def lines(d):
    return [json.loads(l) for l in open(d + "/metrics.jsonl")]
a, b = lines(base), lines(this)
assert len(a) == len(b) and a, f"{name}: {len(a)} and {len(b)} metrics lines"
for x, y in zip(a, b):
    for k in ("loss", "grad_norm", "lr"):
        if x[k] != y[k]:
            sys.exit(f"{name}: step {x['step']}: {k} {x[k]!r} (base) vs {y[k]!r}")
if open(base + "/saved/model.safetensors", "rb").read() != open(this + "/saved/model.safetensors", "rb").read():
    sys.exit(f"{name}: the saved weights differ")
print(f"{name}: {len(a)} steps, loss/grad_norm/lr and saved weights bit-identical "
      f"(last loss {b[-1]['loss']!r})")
PY
}

adamw='"optimizer": {"type": "AdamW", "params": {"lr": 0.001, "weight_decay": 0.01}}'
run_config one 1 '{"train_micro_batch_size_per_gpu": 4, '"$adamw"'}'
run_config sgd 1 '{"train_micro_batch_size_per_gpu": 4, "optimizer": {"type": "SGD", "params": {"lr": 0.01, "momentum": 0.9}}}'
run_config clip 1 "$(cat "$root/test/e2e/adamw_clip_config.json")"
run_config gas2 1 "$(cat "$root/test/e2e/gas2_warmup_config.json")"
# 4 samples: 3 ranks of one, or 2 ranks of one with 2 micro-steps.
for stage in 1 2 3; do
  ranks=3 gas=1
  [ $stage = 2 ] && ranks=2 gas=2
  run_config "zero$stage" $ranks '{"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": '$gas', '"$adamw"', "gradient_clipping": 0.5,
    "zero_optimization": {"stage": '$stage', "reduce_bucket_size": 30000, "allgather_bucket_size": 20000,
                          "stage3_param_persistence_threshold": 1000}}'
done
