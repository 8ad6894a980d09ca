#!/usr/bin/env bash
# fp16 / bf16 training (16-bit params and activations, float32 master
# weights) against the same model's float32 training: ds-compile the model
# with the config plus {"fp16": {"enabled": true}} or {"bf16": ...}, train
# both for STEPS steps, and compare every step's loss and gradient norm
# (train_and_compare.sh, against the float32 run's metrics). fp16 steps that
# overflow skip their update, as DeepSpeed's do: each step is compared with
# the float32 step after as many updates (compare_training.py
# --align-skipped), so the float32 run has STEPS steps.
#   mixed_precision_compare.sh BIN_DIR MODEL CONFIG DATA_DIR PREFIX STEPS fp16|bf16 LOSS_RTOL:NORM_RTOL WORK_DIR [MIXED_KEYS]
# MIXED_KEYS: JSON merged into the fp16 / bf16 block ('{"initial_scale_power": 8}').
set -euo pipefail
bin=$1 model=$2 config=$3 data=$4 prefix=$5 steps=$6 type=$7 tolerances=$8
work=$9 keys=${10:-\{\}}
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$data" && pwd)
rm -rf "$work" && mkdir -p "$work/data"
for f in "$data/$prefix"*.npy; do
  ln -s "$f" "$work/data/$(basename "$f" | sed "s/^$prefix//")"
done
python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c[sys.argv[2]] = dict({"enabled": True}, **json.loads(sys.argv[3]))
json.dump(c, open(sys.argv[4], "w"))' "$config" "$type" "$keys" "$work/$type.json"
"$bin/ds-compile" "$model" --config "$config" -o "$work/fp32"
"$bin/ds-run" "$work/fp32" -- --data "$work/data" --steps "$steps" \
  --metrics "$work/fp32.jsonl" > "$work/fp32.log"
COMPARE_FLAGS=--align-skipped "$here/train_and_compare.sh" "$bin" "$model" \
  "$work/$type.json" "$work/data" "$steps" "$work/fp32.jsonl" "$tolerances" \
  "$work/$type"
