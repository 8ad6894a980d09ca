#!/usr/bin/env bash
# Benchmark (not a test): data-parallel training of a model on 1, 2 and 4 CPU
# ranks (Gloo, local) with ZeRO stages 0-3: the median step time and,
# from each plan, the per-step communication volume of a rank -- the payload
# of its collectives and the bytes a ring moves for them (all-reduce
# 2(n-1)/n x payload, reduce-scatter and all-gather (n-1)/n x payload).
# Weak scaling: every rank trains micro-batches of MBS samples, so the global
# batch grows with the ranks.
#
#   bash bench/data_parallel.sh
#
# Environment: DSC_BUILD_DIR (default build), MODEL (default the bundled
# examples/models/gpt2_tiny.onnx) with DATA (its inputs), MBS (1), RANKS
# ("1 2 4"), STAGES ("0 1 2 3"), STEPS (20 timed), WARMUP (3), PORT (29950),
# THREADS (1: OPENBLAS_NUM_THREADS of each rank), PERSIST, PREFETCH and
# REUSE (stage3_param_persistence_threshold, stage3_prefetch_bucket_size and
# stage3_max_reuse_distance; unset: DeepSpeed's defaults 1e5, 5e7 and 1e9). On a 2-core machine 4 ranks
# share the cores, so their step time shows the oversubscription too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
model=${MODEL:-$root/examples/models/gpt2_tiny.onnx}
data=${DATA:-$root/examples/models/gpt2_tiny_inputs}
mbs=${MBS:-1}
ranks=${RANKS:-1 2 4}
stages=${STAGES:-0 1 2 3}
steps=${STEPS:-20}
warmup=${WARMUP:-3}
port=${PORT:-29950}
stage3=""
[ -n "${PERSIST:-}" ] && stage3="$stage3, \"stage3_param_persistence_threshold\": $PERSIST"
[ -n "${PREFETCH:-}" ] && stage3="$stage3, \"stage3_prefetch_bucket_size\": $PREFETCH"
[ -n "${REUSE:-}" ] && stage3="$stage3, \"stage3_max_reuse_distance\": $REUSE"
export OPENBLAS_NUM_THREADS=${THREADS:-1}
for b in ds-compile ds-run; do
  [ -x "$build/bin/$b" ] || { echo "missing $build/bin/$b (build first: scripts/build.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-dp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
most=$(echo $ranks | tr ' ' '\n' | sort -n | tail -1)
"$root/test/e2e/prepare_data.sh" "$data" "$tmp/data" $((most * mbs))

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "model: $(basename "$model"), micro-batch $mbs per rank, $steps timed steps after $warmup"
printf '%-6s %-6s %-14s %-14s %-16s %-16s\n' ranks stage "step ms" "samples/s" "payload B/step" "ring B/step"
for n in $ranks; do
  for stage in $stages; do
    [ "$n" = 1 ] && [ "$stage" != 0 ] && continue
    cat > "$tmp/config.json" <<JSON
{"train_micro_batch_size_per_gpu": $mbs,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.0001}},
 "zero_optimization": {"stage": $stage$stage3}, "steps_per_print": 100000}
JSON
    out=$tmp/n${n}_s$stage
    "$build/bin/ds-compile" "$model" --config "$tmp/config.json" --num_gpus "$n" -o "$out" > /dev/null 2>&1
    "$build/bin/ds-run" --master_port "$port" "$out" -- --data "$tmp/data" \
      --steps $((warmup + steps)) --metrics "$out/metrics.jsonl" > /dev/null
    port=$((port + 1))
    python3 - "$out" "$warmup" "$n" <<'PY'
import json, statistics, sys
out, warmup, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in open(out + "/metrics.jsonl") if l.strip()][warmup:]
plan = json.load(open(out + "/plan.json"))
tbs = plan["batch"]["train_batch_size"]
ms = statistics.median(tbs / r["samples_per_s"] * 1000 for r in rows)
payload = plan.get("collective_bytes_per_step", 0)
factor = {"all_reduce": 2 * (n - 1) / n, "reduce_scatter": (n - 1) / n, "all_gather": (n - 1) / n}
ring = sum(c["bytes"] * factor[c["op"]] for c in plan.get("collectives", []))
stage = plan.get("zero", {}).get("stage", 0)
print(f"{n:<6} {stage:<6} {ms:<14.2f} {tbs / ms * 1000:<14.1f} {payload:<16} {ring:<16.0f}")
PY
  done
done
