#!/usr/bin/env bash
# Checkpoints of a data-parallel job (ZeRO 0, 1, 2 and 3; stage 3 with the
# default persistence threshold, so small params stay whole):
#  - kill-and-resume: a run killed while it publishes its checkpoint of step
#    4 (before the directory's rename, or before `latest`'s) resumes from
#    step 2 and its steps 3-6 equal the uninterrupted run's bit for bit;
#  - a checkpoint written by 4 ranks continues on 2 ranks (accumulating 2
#    micro-batches, the same global batch) within RTOL of the 4-rank run;
#  - `ds-ckpt consolidate` equals the weights of one rank trained the same
#    steps (within RTOL), and `ds-ckpt export-onnx` gives a model whose loss
#    is the next step's loss of the run.
#   checkpoint_resume.sh BIN_DIR MODEL DATA_DIR MBS RTOL WORK_DIR [PREFIX]
# MBS is train_micro_batch_size_per_gpu; the inputs are DATA_DIR/<PREFIX>
# <input>.npy, repeated to hold the global batch of 4 ranks.
set -euo pipefail
bin=$1 model=$2 data=$3 mbs=$4 rtol=$5 work=$6 prefix=${7:-}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
"$here/prepare_data.sh" "$data" "$work/data" $((4 * mbs)) "$prefix"
data=$work/data
config() { # STAGE GAS FILE
  cat > "$3" <<JSON
{"train_micro_batch_size_per_gpu": $mbs, "gradient_accumulation_steps": $2,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001, "weight_decay": 0.01}},
 "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 4, "warmup_type": "linear"}},
 "zero_optimization": {"stage": $1, "reduce_bucket_size": 30000},
 "steps_per_print": 1000}
JSON
}
compile() { # CONFIG RANKS OUT
  "$bin/ds-compile" "$model" --config "$1" --num_gpus "$2" -o "$3" > /dev/null 2>&1
}
run() { # OUT ARGS...
  local out=$1
  shift
  "$bin/ds-run" --master_port 0 "$out" -- --data "$data" "$@" > /dev/null
}

# The checkpoint's two publishing renames, killed just before each (the
# fault injector below, LD_PRELOADed into the ranks, SIGKILLs rank 0 when it
# renames onto the path named): the directory of step 4, and `latest`
# pointing at it. Either way `latest` must still name step 2, complete, and
# a resume into the same directory must train steps 3-6 bit for bit as the
# uninterrupted run did, then publish its own step 4 and 6 over the debris.
inject=$(cd "$bin/.." && pwd)/lib/libdsc_kill_at_rename.so
[ -f "$inject" ] || { echo "no fault injector at $inject"; exit 1; }
for stage in 0 1 2 3; do
  config $stage 1 "$work/z$stage.json"
  compile "$work/z$stage.json" 2 "$work/z${stage}_2"
  run "$work/z${stage}_2" --steps 6 --metrics "$work/full$stage.jsonl"
  for fault in dir latest; do
    ck=$work/ck${stage}_$fault
    if [ $fault = dir ]; then at=$ck/global_step4; else at="$ck/latest#2"; fi
    echo "== ZeRO stage $stage: killed before the rename onto ${at#$work/}"
    status=0
    LD_PRELOAD=$inject DSC_KILL_AT_RENAME=$at "$bin/ds-run" --master_port 0 \
      "$work/z${stage}_2" -- --data "$data" --steps 6 --save-every 2 --save-dir "$ck" \
      > "$ck.log" 2>&1 || status=$?
    grep -q "KillAtRename: SIGKILL before rename" "$ck.log" ||
      { cat "$ck.log"; echo "FAILED: the fault was not injected"; exit 1; }
    [ "$status" -ne 0 ] || { echo "FAILED: ds-run exited 0 after a rank was killed"; exit 1; }
    [ "$(cat "$ck/latest")" = global_step2 ] ||
      { echo "FAILED: latest is '$(cat "$ck/latest")', not global_step2"; exit 1; }
    if [ $fault = dir ]; then
      [ -d "$ck/global_step4.tmp" ] && [ ! -e "$ck/global_step4" ] ||
        { ls "$ck"; echo "FAILED: expected global_step4.tmp only"; exit 1; }
    else
      [ -f "$ck/global_step4/state.json" ] ||
        { ls "$ck"; echo "FAILED: global_step4 was not published"; exit 1; }
    fi
    "$bin/ds-ckpt" info "$ck" > /dev/null
    run "$work/z${stage}_2" --steps 6 --resume "$ck" --save-every 2 --save-dir "$ck" \
      --metrics "$work/resumed${stage}_$fault.jsonl"
    [ "$(cat "$ck/latest")" = global_step6 ] && [ -z "$(ls -d "$ck"/*.tmp* 2> /dev/null)" ] ||
      { ls "$ck"; echo "FAILED: the resumed run left $(cat "$ck/latest") and debris"; exit 1; }
    # Compare the losses, grad norms and lrs exactly (samples_per_s differ).
    python3 - "$work/full$stage.jsonl" "$work/resumed${stage}_$fault.jsonl" <<'PY'
