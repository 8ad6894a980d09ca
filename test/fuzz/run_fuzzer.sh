#!/usr/bin/env bash
# Bounded run of a libFuzzer target on a copy of its seed corpus.
#
#   test/fuzz/run_fuzzer.sh FUZZER-BINARY [CORPUS-DIR] [libFuzzer args]
#
# CORPUS-DIR defaults to test/fuzz/corpus (the ONNX importer's seeds). The
# fuzzer runs in the work directory: name files in its options (-dict=...)
# by absolute path.
# FUZZ_SECONDS (default 60) bounds the run; FUZZ_WORKDIR keeps the work
# directory (corpus copy, crash inputs) instead of a temporary one. Exits
# non-zero when the fuzzer finds a crash, leak, timeout or OOM; the inputs
# that reproduce it are listed at the end.
set -u

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 FUZZER-BINARY [CORPUS-DIR] [libFuzzer options...]" >&2
  exit 2
fi
fuzzer=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift

here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus
# libFuzzer options start with '-'; anything else first is the corpus.
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  seeds=$1
  shift
fi
if [ ! -d "$seeds" ]; then
  echo "$0: no corpus directory $seeds" >&2
  exit 2
fi
workdir=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/dsc-fuzz.XXXXXX")}
mkdir -p "$workdir/corpus" "$workdir/artifacts"
cp "$seeds"/* "$workdir/corpus/"

echo "fuzzing for ${FUZZ_SECONDS:-60} s in $workdir"
# Run from an empty directory so nothing is written into the source tree.
(cd "$workdir" && "$fuzzer" \
  -max_total_time="${FUZZ_SECONDS:-60}" \
  -rss_limit_mb=2048 \
  -timeout=10 \
  -print_final_stats=1 \
  -artifact_prefix="$workdir/artifacts/" \
  "$@" \
  "$workdir/corpus") >"$workdir/fuzz.log" 2>&1
status=$?
# The full log is long; show the summary, or the end of it on failure.
if [ "$status" -ne 0 ]; then
  tail -n 40 "$workdir/fuzz.log"
else
  grep -E '^(Done|stat::)' "$workdir/fuzz.log"
fi

artifacts=$(ls "$workdir/artifacts")
if [ "$status" -ne 0 ] || [ -n "$artifacts" ]; then
  echo "FUZZER FAILED (exit status $status); reproducers:" >&2
  for a in $artifacts; do
    echo "  $workdir/artifacts/$a" >&2
  done
  echo "reproduce with: $fuzzer <reproducer>" >&2
  [ "$status" -ne 0 ] || status=1
  exit "$status"
fi
echo "no crash in ${FUZZ_SECONDS:-60} s (log: $workdir/fuzz.log)"
