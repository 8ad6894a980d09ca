#!/usr/bin/env bash
# End to end: ds-compile a model for one CPU rank, train it with ds-run, and
# compare it with a PyTorch reference: every step's loss and gradient norm,
# and the final weights when the reference has them ("weights": a
# safetensors file beside it). The rank's measured memory must be the
# plan's. The rank trains without plan.json (moved aside to WORK_DIR): it
# carries its plan in its executable.
#   train_and_compare.sh BIN_DIR MODEL CONFIG DATA_DIR STEPS REFERENCE TOLERANCES WORK_DIR [PREFIX]
# TOLERANCES is LOSS_RTOL[:NORM_RTOL[:WEIGHTS_RTOL]] (compare_training.py);
# a part left out is not compared.
# COMPARE_FLAGS (environment) adds compare_training.py flags
# (--align-skipped).
# With PREFIX, the data files are DATA_DIR/<PREFIX><input>.npy (as in
# ../shared/models) and are linked under their input names first.
set -euo pipefail
bin=$1 model=$2 config=$3 data=$4 steps=$5 reference=$6 tolerances=$7 work=$8
prefix=${9:-}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
if [ -n "$prefix" ]; then
  mkdir -p "$work/data"
  for f in "$data/$prefix"*.npy; do
    ln -s "$f" "$work/data/$(basename "$f" | sed "s/^$prefix//")"
  done
  data=$work/data
fi
IFS=: read -r loss_rtol norm_rtol weights_rtol <<< "$tolerances"
compare=(--loss-rtol "$loss_rtol" ${COMPARE_FLAGS:-})
[ -z "$norm_rtol" ] || compare+=(--norm-rtol "$norm_rtol")
if [ -n "$weights_rtol" ]; then
  theirs=$(python3 -c 'import json, os, sys; print(os.path.join(os.path.dirname(sys.argv[1]), json.load(open(sys.argv[1]))["weights"]))' "$reference")
  compare+=(--weights "$work/final/model.safetensors" "$theirs" --weights-rtol "$weights_rtol")
fi
"$bin/ds-compile" "$model" --config "$config" -o "$work/out"
mv "$work/out/plan.json" "$work/plan.json"
"$bin/ds-run" "$work/out" -- --data "$data" --steps "$steps" --metrics "$work/metrics.jsonl" \
  --save "$work/final" | tee "$work/log.txt"
python3 "$here/compare_training.py" "$work/metrics.jsonl" "$reference" "${compare[@]}"
# The rank measured (resident pages of its blocks) what the plan predicted.
grep -q "memory: predicted" "$work/log.txt"
if ! grep "memory: predicted" "$work/log.txt" |
  awk '{ if ($4 != $7 || $0 ~ / allocated/) bad = 1 } END { exit bad }'; then
  echo "measured memory differs from the prediction"
  exit 1
fi
