#!/usr/bin/env bash
# Copies the .npy inputs DATA_DIR/<PREFIX><input>.npy to OUT_DIR/<input>.npy,
# repeating their samples until each holds at least SAMPLES (the global batch
# of the largest data-parallel run of a test).
#   prepare_data.sh DATA_DIR OUT_DIR SAMPLES [PREFIX]
set -euo pipefail
mkdir -p "$2"
/usr/bin/python3 - "$1" "${4:-}" "$2" "$3" <<'PY'
import glob, os, sys
import numpy as np
src, prefix, dst, samples = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for path in glob.glob(os.path.join(src, prefix + "*.npy")):
    a = np.load(path)
    reps = -(-samples // a.shape[0])
    np.save(os.path.join(dst, os.path.basename(path)[len(prefix):]),
            np.concatenate([a] * reps))
PY
