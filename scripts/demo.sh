#!/usr/bin/env bash
# The main job on the bundled example: compiles the small GPT-2 with its
# ds_config into a native rank executable (OUT = build/demo), and trains it
# on the CPU for 10 steps with ds-run; the loss goes down. The plan is in
# build/demo/plan.txt, the metrics in build/demo/metrics.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" >/dev/null
out=$build/demo
"$build/bin/ds-compile" "$root/examples/models/gpt2_tiny.onnx" \
  --config "$root/examples/gpt2_tiny/ds_config.json" --num_gpus 1 -o "$out"
"$build/bin/ds-run" "$out" -- --data "$root/examples/models/gpt2_tiny_inputs" \
  --steps "${STEPS:-10}" --metrics "$out/metrics.jsonl" "$@"
