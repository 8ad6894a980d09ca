#!/usr/bin/env bash
# Benchmark (not a test): one fp32 AdamW training step of the example GPT-2, ds-compile's
# native rank executable vs PyTorch eager (torch 1.13 on OpenBLAS, torch.set_num_threads(2)),
# on the CPU. See bench/README.md.
#
#   bash bench/train_step_gpt2.sh            # both configurations (~2-3 min on 2 cores)
#   CONFIGS=tiny bash bench/train_step_gpt2.sh
#
# Environment: DSC_BUILD_DIR (default build), PYTHON (default /usr/bin/python3),
# CONFIGS ("tiny anchor"), STEPS (30 timed), WARMUP (5), ROUNDS_TINY (3), ROUNDS_ANCHOR (1),
# THREADS (2: torch.set_num_threads and OPENBLAS_NUM_THREADS for the rank), KEEP=1 keeps
# the temp dir.
#
# Per configuration: (1) wall clock of ds-compile; (2) the rank run for WARMUP+STEPS steps,
# median step time over the last STEPS steps from its metrics (step time = train_batch_size /
# samples_per_s; the rank times feed + forward + backward + optimizer); (3) the PyTorch step
# (bench/pytorch_train_step.py, same model class, seed, batch); runs alternate ds/PyTorch
# ROUNDS times and the medians are over all rounds' timed steps, so a load spike from
# another process hits both; (4) a table with the ratio ds-compile / PyTorch (lower is better).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
py=${PYTHON:-/usr/bin/python3}
configs=${CONFIGS:-tiny anchor}
steps=${STEPS:-30}
warmup=${WARMUP:-5}
threads=${THREADS:-2}
export OPENBLAS_NUM_THREADS=$threads

for b in ds-compile ds-run; do
  [ -x "$build/bin/$b" ] || { echo "missing $build/bin/$b (build first: scripts/build.sh)" >&2; exit 1; }
done
"$py" -c 'import torch' 2>/dev/null || { echo "no torch in $py: bash scripts/install-deps.sh --with-torch" >&2; exit 1; }
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in *openblas*) ;; *) echo "warning: libblas.so.3 -> $blas is not OpenBLAS; the PyTorch baseline is a straw man" >&2 ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsc-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "temp dir: $tmp"; fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on these cores distort both systems)"
echo "ds-compile: $build/bin/ds-compile; PyTorch: $py, libblas.so.3 -> $blas, threads $threads"

# shellcheck source=bench/gpt2_config.sh
. "$root/bench/gpt2_config.sh"
results=()   # "config|system|batch|median_s"
for cfg in $configs; do
  [ "$cfg" = anchor ] &&
    echo "== anchor: exporting the example GPT-2 at vocab 2048, seq 128, d 256, 4 heads, 4 layers, FFN 1024, batch 8"
  gpt2_config "$cfg"
  rounds=${ROUNDS_TINY:-3}
  [ "$cfg" = anchor ] && rounds=${ROUNDS_ANCHOR:-1}
  out=$tmp/out_$cfg
  echo "== $cfg: $build/bin/ds-compile $onnx --config $dsconf --num_gpus 1 -o $out"
  t0=$(date +%s.%N)
  "$build/bin/ds-compile" "$onnx" --config "$dsconf" --num_gpus 1 -o "$out" > "$tmp/compile_$cfg.log" 2>&1
  t1=$(date +%s.%N)
  { grep "graph:" "$tmp/compile_$cfg.log" || true; } | sed "s/^/   /"
  printf 'compile time: %.2f s (%s)\n' "$(echo "$t1 - $t0" | bc -l)" "$cfg"

  : > "$tmp/ds_$cfg.txt"; : > "$tmp/pt_$cfg.txt"
  for r in $(seq 1 "$rounds"); do
    "$build/bin/ds-run" "$out" -- --data "$data" --steps $((warmup + steps)) \
      --metrics "$tmp/m_${cfg}_$r.jsonl" > "$tmp/run_${cfg}_$r.log" 2>&1
    "$py" - "$tmp/m_${cfg}_$r.jsonl" "$warmup" >> "$tmp/ds_$cfg.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows[int(sys.argv[2]):]:
    print(r["samples_per_s"])
PY
    "$py" "$root/bench/pytorch_train_step.py" --size "$cfg" --steps "$steps" --warmup "$warmup" \
      --threads "$threads" --times > "$tmp/pt_${cfg}_$r.json"
    "$py" -c 'import json,sys; [print(t) for t in json.load(open(sys.argv[1]))["times_s"]]' \
      "$tmp/pt_${cfg}_$r.json" >> "$tmp/pt_$cfg.txt"
  done
  batch=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch"])' "$tmp/pt_${cfg}_1.json")
  ds_med=$("$py" -c 'import statistics,sys; b=int(sys.argv[2]); print(statistics.median(b/float(l) for l in open(sys.argv[1])))' "$tmp/ds_$cfg.txt" "$batch")
  pt_med=$("$py" -c 'import statistics,sys; print(statistics.median(float(l) for l in open(sys.argv[1])))' "$tmp/pt_$cfg.txt")
  grep 'memory:' "$tmp/run_${cfg}_1.log" | sed 's/^/   /' || true
  ds_loss=$("$py" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print("%.4f -> %.4f" % (r[0]["loss"], r[-1]["loss"]))' "$tmp/m_${cfg}_1.jsonl")
  pt_loss=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f -> %.4f" % (r["loss_first"], r["loss_last"]))' "$tmp/pt_${cfg}_1.json")
  echo "   loss over $((warmup + steps)) steps: ds-compile $ds_loss, PyTorch $pt_loss"
  results+=("$cfg|ds-compile|$batch|$ds_med" "$cfg|pytorch|$batch|$pt_med")
done

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}" | "$py" -c '
import sys
rows = [l.strip().split("|") for l in sys.stdin if l.strip()]
print("| config | system | batch | ms/step (median) | samples/s | ds-compile / PyTorch |")
print("| --- | --- | --- | --- | --- | --- |")
by = {}
for cfg, system, batch, med in rows:
    by.setdefault(cfg, {})[system] = (int(batch), float(med))
for cfg, d in by.items():
    ratio = d["ds-compile"][1] / d["pytorch"][1]
    for system in ("ds-compile", "pytorch"):
        b, m = d[system]
        name = "ds-compile rank" if system == "ds-compile" else "PyTorch eager (set_num_threads(%s))" % sys.argv[1]
        print("| %s | %s | %d | %.2f | %.1f | %s |" % (cfg, name, b, m * 1e3, b / m,
              "%.2f" % ratio if system == "ds-compile" else "1.00"))
' "$threads"
