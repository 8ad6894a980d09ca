#!/usr/bin/env bash
# Benchmark (not a test): the training step time of the tiny and anchor GPT-2 (the
# configurations of train_step_gpt2.sh) with ds-compile at BASE and with this tree, side by
# side in one run, and the per-kernel call overhead (bench/KernelCallOverhead.cpp).
#
#   bash bench/step_time_before_after.sh           # BASE b31c810: before the compiled program
#   BASE=<commit> bash bench/step_time_before_after.sh
#
# BASE is exported (git archive) to BASE_DIR (default ${TMPDIR:-/tmp}/dsc-base-<commit>) and
# its ds-compile, ds-run and rank libraries are built there once (Ninja, ccache; the first
# time takes as long as a build); later runs reuse it. Per configuration both trees compile
# the model, then ROUNDS rounds each run base then this tree for WARMUP + STEPS steps; the
# step time is train_batch_size / samples_per_s of each timed metrics line, and the table
# gives the median over all rounds and the ratio this tree / base (lower is faster). Both
# runs must print the same losses within 1e-5 relative (their BLAS kernels may differ).
# Environment: CONFIGS ("tiny anchor"), STEPS (30), WARMUP (5), ROUNDS (3), THREADS (1:
# OPENBLAS_NUM_THREADS), DSC_BUILD_DIR (build), PYTHON (/usr/bin/python3), KEEP=1 keeps the
# temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
py=${PYTHON:-/usr/bin/python3}
base=$(git -C "$root" rev-parse --short "${BASE:-b31c810}")
base_dir=${BASE_DIR:-${TMPDIR:-/tmp}/dsc-base-$base}
configs=${CONFIGS:-tiny anchor}
steps=${STEPS:-30}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-3}
export OPENBLAS_NUM_THREADS=${THREADS:-1}

for b in ds-compile ds-run kernel-call-overhead; do
  [ -x "$build/bin/$b" ] || { echo "missing $build/bin/$b (build first: scripts/build.sh)" >&2; exit 1; }
done
# shellcheck source=bench/build_base.sh
. "$root/bench/build_base.sh"
build_base "$base" "$base_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-before-after.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $base ($base_dir/build); this tree: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes') ($build); OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"

echo "== a kernel call, this tree"
"$build/bin/kernel-call-overhead"
# The base's path too, where the base has the benchmark.
if ninja -C "$base_dir/build" kernel-call-overhead > /dev/null 2>&1; then
  echo "== a kernel call, base $base"
  "$base_dir/build/bin/kernel-call-overhead"
fi

# shellcheck source=bench/gpt2_config.sh
. "$root/bench/gpt2_config.sh"
results=()   # "config|tree|batch|median_s"
for cfg in $configs; do
  gpt2_config "$cfg"
  batch=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_micro_batch_size_per_gpu"])' "$dsconf")
  for tree in base head; do
    bin=$build/bin; [ $tree = base ] && bin=$base_dir/build/bin
    "$bin/ds-compile" "$onnx" --config "$dsconf" --num_gpus 1 -o "$tmp/${cfg}_$tree" > /dev/null 2>&1
    : > "$tmp/${cfg}_$tree.txt"
  done
  for r in $(seq 1 "$rounds"); do
    for tree in base head; do
      bin=$build/bin; [ $tree = base ] && bin=$base_dir/build/bin
      "$bin/ds-run" "$tmp/${cfg}_$tree" -- --data "$data" --steps $((warmup + steps)) \
        --metrics "$tmp/m_${cfg}_${tree}_$r.jsonl" > /dev/null 2>&1
      "$py" -c 'import json,sys; [print(json.loads(l)["samples_per_s"]) for l in list(open(sys.argv[1]))[int(sys.argv[2]):]]' \
        "$tmp/m_${cfg}_${tree}_$r.jsonl" "$warmup" >> "$tmp/${cfg}_$tree.txt"
    done
  done
  # The same losses, up to the rounding of different BLAS kernels (this
  # tree asks OpenBLAS for the kernels the CPU runs).
  "$py" -c '
import json, sys
a, b = ([json.loads(l)["loss"] for l in open(f)] for f in sys.argv[1:3])
worst = max(abs(x - y) / abs(y) for x, y in zip(a, b))
print("%s: the trees print the same %d losses within %.1e relative" % (sys.argv[3], len(a), worst))
sys.exit(0 if len(a) == len(b) and worst < 1e-5 else "losses differ")' \
    "$tmp/m_${cfg}_base_1.jsonl" "$tmp/m_${cfg}_head_1.jsonl" "$cfg"
  for tree in base head; do
    med=$("$py" -c 'import statistics,sys; print(statistics.median(int(sys.argv[2])/float(l) for l in open(sys.argv[1])))' "$tmp/${cfg}_$tree.txt" "$batch")
    results+=("$cfg|$tree|$batch|$med")
  done
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}" | "$py" -c '
import sys
rows = [l.strip().split("|") for l in sys.stdin if l.strip()]
by = {}
for cfg, tree, batch, med in rows:
    by.setdefault(cfg, {})[tree] = (int(batch), float(med))
print("| config | tree | batch | ms/step (median) | this tree / base |")
print("| --- | --- | --- | --- | --- |")
for cfg, d in by.items():
    for tree in ("base", "head"):
        b, m = d[tree]
        ratio = "%.3f" % (m / d["base"][1]) if tree == "head" else "1.000"
        print("| %s | %s | %d | %.3f | %s |" % (cfg, sys.argv[1] if tree == "base" else "this tree", b, m * 1e3, ratio))
' "$base"
