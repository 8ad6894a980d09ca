#!/usr/bin/env bash
# Benchmark (not a test): the training step time of the tiny and anchor GPT-2 (the
# configurations of train_step_gpt2.sh) compiled with the elementwise fusion (the default) and
# without it (ds-compile --no-fusion), side by side in one run, on one CPU rank. Per
# configuration both plans are compiled, then ROUNDS rounds each run the unfused then the
# fused plan for WARMUP + STEPS steps; the step time is train_batch_size / samples_per_s of
# each timed metrics line, and the table gives the median over all rounds and the ratio fused /
# unfused (lower is faster). Both must print the same losses bit for bit, and the table gives
# each plan's kernel calls per step and arena bytes.
#
#   bash bench/fusion_step_time.sh
#
# Environment: CONFIGS ("tiny anchor"), STEPS (30), WARMUP (5), ROUNDS (3), THREADS (1:
# OPENBLAS_NUM_THREADS), DSC_BUILD_DIR (build), PYTHON (/usr/bin/python3), KEEP=1 keeps the
# temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
py=${PYTHON:-/usr/bin/python3}
configs=${CONFIGS:-tiny anchor}
steps=${STEPS:-30}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-3}
export OPENBLAS_NUM_THREADS=${THREADS:-1}
export DSC_DEVICE=cpu

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-fusion.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "tree: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes'); OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"

# shellcheck source=bench/gpt2_config.sh
. "$root/bench/gpt2_config.sh"
echo "| config | plan | kernel calls per step | arena bytes | median step (ms) | fused / unfused |"
echo "| --- | --- | --- | --- | --- | --- |"
for cfg in $configs; do
  gpt2_config "$cfg"
  batch=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_micro_batch_size_per_gpu"])' "$dsconf")
  for plan in unfused fused; do
    flag=; [ $plan = unfused ] && flag=--no-fusion
    "$build/bin/ds-compile" "$onnx" --config "$dsconf" $flag -o "$tmp/${cfg}_$plan" > /dev/null 2>&1
    : > "$tmp/${cfg}_$plan.txt"
  done
  for r in $(seq 1 "$rounds"); do
    for plan in unfused fused; do
      "$build/bin/ds-run" "$tmp/${cfg}_$plan" -- --data "$data" --steps $((warmup + steps)) \
        --metrics "$tmp/m_${cfg}_${plan}_$r.jsonl" > /dev/null 2>&1
      "$py" -c 'import json,sys; [print(json.loads(l)["samples_per_s"]) for l in list(open(sys.argv[1]))[int(sys.argv[2]):]]' \
        "$tmp/m_${cfg}_${plan}_$r.jsonl" "$warmup" >> "$tmp/${cfg}_$plan.txt"
    done
  done
  cmp -s <(cut -d, -f1-3 "$tmp/m_${cfg}_unfused_1.jsonl") <(cut -d, -f1-3 "$tmp/m_${cfg}_fused_1.jsonl") ||
    { echo "$cfg: the plans print different losses" >&2; exit 1; }
  "$py" - "$tmp" "$cfg" "$batch" <<'PY'
import json, statistics, sys
tmp, cfg, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
median = {}
for plan in ("unfused", "fused"):
    rates = [float(x) for x in open(f"{tmp}/{cfg}_{plan}.txt")]
    median[plan] = statistics.median(batch / r for r in rates) * 1e3
    p = json.load(open(f"{tmp}/{cfg}_{plan}/plan.json"))
    calls = len(p.get("kernels", p.get("calls", [])))
    ratio = f"{median['fused'] / median['unfused']:.3f}" if plan == "fused" else ""
    print(f"| {cfg} | {plan} | {calls} | {p['arena_bytes']} | {median[plan]:.2f} | {ratio} |")
PY
done