import json, sys
full = [json.loads(l) for l in open(sys.argv[1])][2:]
resumed = [json.loads(l) for l in open(sys.argv[2])]
keys = ("step", "loss", "lr", "grad_norm")
bad = [(f, r) for f, r in zip(full, resumed) if any(f[k] != r[k] for k in keys)]
if len(full) != 4 or len(resumed) != 4 or bad:
    print("FAILED: resumed steps differ:", bad or (len(full), len(resumed)))
    sys.exit(1)
print("ok: steps 3-6 after the resume equal the uninterrupted run's bit for bit")
PY
  done
done

# 4 ranks' checkpoint continued on 2 ranks with 2 micro-batches each.
config 1 1 "$work/four.json"
config 2 2 "$work/two.json"
compile "$work/four.json" 4 "$work/four"
compile "$work/two.json" 2 "$work/two"
run "$work/four" --steps 6 --metrics "$work/four_full.jsonl"
run "$work/four" --steps 3 --save-every 3 --save-dir "$work/ck4"
run "$work/two" --steps 6 --resume "$work/ck4" --metrics "$work/two_resumed.jsonl"
tail -n 3 "$work/four_full.jsonl" > "$work/four_tail.jsonl"
echo "== 4 ranks' checkpoint at step 3 continued on 2 ranks"
python3 "$here/compare_training.py" "$work/two_resumed.jsonl" "$work/four_tail.jsonl" --loss-rtol "$rtol"

# Consolidated weights against one rank trained the same 3 steps.
config 0 4 "$work/one.json"
compile "$work/one.json" 1 "$work/one"
run "$work/one" --steps 3 --save "$work/one_saved"
"$bin/ds-ckpt" consolidate "$work/ck4" -o "$work/consolidated.safetensors"
/usr/bin/python3 - "$work/consolidated.safetensors" "$work/one_saved/model.safetensors" "$rtol" "$here" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[4])
from compare_training import read_safetensors  # one reader for the e2e scripts
def load(path):
    return {name: np.asarray(values, dtype=np.float64).reshape(shape)
            for name, (shape, values) in read_safetensors(path).items()}
a, b, rtol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
assert a.keys() == b.keys(), "different params"
# Each element within rtol, with an absolute floor of 1e-5 (1% of one lr
# step; reached 6.4e-7 for gpt2_tiny): the attention key bias has a zero
# gradient in exact arithmetic (softmax ignores a shift), so Adam normalises
# rounding noise there, and the ranks' reduction order differs from one
# rank's accumulation order.
worst = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
ok = all(np.allclose(a[k], b[k], rtol=rtol, atol=1e-5) for k in a)
print(("ok" if ok else "FAILED") + f": consolidated weights vs one rank: {len(a)} params, worst absolute difference {worst:.2e}")
sys.exit(0 if ok else 1)
PY

# The exported model's loss is step 4's loss of the 4-rank run.
"$bin/ds-ckpt" export-onnx "$work/ck4" "$model" -o "$work/trained.onnx" > /dev/null
config 0 4 "$work/export.json"
"$bin/ds-compile" "$work/trained.onnx" --config "$work/export.json" -o "$work/exported" > /dev/null 2>&1
run "$work/exported" --steps 1 --metrics "$work/exported.jsonl"
sed -n 4p "$work/four_full.jsonl" > "$work/four_step4.jsonl"
echo "== the exported model's loss against step 4 of the run"
python3 "$here/compare_training.py" "$work/exported.jsonl" "$work/four_step4.jsonl" --loss-rtol "$rtol"
