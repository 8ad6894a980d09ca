#!/usr/bin/env bash
# End to end: ds-compile a model for one CPU rank, train it with ds-run, and
# compare every step's loss with a PyTorch reference.
#   train_and_compare.sh BIN_DIR MODEL CONFIG DATA_DIR STEPS REFERENCE RTOL WORK_DIR [PREFIX]
# With PREFIX, the data files are DATA_DIR/<PREFIX><input>.npy (as in
# ../shared/models) and are linked under their input names first.
set -euo pipefail
bin=$1 model=$2 config=$3 data=$4 steps=$5 reference=$6 rtol=$7 work=$8
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
"$bin/ds-compile" "$model" --config "$config" -o "$work/out"
"$bin/ds-run" "$work/out" -- --data "$data" --steps "$steps" --metrics "$work/metrics.jsonl"
python3 "$here/compare_losses.py" "$work/metrics.jsonl" "$reference" "$rtol"
