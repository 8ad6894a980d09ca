#!/usr/bin/env bash
# Benchmark (not a test): what the job token's handshake and the heartbeats cost a step.
# Trains the bundled tiny GPT-2 on 2 ranks (ZeRO-1, ds-run --master_port 0) ROUNDS times
# each with the heartbeat on (DSC_HEARTBEAT_TIMEOUT default, 10 s: a BEAT every 0.5 s) and
# off (DSC_HEARTBEAT_TIMEOUT=0), alternating, and prints the median step time of each and
# their ratio. The token's handshake is in neither figure's steps: it runs once per rank
# and job, when the rank connects to the rendezvous (one round trip and two HMACs), so it
# cannot add time to a step; the table shows the heartbeat does not either.
# The table gives each round's medians and the median of the rounds' ratios (a pair of
# runs back to back sees the same load). Environment: STEPS (1000), ROUNDS (5),
# DSC_BUILD_DIR (build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
steps=${STEPS:-1000}
rounds=${ROUNDS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-rdv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat > "$tmp/ds_config.json" <<JSON
{"train_micro_batch_size_per_gpu": 1, "steps_per_print": 100000,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001}}, "zero_optimization": {"stage": 1}}
JSON
"$build/bin/ds-compile" "$root/examples/models/gpt2_tiny.onnx" --config "$tmp/ds_config.json" \
  --num_gpus 2 -o "$tmp/out" > /dev/null 2>&1
for r in $(seq 1 "$rounds"); do
  for mode in on off; do
    timeout=10; [ $mode = off ] && timeout=0
    DSC_HEARTBEAT_TIMEOUT=$timeout "$build/bin/ds-run" --master_port 0 "$tmp/out" -- \
      --data "$root/examples/models/gpt2_tiny_inputs" --steps "$steps" \
      --metrics "$tmp/m_${mode}_$r.jsonl" > /dev/null
  done
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def median_step(mode, r):
    rows = [json.loads(l) for l in open(f"{tmp}/m_{mode}_{r}.jsonl")]
    return statistics.median(2 / row["samples_per_s"] for row in rows[5:])
print("| round | heartbeat on (ms/step) | off (ms/step) | on / off |")
print("| --- | --- | --- | --- |")
ratios = []
for r in range(1, rounds + 1):
    on, off = median_step("on", r), median_step("off", r)
    ratios.append(on / off)
    print(f"| {r} | {on * 1e3:.3f} | {off * 1e3:.3f} | {on / off:.3f} |")
print(f"| median | | | {statistics.median(ratios):.3f} |")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
