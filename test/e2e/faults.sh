#!/usr/bin/env bash
# Faults of a data-parallel job, each bounded in time:
#  - a rank killed mid-training: ds-run names it and exits non-zero within
#    30 s; a rank whose peer dies (started without ds-run) fails its
#    collective instead of hanging, and its message names the dead rank;
#  - ranks started from different plans: an error naming the first
#    collective they disagree on;
#  - MASTER_PORT in use, a rank that never arrives, a plan for another world
#    size: one clear message each.
#   faults.sh BIN_DIR MODEL DATA_DIR WORK_DIR
# No fixed port and no fixed sleep: ds-run picks its port (--master_port 0),
# ranks started by hand meet on a socket test/helpers/rendezvous_socket.py
# opened for rank 0, and every wait is for a condition, with a deadline.
set -uo pipefail
bin=$1 model=$2 data=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
helpers=$here/../helpers
rm -rf "$work" && mkdir -p "$work"
failures=0
check() { # NAME FILE PATTERN
  if grep -q -- "$3" "$2"; then
    echo "ok: $1"
  else
    echo "FAILED: $1: '$3' not in $2:"
    cat "$2"
    failures=$((failures + 1))
  fi
}
config() { # STAGE FILE
  cat > "$2" <<JSON
{"train_micro_batch_size_per_gpu": 1,
 "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},
 "zero_optimization": {"stage": $1}, "steps_per_print": 100000}
JSON
}
config 0 "$work/z0.json"
config 1 "$work/z1.json"
"$bin/ds-compile" "$model" --config "$work/z0.json" --num_gpus 2 -o "$work/z0" > /dev/null 2>&1 || exit 1
"$bin/ds-compile" "$model" --config "$work/z1.json" --num_gpus 2 -o "$work/z1" > /dev/null 2>&1 || exit 1
# Ranks started by hand get the job token ds-run would give them.
rank_env() { # RANK WORLD [PORT]
  echo "RANK=$1 WORLD_SIZE=$2 LOCAL_RANK=$1 MASTER_ADDR=127.0.0.1 ${3:+MASTER_PORT=$3} DSC_COMM_TIMEOUT=20 DSC_JOB_TOKEN=faults-job-token-0123456789"
}
# Waits up to SECONDS for COMMAND to succeed; false when it never did.
wait_for() { # SECONDS COMMAND...
  local deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
has_line() { [ -s "$1" ]; }
# Starts rank 0 of plan OUT by hand on a handed-over socket; its port goes
# to FILE (the other ranks wait for it).
start_rank0() { # OUT PORT_FILE ERR_FILE ARGS...
  local out=$1 file=$2 err=$3
  shift 3
  timeout 120 env $(rank_env 0 2) "$helpers/rendezvous_socket.py" "$file" \
    "$out/bin/rank_0" "$@" > /dev/null 2> "$err"
}

# 1. Kill rank 1 of a long run started by ds-run, once it trains (its first
# step is in the metrics).
"$bin/ds-run" --master_port 0 "$work/z0" -- --data "$data" --steps 1000000 \
  --metrics "$work/kill.jsonl" > "$work/kill.out" 2> "$work/kill.err" &
launcher=$!
victim=""
find_victim() {
  for pid in $(pgrep -P "$launcher"); do
    if tr '\0' '\n' < /proc/$pid/environ 2>/dev/null | grep -qx RANK=1; then
      victim=$pid
    fi
  done
  [ -n "$victim" ]
}
wait_for 60 find_victim && wait_for 60 has_line "$work/kill.jsonl" ||
  { echo "FAILED: the job never trained"; cat "$work/kill.err"; exit 1; }
start=$(date +%s)
kill -9 "$victim"
timeout 60 tail --pid="$launcher" -f /dev/null
wait "$launcher"
code=$?
elapsed=$(( $(date +%s) - start ))
check "ds-run names the killed rank" "$work/kill.err" "ds-run: error: rank 1 was killed by signal 9 (Killed); stopped the other ranks"
if [ "$(grep -c 'error:' "$work/kill.err")" -ne 1 ]; then
  echo "FAILED: the failure is not reported exactly once:"
  cat "$work/kill.err"
  failures=$((failures + 1))
fi
if [ "$code" -ne 0 ] && [ "$elapsed" -le 30 ]; then
  echo "ok: ds-run exited with code $code, ${elapsed} s after the kill"
else
  echo "FAILED: ds-run exited with code $code after ${elapsed} s"
  failures=$((failures + 1))
fi

# 2. The same without ds-run: the survivor's collective fails.
start_rank0 "$work/z0" "$work/peer.port" "$work/peer.err" --data "$data" \
  --steps 1000000 --metrics "$work/peer.jsonl" &
survivor=$!
wait_for 60 has_line "$work/peer.port" || { echo "FAILED: rank 0 never listened"; exit 1; }
env $(rank_env 1 2 "$(cat "$work/peer.port")") "$work/z0/bin/rank_1" --data "$data" \
  --steps 1000000 > /dev/null 2>&1 &
victim=$!
wait_for 60 has_line "$work/peer.jsonl" ||
  { echo "FAILED: the two ranks never trained"; cat "$work/peer.err"; exit 1; }
kill -9 "$victim"
wait "$victim" 2> /dev/null
start=$(date +%s)
timeout 60 tail --pid="$survivor" -f /dev/null
wait "$survivor"
code=$?
elapsed=$(( $(date +%s) - start ))
check "the survivor names the failed collective" "$work/peer.err" "ds-rank 0: stopped: collective #[0-9]* (.*) failed: .* failed on rank 0 of 2"
check "the survivor names the dead rank" "$work/peer.err" \
  "failed on rank 0 of 2: rank 1 is gone (its process ended or lost its connection)"
if [ "$code" -eq 3 ] && [ "$elapsed" -le 30 ]; then
  echo "ok: the survivor stopped (exit code 3), ${elapsed} s after the kill"
else
  echo "FAILED: the survivor exited with code $code after ${elapsed} s"
  failures=$((failures + 1))
fi

# 3. Rank 0 from a stage-0 plan, rank 1 from a stage-1 plan.
start_rank0 "$work/z0" "$work/mismatch.port" "$work/mismatch0.err" --data "$data" \
  --steps 2 &
first=$!
wait_for 60 has_line "$work/mismatch.port" || { echo "FAILED: rank 0 never listened"; exit 1; }
env $(rank_env 1 2 "$(cat "$work/mismatch.port")") timeout 60 "$work/z1/bin/rank_1" \
  --data "$data" --steps 2 > /dev/null 2> "$work/mismatch1.err"
code1=$?
wait "$first"
code0=$?
check "mismatched plans name the collective" "$work/mismatch0.err" \
  "the ranks' plans disagree at collective #0: rank 0 runs all_reduce of 342016 bytes (boundary), rank 1 runs reduce_scatter of 342016 bytes (boundary)"
if [ "$code0" -eq 1 ] && [ "$code1" -eq 1 ]; then
  echo "ok: both ranks exit with code 1"
else
  echo "FAILED: exit codes $code0 and $code1"
  failures=$((failures + 1))
fi

# 4. MASTER_PORT taken by another process (which holds a port the kernel
# picked, and says which).
/usr/bin/python3 -c "
import os, socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
open(sys.argv[1] + '.tmp', 'w').write('%d\\n' % s.getsockname()[1])
os.replace(sys.argv[1] + '.tmp', sys.argv[1])
time.sleep(60)" "$work/taken.port" &
holder=$!
wait_for 60 has_line "$work/taken.port" || { echo "FAILED: no port held"; exit 1; }
port=$(cat "$work/taken.port")
timeout 60 "$bin/ds-run" --master_port "$port" "$work/z0" -- --data "$data" --steps 1 \
  > /dev/null 2> "$work/port.err"
code=$?
kill "$holder"
check "a taken MASTER_PORT" "$work/port.err" "MASTER_PORT $port on 127.0.0.1 is in use"
[ "$code" -ne 0 ] || { echo "FAILED: exit code 0 with the port taken"; failures=$((failures + 1)); }

# 5. Rank 1 never starts.
timeout 60 env $(rank_env 0 2) DSC_COMM_TIMEOUT=2 \
  "$helpers/rendezvous_socket.py" "$work/absent.port" "$work/z0/bin/rank_0" \
  --data "$data" --steps 1 > /dev/null 2> "$work/absent.err"
check "a rank that never arrives" "$work/absent.err" "rank(s) 1 never arrived at the rendezvous on 127.0.0.1:$(cat "$work/absent.port") within 2 s"

# 6. A two-rank plan started alone.
timeout 60 "$work/z0/bin/rank_0" --data "$data" --steps 1 > /dev/null 2> "$work/alone.err"
check "a plan for another world size" "$work/alone.err" \
  "planned for 2 rank(s), but this job has 1 (WORLD_SIZE, from default); start the ranks with ds-run"

echo "$failures failed"
[ "$failures" -eq 0 ]
