#!/usr/bin/env bash
# Data parallelism against one rank: for each rank count N, train the model
# on one rank accumulating N micro-batches (gradient_accumulation_steps = N),
# then on N CPU ranks (ds-run, Gloo) with each ZeRO stage; every step's loss
# and gradient norm (before clipping), and the final weights, must match the
# one-rank run's within TOLERANCES = LOSS_RTOL:NORM_RTOL:WEIGHTS_RTOL
# (compare_training.py). The plan's collective bytes
# must equal what each rank ran, each rank's measured memory its predicted
# memory, and its model states (params, gradients, optimizer states) the
# ZeRO table of deepspeed.md (fp32): stage 0 16 Psi, stage 1
# 8 Psi + 8 Psi / N, stage 2 4 Psi + 12 Psi / N, stage 3 16 Psi / N bytes
# (Psi / N: the rank's partition exactly; stage 3's partition buffer holds
# ceil(Psi / N) elements on every rank, plus the params it keeps whole).
# Every rank trains without plan.json (moved aside, read by the checks):
# each carries its plan in its executable.
#   data_parallel_compare.sh BIN_DIR MODEL DATA_DIR STEPS MBS TOLERANCES WORK_DIR \
#     "RANKS..." "STAGES..." [PREFIX]
# MBS is train_micro_batch_size_per_gpu (a model with a static batch axis
# needs its batch size). With DP_GAS=G in the environment every rank
# accumulates G micro-batches (the one-rank run then accumulates RANKS * G);
# DP_PERSIST=T sets stage3_param_persistence_threshold (default 0: stage 3
# keeps no param whole); DP_REUSE=D sets stage3_max_reuse_distance (default
# DeepSpeed's 1e9: each param stays gathered between its uses; 0 gathers it
# again for each cluster of uses, forward and backward).
# Every job runs on a port ds-run picks (--master_port 0). With PREFIX, the data
# files are DATA_DIR/<PREFIX><input>.npy. The inputs are copied under their
# input names, their samples repeated until they hold the global batch of
# the largest rank count (RANKS micro-batches of MBS samples).
set -euo pipefail
bin=$1 model=$2 data=$3 steps=$4 mbs=$5 tolerances=$6 work=$7 ranks=$8
stages=$9 prefix=${10:-}
here=$(cd "$(dirname "$0")" && pwd)
IFS=: read -r loss_rtol norm_rtol weights_rtol <<< "$tolerances"
rm -rf "$work" && mkdir -p "$work"
gas=${DP_GAS:-1}
persist=${DP_PERSIST:-0}
reuse=${DP_REUSE:-1000000000}
most=$(echo $ranks | tr ' ' '\n' | sort -n | tail -1)
"$here/prepare_data.sh" "$data" "$work/data" $((most * mbs * gas)) "$prefix"
data=$work/data

config() { # GAS STAGE FILE
  cat > "$3" <<JSON
{"train_micro_batch_size_per_gpu": $mbs, "gradient_accumulation_steps": $1,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001, "weight_decay": 0.01}},
 "gradient_clipping": 1.0,
 "zero_optimization": {"stage": $2, "reduce_bucket_size": 30000,
                       "allgather_bucket_size": 50000,
                       "stage3_param_persistence_threshold": $persist,
                       "stage3_max_reuse_distance": $reuse},
 "steps_per_print": 1000}
JSON
}

for n in $ranks; do
  ref=$work/one_rank_gas$((n * gas))
  config $((n * gas)) 0 "$ref.json"
  "$bin/ds-compile" "$model" --config "$ref.json" -o "$ref" > /dev/null
  mv "$ref/plan.json" "$ref.plan.json"
  "$bin/ds-run" "$ref" -- --data "$data" --steps "$steps" \
    --metrics "$ref/metrics.jsonl" --save "$ref/final" > /dev/null
  for stage in $stages; do
    run=$work/zero${stage}_ranks$n
    config "$gas" "$stage" "$run.json"
    "$bin/ds-compile" "$model" --config "$run.json" --num_gpus "$n" -o "$run" > /dev/null
    mv "$run/plan.json" "$run.plan.json"
    echo "== ZeRO stage $stage on $n ranks (gradient_accumulation_steps $gas) vs one rank with gradient_accumulation_steps $((n * gas))"
    "$bin/ds-run" --master_port 0 "$run" -- --data "$data" \
      --steps "$steps" --metrics "$run/metrics.jsonl" --save "$run/final" \
      > "$run/log.txt"
    python3 "$here/compare_training.py" "$run/metrics.jsonl" "$ref/metrics.jsonl" \
      --loss-rtol "$loss_rtol" --norm-rtol "$norm_rtol" \
      --weights "$run/final/model.safetensors" "$ref/final/model.safetensors" --weights-rtol "$weights_rtol"
    # Every rank ran exactly the plan's collective bytes.
    if grep "collectives:" "$run/log.txt" | awk '{ if ($5 != $8) bad = 1 } END { exit bad }'; then
      echo "collective bytes: every rank ran the planned bytes"
    else
      grep "collectives:" "$run/log.txt"
      echo "collective bytes differ from the plan"
      exit 1
    fi
    # Measured: the bytes of the rank's blocks on resident pages (mincore)
    # at the end of each step; " of A allocated" would say that the run
    # left some allocated bytes untouched.
    if grep "memory:" "$run/log.txt" |
      awk '{ if ($5 != $8 || $0 ~ / allocated/) bad = 1 } END { exit bad }'; then
      echo "memory: every rank measured its predicted bytes"
    else
      grep "memory:" "$run/log.txt"
      echo "measured memory differs from the prediction"
      exit 1
    fi
    python3 - "$run.plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
z = plan["zero"]
psi, stage = z["flat_elements"], z["stage"]
for r, m in enumerate(plan["memory"]):
    part = z["partitions"][r][1] - z["partitions"][r][0]
    states = m["parameters"] + m["gradients"] + m["optimizer_states"]
    # Stage 3: every rank's partition buffer holds ceil(Psi / N) elements,
    # and the params below the persistence threshold are also kept whole.
    share = -(-psi // len(plan["memory"]))
    whole = sum(p["numel"] for p in z["params"] if p["whole"]) if stage == 3 else 0
    table = {0: 16 * psi, 1: 8 * psi + 8 * part, 2: 4 * psi + 12 * part,
             3: 4 * share + 4 * whole + 12 * part}[stage]
    line = f"rank {r}: model states {states} bytes, ZeRO table {table} bytes"
    if states != table:
        print(line + " MISMATCH")
        sys.exit(1)
    else:
        print(line)
PY
  done
done
