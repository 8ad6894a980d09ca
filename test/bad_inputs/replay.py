#!/usr/bin/python3
"""Replays a corpus of bad inputs through every tool of ds-compile.

    replay.py BIN_DIR [WORK_DIR] [--list] [-k SUBSTRING] [--keep] [-v]

BIN_DIR holds ds-compile, ds-run, ds-plan and ds-ckpt. The corpus is built
at run time in a fresh temporary directory under WORK_DIR (default: the
system's temporary directory): first the good fixtures (the bundled tiny
GPT-2 compiled for 1 rank and for 2 ranks with ZeRO-3, a small MLP, their
training data and checkpoints written by short runs), then bad variants
derived from copies of them (ONNX models, ds_configs, hostfiles, .npy data,
safetensors weights, checkpoints, plan.json / launch.json / state.json).

Every case runs one command (with cwd = the work directory, TMPDIR = a
folder inside it, MASTER_PORT = a free port found now) and must:

  1. exit with a code != 0 that is not a signal: the code is in 1..127
     (a negative code, or 128 + N as shells and ds-run report a signal,
     e.g. 134 for an abort or 139 for a segfault, is a crash);
  2. finish within CASE_TIMEOUT seconds (otherwise: a hang) and leave no
     process of its process group running;
  3. print exactly one error line, counted over stdout and stderr together.
     An error line is a line that matches `(^|\\s)error:`: `error: ...`
     (ds-compile), `ds-run: error: ...`, `ds-plan: error: ...`,
     `ds-ckpt: error: ...`, and for the rank executables
     `ds-rank: error: ...` / `ds-rank 1: error: ...`. Other lines (usage
     hints, warnings, `ds-run: rank 0 exited with code 1`) may appear; a
     failure that is reported twice (by a rank and again by ds-run, or by
     two ranks) or not at all with `error:` fails the case. Where the case
     says what the problem is, the error line must name it (a regular
     expression, matched case-insensitively against the line with every
     path under the work directory cut to the part below its corpus item,
     e.g. c/ck/ITEM/global_step9/state.json to global_step9/state.json,
     so that the corpus's folder names cannot satisfy it);
  4. change nothing under the work directory except the case's requested
     output (every file's size, mtime and, below 1 MB, SHA-1 content are
     compared; new files, new directories and removed ones count as
     changes; a new name containing `.tmp` is reported as a leftover
     temporary);
  5. not create the requested output when it did not exist before.

Many cases state the behaviour the tools should have, not what they do
today; a failing case is a bug in a tool, not in this table.

The run prints `PASS name` or `FAIL name: reasons` (with the command and
the tool's output indented below; -v shows the output of passing cases
too) per case, then `N passed, M failed` alone on the last line, and exits
with 1 when any case failed. --list prints the case names, -k runs the
cases whose name contains SUBSTRING, --keep keeps the work directory.
"""

import argparse
import collections
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "test", "helpers"))
from with_free_port import free_port  # noqa: E402  (the tests' one free-port helper)
CASE_TIMEOUT = 20  # seconds; a case that runs longer is a hang
FIXTURE_TIMEOUT = 120
HASH_LIMIT = 1 << 20  # files below this size are compared by content
ERROR_LINE = re.compile(r"(^|\s)error:")
DEEP = 100000  # nesting levels of the deep-JSON cases

Case = collections.namedtuple("Case", "name cmd out names env service")


def case(name, cmd, out=None, names=None, env=None, service=False):
    """One bad input: `cmd` and `out` are format strings over the paths of
    `paths()`; `names` is a regex the error line must match; `env` is
    "VAR=value ..." added to the environment; `service` starts a foreign
    TCP server on the case's port that answers garbage."""
    return Case(name, cmd, out, names, env, service)


# The corpus, one case per line, grouped by tool. Placeholders (see
# paths()): {dsc} {dsr} {dsp} {dck} the tools ds-compile, ds-run, ds-plan,
# ds-ckpt; {w} the work dir, {fx} the good fixtures, {c} the bad variants
# (built by build_corpus()), {o} a fresh output path per case, {port} a
# free TCP port per case; {mlp} the good MLP model and {mlpcfg} its
# `--config`; {gptmodel} the GPT-2 model, {data} its good data, {gpt} its
# 1-rank output and {rank} that rank's executable, {gpt2} the 2-rank ZeRO-3
# output and {rank2} its rank executable.
CASES = [
    # --- ds-compile: model files ---------------------------------------
    case("compile/model-missing", "{dsc} {c}/models/absent.onnx {mlpcfg} -o {o}", "{o}", r"absent\.onnx"),
    case("compile/model-empty-file", "{dsc} {c}/models/empty.onnx {mlpcfg} -o {o}", "{o}", r"empty\.onnx"),
    case("compile/model-not-onnx", "{dsc} {c}/models/text.onnx {mlpcfg} -o {o}", "{o}", r"text\.onnx"),
    case("compile/model-truncated", "{dsc} {c}/models/truncated.onnx {mlpcfg} -o {o}", "{o}", r"truncated\.onnx"),
    case("compile/model-is-directory", "{dsc} {c}/models {mlpcfg} -o {o}", "{o}", r"models"),
    case("compile/ir-version-99", "{dsc} {c}/models/v99.onnx {mlpcfg} -o {o}", "{o}", r"IR|ir_version|version"),
    case("compile/opset-7", "{dsc} {c}/models/ancient.onnx {mlpcfg} -o {o}", "{o}", r"opset"),
    case("compile/opset-99", "{dsc} {c}/models/future_ops.onnx {mlpcfg} -o {o}", "{o}", r"opset"),
    # --- ds-compile: bad graphs ----------------------------------------
    case("compile/graph-duplicate-output-name", "{dsc} {c}/models/dup_output.onnx {mlpcfg} -o {o}", "{o}", r"'y'|\by\b"),
    case("compile/graph-node-overwrites-input", "{dsc} {c}/models/overwrite_input.onnx {mlpcfg} -o {o}", "{o}", r"'x'|\bx\b"),
    case("compile/graph-duplicate-initializer", "{dsc} {c}/models/dup_init.onnx {mlpcfg} -o {o}", "{o}", r"\bW\b"),
    case("compile/graph-undefined-input", "{dsc} {c}/models/undefined_input.onnx {mlpcfg} -o {o}", "{o}", r"W_missing"),
    case("compile/graph-unsorted-nodes", "{dsc} {c}/models/reversed.onnx {mlpcfg} -o {o}", "{o}", r"sort|order|before|defined"),
    case("compile/graph-cycle", "{dsc} {c}/models/ring.onnx {mlpcfg} -o {o}", "{o}", r"cycle|sort|order|defined"),
    case("compile/graph-no-outputs", "{dsc} {c}/models/bare.onnx {mlpcfg} -o {o}", "{o}", r"output"),
    case("compile/graph-loss-not-scalar", "{dsc} {c}/models/vector_first.onnx {mlpcfg} -o {o}", "{o}", r"scalar|loss"),
    case("compile/graph-matmul-shape-mismatch", "{dsc} {c}/models/contract.onnx {mlpcfg} -o {o}", "{o}", r"MatMul|shape"),
    case("compile/graph-string-input", "{dsc} {c}/models/text_input.onnx {mlpcfg} -o {o}", "{o}", r"string|type"),
    case("compile/graph-reshape-two-minus-one", "{dsc} {c}/models/two_wildcards.onnx {mlpcfg} -o {o}", "{o}", r"Reshape|-1"),
    case("compile/weight-nan", "{dsc} {c}/models/value_a.onnx {mlpcfg} -o {o}", "{o}", r"\bW\b.*nan|nan.*\bW\b"),
    case("compile/weight-inf", "{dsc} {c}/models/value_b.onnx {mlpcfg} -o {o}", "{o}", r"\bW\b.*inf|inf.*\bW\b"),
    case("compile/weight-1e38", "{dsc} {c}/models/value_c.onnx {mlpcfg} -o {o}", "{o}", r"\bW\b"),
    case("compile/initializer-raw-data-short", "{dsc} {c}/models/raw_short.onnx {mlpcfg} -o {o}", "{o}", r"\bW\b"),
    case("compile/external-data-missing", "{dsc} {c}/models/ext/missing_data.onnx {mlpcfg} -o {o}", "{o}", r"absent\.bin"),
    case("compile/external-data-outside-model-dir", "{dsc} {c}/models/ext/escape.onnx {mlpcfg} -o {o}", "{o}", r"outside\.bin|\.\."),
    case("compile/constantofshape-1e6x1e6", "{dsc} {c}/models/huge_a.onnx {mlpcfg} -o {o}", "{o}", r"ConstantOfShape|1000000"),
    case("compile/expand-1048576x524288", "{dsc} {c}/models/huge_b.onnx {mlpcfg} -o {o}", "{o}", r"Expand|1048576|524288"),
    case("compile/unsupported-op", "{dsc} {c}/models/unsupported_op.onnx {mlpcfg} -o {o}", "{o}", r"Hardmax"),
    case("compile/custom-domain-op", "{dsc} {c}/models/custom_domain.onnx {mlpcfg} -o {o}", "{o}", r"com\.example|FusedThing"),
    case("compile/bad-model-keeps-old-output", "{dsc} {c}/models/truncated.onnx {mlpcfg} -o {c}/victims/old_out", None, r"truncated\.onnx"),
    # --- ds-compile: configs ------------------------------------------
    case("compile/config-missing", "{dsc} {mlp} --config {c}/cfg/absent.json -o {o}", "{o}", r"absent\.json"),
    case("compile/config-is-directory", "{dsc} {mlp} --config {c}/cfg -o {o}", "{o}", r"cfg"),
    case("compile/config-empty-file", "{dsc} {mlp} --config {c}/cfg/empty.json -o {o}", "{o}", r"empty\.json"),
    case("compile/config-syntax-error", "{dsc} {mlp} --config {c}/cfg/syntax.json -o {o}", "{o}", r"syntax\.json"),
    case("compile/config-trailing-garbage", "{dsc} {mlp} --config {c}/cfg/trailing.json -o {o}", "{o}", r"trailing\.json"),
    case("compile/config-not-object", "{dsc} {mlp} --config {c}/cfg/array.json -o {o}", "{o}", r"array\.json"),
    case("compile/config-bad-utf8", "{dsc} {mlp} --config {c}/cfg/bad_utf8.json -o {o}", "{o}", r"bad_utf8\.json"),
    case("compile/config-unknown-key", "{dsc} {mlp} --config {c}/cfg/unknown_key.json -o {o}", "{o}", r"train_batch_sise"),
    case("compile/config-duplicate-key", "{dsc} {mlp} --config {c}/cfg/duplicate_key.json -o {o}", "{o}", r"gradient_accumulation_steps"),
    case("compile/config-wrong-type", "{dsc} {mlp} --config {c}/cfg/wrong_type.json -o {o}", "{o}", r"train_micro_batch_size_per_gpu"),
    case("compile/config-wrong-type-nested", "{dsc} {mlp} --config {c}/cfg/rate_text.json -o {o}", "{o}", r"lr"),
    case("compile/config-float-batch", "{dsc} {mlp} --config {c}/cfg/mbs_float.json -o {o}", "{o}", r"train_micro_batch_size_per_gpu"),
    case("compile/config-huge-int", "{dsc} {mlp} --config {c}/cfg/mbs_huge.json -o {o}", "{o}", r"train_micro_batch_size_per_gpu"),
    case("compile/config-deep-objects", "{dsc} {mlp} --config {c}/cfg/deep_objects.json -o {o}", "{o}", r"deep_objects\.json|depth|nest"),
    case("compile/config-deep-arrays", "{dsc} {mlp} --config {c}/cfg/deep_arrays.json -o {o}", "{o}", r"deep_arrays\.json|depth|nest"),
    case("compile/config-zero-stage-4", "{dsc} {mlp} --config {c}/cfg/zero4.json -o {o}", "{o}", r"stage"),
    case("compile/config-micro-batch-0", "{dsc} {mlp} --config {c}/cfg/mbs0.json -o {o}", "{o}", r"train_micro_batch_size_per_gpu"),
    case("compile/config-accumulation-negative", "{dsc} {mlp} --config {c}/cfg/gas_negative.json -o {o}", "{o}", r"gradient_accumulation_steps"),
    case("compile/config-clipping-negative", "{dsc} {mlp} --config {c}/cfg/clip_negative.json -o {o}", "{o}", r"gradient_clipping"),
    case("compile/config-lr-overflow", "{dsc} {mlp} --config {c}/cfg/rate_overflow.json -o {o}", "{o}", r"\blr\b|1e400"),
    case("compile/config-unknown-optimizer", "{dsc} {mlp} --config {c}/cfg/unknown_optimizer.json -o {o}", "{o}", r"AdamX"),
    case("compile/config-batch-mismatch", "{dsc} {mlp} --config {c}/cfg/tbs5.json -o {o}", "{o}", r"\b5\b.*\b2\b|\b2\b.*\b5\b"),
    case("compile/config-batch-mismatch-3-ranks", "{dsc} {mlp} --config {c}/cfg/tbs4_mbs1.json --num_gpus 3 -o {o}", "{o}", r"\b4\b.*\b3\b|\b3\b.*\b4\b"),
    case("compile/config-batch-overflow", "{dsc} {mlp} --config {c}/cfg/mbs_gas_overflow.json -o {o}", "{o}", r"64 bits|train_micro_batch_size_per_gpu"),
    case("compile/config-parallel-degrees-overflow", "{dsc} {mlp} --config {c}/cfg/tp_pp_2pow32.json -o {o}", "{o}", r"autotp_size|stages"),
    case("compile/config-partition-regex-too-large", "{dsc} {mlp} --config {c}/cfg/nested_regex.json -o {o}", "{o}", r"partition_method"),
    # --- ds-compile: hostfiles and resources ---------------------------
    case("compile/hostfile-missing", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/absent -o {o}", "{o}", r"absent"),
    case("compile/hostfile-empty", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/blank -o {o}", "{o}", r"no hosts|empty|blank"),
    case("compile/hostfile-bad-entry", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/bad_entry -o {o}", "{o}", r"slot=2"),
    case("compile/hostfile-zero-slots", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/h_zero -o {o}", "{o}", r"slots"),
    case("compile/hostfile-negative-slots", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/h_negative -o {o}", "{o}", r"-1|slots"),
    case("compile/hostfile-huge-slots", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/h_huge -o {o}", "{o}", r"slots"),
    case("compile/hostfile-duplicate-host", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/h_dup -o {o}", "{o}", r"twice|duplicate"),
    case("compile/hostfile-binary", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/binary -o {o}", "{o}", r"binary"),
    case("compile/hostfile-is-directory", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host -o {o}", "{o}", r"host"),
    case("compile/hostfile-non-ascii-host", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/latin1_host -o {o}", "{o}", r"ascii|host name"),
    case("compile/hostfile-too-many-slots", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/h_17x65536 -o {o}", "{o}", r"1048576|slots"),
    case("compile/include-unknown-host", "{dsc} {mlp} {mlpcfg} --hostfile {c}/host/two_slots --include nohost -o {o}", "{o}", r"nohost"),
    case("compile/num-gpus-0", "{dsc} {mlp} {mlpcfg} --num_gpus 0 -o {o}", "{o}", r"num_gpus"),
    case("compile/num-gpus-negative", "{dsc} {mlp} {mlpcfg} --num_gpus -1 -o {o}", "{o}", r"num_gpus"),
    case("compile/num-nodes-0", "{dsc} {mlp} {mlpcfg} --num_nodes 0 -o {o}", "{o}", r"num_nodes"),
    # --- ds-compile: command line ---------------------------------------
    case("compile/no-arguments", "{dsc}", None, r"model"),
    case("compile/unknown-option", "{dsc} {mlp} {mlpcfg} --bogus -o {o}", "{o}", r"bogus"),
    case("compile/emit-unknown", "{dsc} {mlp} {mlpcfg} --emit llvm", None, r"emit|llvm"),
    case("compile/input-shape-first-dim-not-micro-batch", "{dsc} {mlp} {mlpcfg} --input-shape x=3x4 -o {o}", "{o}", r"\bx\b.*3|micro"),
    case("compile/input-shape-syntax", "{dsc} {mlp} {mlpcfg} --input-shape x=2by4 -o {o}", "{o}", r"2by4"),
    case("compile/input-shape-unknown-input", "{dsc} {mlp} {mlpcfg} --input-shape w=2x4 -o {o}", "{o}", r"'w'|\bw\b"),
    case("compile/input-shape-negative-dim", "{dsc} {mlp} {mlpcfg} --input-shape x=2x-4 -o {o}", "{o}", r"-4"),
    case("compile/input-shape-overflow", "{dsc} {mlp} {mlpcfg} --input-shape x=2x99999999999999999999 -o {o}", "{o}", r"99999999999999999999"),
    case("compile/input-shape-wrong-rank", "{dsc} {mlp} {mlpcfg} --input-shape x=2x4x1 -o {o}", "{o}", r"rank|dims"),
    case("compile/o-names-the-input-model", "{dsc} {c}/victims/o_model/mlp.onnx {mlpcfg} -o {c}/victims/o_model/mlp.onnx", None, r"mlp\.onnx"),
    case("compile/o-names-the-config", "{dsc} {mlp} --config {c}/victims/o_cfg/mlp.json -o {c}/victims/o_cfg/mlp.json", None, r"mlp\.json"),
    case("compile/o-names-a-regular-file", "{dsc} {mlp} {mlpcfg} -o {c}/victims/o_file/notes.txt", None, r"notes\.txt"),
    case("compile/o-empty-string", "{dsc} {mlp} {mlpcfg} -o ''", None, r"-o|output"),
    case("compile/o-existing-non-output-dir", "{dsc} {mlp} {mlpcfg} -o {c}/victims/o_dir", None, r"o_dir"),
    case("compile/o-dir-with-foreign-plan-json", "{dsc} {mlp} {mlpcfg} -o {c}/victims/o_plan", None, r"o_plan"),
    case("compile/o-under-a-regular-file", "{dsc} {mlp} {mlpcfg} -o {c}/victims/o_file2/notes.txt/out", None, r"notes\.txt"),
    # --- ds-run ----------------------------------------------------------
    case("run/no-arguments", "{dsr}", None, r"out|required"),
    case("run/missing-out-dir", "{dsr} --master_port {port} {c}/run/absent -- --data {data}", None, r"absent"),
    case("run/out-is-a-file", "{dsr} --master_port {port} {c}/victims/o_file/notes.txt -- --data {data}", None, r"notes\.txt"),
    case("run/out-without-launch-json", "{dsr} --master_port {port} {c}/run/empty_out -- --data {data}", None, r"launch\.json"),
    case("run/launch-json-not-json", "{dsr} --master_port {port} {c}/run/not_json -- --data {data}", None, r"launch\.json"),
    case("run/launch-json-world-size-string", "{dsr} --master_port {port} {c}/run/world_size_string -- --data {data}", None, r"world_size"),
    case("run/launch-json-ranks-object", "{dsr} --master_port {port} {c}/run/ranks_object -- --data {data}", None, r"ranks"),
    case("run/launch-json-no-ranks", "{dsr} --master_port {port} {c}/run/ranks_empty -- --data {data}", None, r"ranks"),
    case("run/launch-json-port-string", "{dsr} {c}/run/port_string -- --data {data}", None, r"master_port"),
    case("run/launch-json-port-out-of-range", "{dsr} {c}/run/port_70000 -- --data {data}", None, r"master_port|70000"),
    case("run/launch-json-world-size-mismatch", "{dsr} --master_port {port} {c}/run/world_mismatch -- --data {data}", None, r"world_size"),
    case("run/launch-json-deep", "{dsr} --master_port {port} {c}/run/deep -- --data {data}", None, r"launch\.json"),
    case("run/rank-binary-missing", "{dsr} --master_port {port} {c}/run/no_binary -- --data {data}", None, r"rank_0"),
    case("run/plan-for-another-world-size", "{dsr} --master_port {port} {c}/run/plan_other_world -- --data {data} --steps 1", None, r"plan\.json|world"),
    case("run/rank-args-without-dashdash", "{dsr} --master_port {port} {gpt} --data {data} --steps 1", None, r"--data|--"),
    case("run/hostfile-does-not-match-plan", "{dsr} --master_port {port} --hostfile {c}/host/three_slots {gpt} -- --data {data}", None, r"compiled|compile again"),
    case("run/hostfile-missing", "{dsr} --master_port {port} --hostfile {c}/host/absent {gpt} -- --data {data}", None, r"absent"),
    case("run/num-gpus-does-not-match-plan", "{dsr} --master_port {port} --num_gpus 2 {gpt} -- --data {data}", None, r"compiled|compile again"),
    case("run/master-port-70000", "{dsr} --master_port 70000 {gpt} -- --data {data}", None, r"master_port"),
    # A free port picked at launch cannot reach ranks on other nodes.
    case("run/master-port-0-over-ssh", "{dsr} --master_port 0 --launcher ssh {gpt} -- --data {data}", None,
         r"master_port 0"),
    case("run/unknown-launcher", "{dsr} --launcher bogus {gpt} -- --data {data}", None, r"launcher|bogus"),
    case("run/launcher-args-with-local", "{dsr} --master_port {port} --launcher_args -v {gpt} -- --data {data}", None, r"launcher_args"),
    case("run/node-rank-out-of-range", "{dsr} --master_port {port} --node_rank 3 {gpt} -- --data {data}", None, r"node_rank"),
    # A server on MASTER_PORT that is not a rendezvous: one message saying
    # that the port is taken by something else, from whichever process
    # notices first (rank 0 cannot bind it, rank 1 reads garbage from it).
    case("run/foreign-service-on-master-port", "{dsr} --master_port {port} {gpt2} -- --data {data} --steps 1", None,
         r"{port}.*(in use|not a|not the|foreign|another)|(in use|not a|not the|foreign|another).*{port}", service=True),
    # Rank 1 alone meets the server: it must say that it is not rank 0's
    # rendezvous (not that it lost a rendezvous).
    case("rank/foreign-service-on-master-port", "{rank2} --data {data} --steps 1", None,
         r"{port}.*(not a|not the|foreign|another)|(not a|not the|foreign|another).*{port}",
         env="WORLD_SIZE=2 RANK=1 LOCAL_RANK=1 DSC_JOB_TOKEN=bad-inputs-token-0123", service=True),
    # A rank started by hand without the job's token: how to pass it.
    case("rank/no-job-token", "{rank2} --data {data} --steps 1", None, r"DSC_JOB_TOKEN",
         env="WORLD_SIZE=2 RANK=1 LOCAL_RANK=1"),
    case("rank/job-token-too-short", "{rank2} --data {data} --steps 1", None, r"job token",
         env="WORLD_SIZE=2 RANK=1 LOCAL_RANK=1 DSC_JOB_TOKEN=short"),
    case("run/rank-fails-on-missing-data", "{dsr} --master_port {port} {gpt} -- --data {c}/data/absent --steps 1", None, r"absent"),
    case("run/rank-fails-on-steps-0", "{dsr} --master_port {port} {gpt} -- --data {data} --steps 0", None, r"steps"),
    # --- the rank executable -------------------------------------------
    case("rank/unknown-option", "{rank} --data {data} --bogus", None, r"bogus"),
    case("rank/positional-argument", "{rank} --data {data} stray", None, r"stray"),
    case("rank/data-given-twice", "{rank} --data {data} --data {data}", None, r"--data"),
    case("rank/data-empty-value", "{rank} --data ''", None, r"--data"),
    case("rank/steps-0", "{rank} --data {data} --steps 0", None, r"steps"),
    case("rank/steps-negative", "{rank} --data {data} --steps -1", None, r"steps"),
    case("rank/steps-not-a-number", "{rank} --data {data} --steps abc", None, r"steps"),
    case("rank/steps-overflow", "{rank} --data {data} --steps 99999999999999999999", None, r"steps"),
    case("rank/data-dir-missing", "{rank} --data {c}/data/absent --steps 1", None, r"absent"),
    case("rank/data-file-missing", "{rank} --data {c}/data/one_file --steps 1", None, r"labels"),
    case("rank/data-empty-file", "{rank} --data {c}/data/empty --steps 1", None, r"ids\.npy"),
    case("rank/data-file-is-directory", "{rank} --data {c}/data/ids_dir --steps 1", None, r"ids\.npy"),
    case("rank/data-bad-npy-magic", "{rank} --data {c}/data/bad_magic --steps 1", None, r"ids\.npy"),
    case("rank/data-bad-npy-header", "{rank} --data {c}/data/bad_header --steps 1", None, r"ids\.npy"),
    case("rank/data-npy-header-longer-than-file", "{rank} --data {c}/data/long_header --steps 1", None, r"ids\.npy"),
    case("rank/data-npy-version-9", "{rank} --data {c}/data/version9 --steps 1", None, r"ids\.npy"),
    case("rank/data-npy-object-dtype", "{rank} --data {c}/data/object --steps 1", None, r"ids\.npy"),
    case("rank/data-truncated", "{rank} --data {c}/data/truncated --steps 1", None, r"ids\.npy"),
    case("rank/data-wrong-dtype", "{rank} --data {c}/data/float_ids --steps 1", None, r"ids\.npy"),
    case("rank/data-wrong-shape", "{rank} --data {c}/data/short_seq --steps 1", None, r"ids\.npy"),
    case("rank/data-too-few-samples", "{rank} --data {c}/data/one_sample --steps 1", None, r"ids\.npy|labels\.npy"),
    case("rank/data-sample-counts-differ", "{rank} --data {c}/data/counts_differ --steps 1", None, r"labels\.npy|ids\.npy"),
    case("rank/data-ids-beyond-vocabulary", "{rank} --data {c}/data/big_tokens --steps 1", None, r"\bids\b|out of range|vocab"),
    case("rank/data-ids-negative", "{rank} --data {c}/data/neg_tokens --steps 1", None, r"\bids\b|out of range|vocab"),
    case("rank/weights-missing", "{c}/outs/weights_missing/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-empty", "{c}/outs/weights_empty/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-truncated", "{c}/outs/weights_truncated/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-header-length-huge", "{c}/outs/weights_huge_header/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-header-not-json", "{c}/outs/weights_bad_header/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-offsets-beyond-file", "{c}/outs/weights_bad_offsets/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/weights-of-another-model", "{c}/outs/weights_foreign/bin/rank_0 --data {data} --steps 1", None, r"rank_0\.safetensors"),
    case("rank/plan-missing", "{rank} --plan {c}/plans/absent.json --data {data}", None, r"absent\.json"),
    case("rank/plan-not-json", "{c}/outs/plan_not_json/bin/rank_0 --plan {c}/outs/plan_not_json/plan.json --data {data} --steps 1", None, r"plan\.json"),
    case("rank/plan-wrong-type", "{c}/outs/plan_wrong_type/bin/rank_0 --plan {c}/outs/plan_wrong_type/plan.json --data {data} --steps 1", None, r"arena_bytes"),
    case("rank/plan-deep", "{c}/outs/plan_deep/bin/rank_0 --plan {c}/outs/plan_deep/plan.json --data {data} --steps 1", None, r"plan\.json"),
    case("rank/plan-arena-2-pow-62", "{c}/outs/plan_arena_huge/bin/rank_0 --plan {c}/outs/plan_arena_huge/plan.json --data {data} --steps 1", None, r"arena|allocate"),
    case("rank/plan-buffer-beyond-arena", "{c}/outs/plan_buffer_beyond/bin/rank_0 --plan {c}/outs/plan_buffer_beyond/plan.json --data {data} --steps 1", None, r"arena|offset"),
    # The plan in the executable itself, damaged.
    case("rank/object-plan-damaged", "{c}/outs/object_plan_damaged/bin/rank_0 --data {data} --steps 1", None, r"dsc_plan"),
    case("rank/plan-for-2-ranks-started-alone", "{rank2} --data {data} --steps 1", None, r"2 rank"),
    case("rank/world-size-not-a-number", "{rank} --data {data} --steps 1", None, r"WORLD_SIZE", env="WORLD_SIZE=abc RANK=0"),
    case("rank/rank-beyond-world", "{rank2} --data {data} --steps 1", None, r"RANK", env="WORLD_SIZE=2 RANK=5 LOCAL_RANK=5"),
    case("rank/comm-timeout-not-a-number", "{rank2} --data {data} --steps 1", None, r"DSC_COMM_TIMEOUT",
         env="WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 DSC_COMM_TIMEOUT=abc"),
    case("rank/out-on-a-training-plan", "{rank} --data {data} --out {o}", "{o}", r"--out"),
    case("rank/save-every-0", "{rank} --data {data} --steps 1 --save-every 0 --save-dir {o}", "{o}", r"save-every"),
    case("rank/save-every-without-save-dir", "{rank} --data {data} --steps 1 --save-every 1", None, r"save-dir"),
    case("rank/save-dir-is-a-file", "{rank} --data {data} --steps 1 --save-every 1 --save-dir {c}/victims/o_file/notes.txt", None, r"notes\.txt"),
    case("rank/metrics-under-a-file", "{rank} --data {data} --steps 1 --metrics {c}/victims/o_file2/notes.txt/m.jsonl", None, r"notes\.txt"),
    case("rank/save-under-a-file", "{rank} --data {data} --steps 1 --save {c}/victims/o_file2/notes.txt/saved", None, r"notes\.txt"),
    case("rank/resume-missing-dir", "{rank} --data {data} --steps 3 --resume {c}/ck/absent", None, r"absent"),
    case("rank/resume-latest-dangling", "{rank} --data {data} --steps 3 --resume {c}/ck/latest_dangling", None, r"global_step9"),
    case("rank/resume-latest-empty", "{rank} --data {data} --steps 3 --resume {c}/ck/latest_empty", None, r"latest"),
    case("rank/resume-truncated-model", "{rank} --data {data} --steps 3 --resume {c}/ck/model_truncated", None, r"model\.safetensors"),
    case("rank/resume-truncated-optimizer-shard", "{rank} --data {data} --steps 3 --resume {c}/ck/optim_truncated", None, r"optim_states_0"),
    case("rank/resume-missing-optimizer-shard", "{rank} --data {data} --steps 3 --resume {c}/ck/optim_missing", None, r"optim_states_0"),
    case("rank/resume-2-rank-checkpoint-missing-shard", "{rank} --data {data} --steps 3 --resume {c}/ck/two_rank_missing_shard", None, r"optim_states_1"),
    case("rank/resume-state-json-not-json", "{rank} --data {data} --steps 3 --resume {c}/ck/state_not_json", None, r"state\.json"),
    case("rank/resume-state-json-wrong-type", "{rank} --data {data} --steps 3 --resume {c}/ck/state_wrong_type", None, r"global_steps|state\.json"),
    case("rank/resume-state-json-deep", "{rank} --data {data} --steps 3 --resume {c}/ck/state_deep", None, r"state\.json"),
    case("rank/resume-state-json-negative-dim", "{rank} --data {data} --steps 3 --resume {c}/ck/state_negative_dim", None, r"wte\.weight|shape|-64"),
    case("rank/resume-state-json-other-batch-size", "{rank} --data {data} --steps 3 --resume {c}/ck/state_tbs8", None, r"train_batch_size|batch"),
    case("rank/resume-state-json-float16", "{rank} --data {data} --steps 3 --resume {c}/ck/state_float16", None, r"float16|dtype"),
    case("rank/resume-checkpoint-of-another-model", "{rank} --data {data} --steps 3 --resume {fx}/ckm", None, r"param|state\.json"),
    case("rank/resume-steps-at-checkpoint", "{rank} --data {data} --steps 2 --resume {fx}/ck1", None, r"steps|global_step2"),
    case("rank/resume-steps-below-checkpoint", "{rank} --data {data} --steps 1 --resume {fx}/ck1", None, r"steps|global_step2"),
    # --- ds-plan ---------------------------------------------------------
    case("plan/no-arguments", "{dsp}", None, r"out|required"),
    case("plan/unknown-option", "{dsp} {gpt} --bogus", None, r"bogus"),
    case("plan/missing-dir", "{dsp} {c}/plan/absent", None, r"absent"),
    case("plan/dir-is-a-file", "{dsp} {c}/victims/o_file/notes.txt", None, r"notes\.txt"),
    case("plan/plan-json-missing", "{dsp} {c}/plan/no_plan", None, r"plan\.json"),
    case("plan/launch-json-missing", "{dsp} {c}/plan/no_launch", None, r"launch\.json"),
    case("plan/plan-json-not-json", "{dsp} {c}/plan/not_json", None, r"plan\.json"),
    case("plan/plan-json-array", "{dsp} {c}/plan/array", None, r"plan\.json"),
    case("plan/plan-json-deep", "{dsp} {c}/plan/deep", None, r"plan\.json"),
    case("plan/format-foreign", "{dsp} {c}/plan/format_foreign", None, r"format"),
    case("plan/format-number", "{dsp} {c}/plan/format_number", None, r"format"),
    case("plan/mode-number", "{dsp} {c}/plan/mode_number", None, r"mode"),
    case("plan/batch-string", "{dsp} {c}/plan/batch_string", None, r"batch"),
    case("plan/batch-size-string", "{dsp} {c}/plan/batch_size_string", None, r"train_batch_size"),
    case("plan/optimizer-lr-string", "{dsp} {c}/plan/lr_string", None, r"lr"),
    case("plan/memory-entry-number", "{dsp} {c}/plan/memory_number", None, r"memory"),
    case("plan/collectives-string", "{dsp} {c}/plan/collectives_string", None, r"collectives"),
    case("plan/collective-bytes-string", "{dsp} {c}/plan/collective_bytes_string", None, r"bytes"),
    case("plan/zero-params-entry-number", "{dsp} {c}/plan/zero_params_number", None, r"params|zero"),
    case("plan/kernel-name-number", "{dsp} {c}/plan/kernel_number", None, r"kernel"),
    case("plan/launch-world-size-string", "{dsp} {c}/plan/world_size_string", None, r"world_size"),
    case("plan/launch-ranks-number", "{dsp} {c}/plan/ranks_number", None, r"ranks"),
    case("plan/launch-host-number", "{dsp} {c}/plan/host_number", None, r"host"),
    case("plan/launch-master-port-string", "{dsp} {c}/plan/port_string", None, r"master_port"),
    # --- ds-ckpt ---------------------------------------------------------
    case("ckpt/no-arguments", "{dck}", None, r"subcommand"),
    case("ckpt/unknown-subcommand", "{dck} explode {fx}/ck1", None, r"explode"),
    case("ckpt/consolidate-without-o", "{dck} consolidate {fx}/ck1", None, r"output|-o"),
    case("ckpt/info-missing-dir", "{dck} info {c}/ck/absent", None, r"absent"),
    case("ckpt/info-dir-is-a-file", "{dck} info {c}/victims/o_file/notes.txt", None, r"notes\.txt"),
    case("ckpt/info-latest-escapes", "{dck} info {c}/ck/latest_escapes", None, r"latest"),
    case("ckpt/info-latest-empty", "{dck} info {c}/ck/latest_empty", None, r"latest"),
    case("ckpt/info-latest-dangling", "{dck} info {c}/ck/latest_dangling", None, r"global_step9"),
    case("ckpt/info-tag-missing", "{dck} info {fx}/ck1 --tag global_step9", None, r"global_step9"),
    case("ckpt/info-state-json-not-json", "{dck} info {c}/ck/state_not_json", None, r"state\.json"),
    case("ckpt/info-state-json-wrong-type", "{dck} info {c}/ck/state_wrong_type", None, r"global_steps|state\.json"),
    case("ckpt/info-state-json-deep", "{dck} info {c}/ck/state_deep", None, r"state\.json"),
    case("ckpt/info-state-json-negative-dim", "{dck} info {c}/ck/state_negative_dim", None, r"wte\.weight|shape|-64"),
    case("ckpt/info-state-json-offsets-wrap", "{dck} info {c}/ck/state_offsets_wrap", None, r"flat_elements"),
    case("ckpt/info-shard-range-beyond-params", "{dck} info {c}/ck/shard_range", None, r"optim_states_0|shard"),
    case("ckpt/info-truncated-model", "{dck} info {c}/ck/model_truncated", None, r"model\.safetensors"),
    case("ckpt/info-missing-model", "{dck} info {c}/ck/model_missing", None, r"model\.safetensors"),
    case("ckpt/info-truncated-optimizer-shard", "{dck} info {c}/ck/optim_truncated", None, r"optim_states_0"),
    case("ckpt/info-missing-optimizer-shard", "{dck} info {c}/ck/optim_missing", None, r"optim_states_0"),
    case("ckpt/info-2-rank-missing-shard", "{dck} info {c}/ck/two_rank_missing_shard", None, r"optim_states_1"),
    case("ckpt/consolidate-truncated-model", "{dck} consolidate {c}/ck/model_truncated -o {o}", "{o}", r"model\.safetensors"),
    case("ckpt/consolidate-negative-dim", "{dck} consolidate {c}/ck/state_negative_dim -o {o}", "{o}", r"wte\.weight|shape|-64"),
    case("ckpt/consolidate-o-existing-dir", "{dck} consolidate {fx}/ck1 -o {c}/victims/o_dir", None, r"o_dir"),
    case("ckpt/consolidate-o-under-a-file", "{dck} consolidate {fx}/ck1 -o {c}/victims/o_file2/notes.txt/m.safetensors", None, r"notes\.txt"),
    case("ckpt/export-onnx-model-of-another-graph", "{dck} export-onnx {fx}/ck1 {mlp} -o {o}", "{o}", r"wte\.weight|mlp\.onnx"),
    case("ckpt/export-onnx-model-missing", "{dck} export-onnx {fx}/ck1 {c}/models/absent.onnx -o {o}", "{o}", r"absent\.onnx"),
    case("ckpt/export-onnx-model-truncated", "{dck} export-onnx {fx}/ck1 {c}/models/truncated.onnx -o {o}", "{o}", r"truncated\.onnx"),
    case("ckpt/export-onnx-truncated-checkpoint", "{dck} export-onnx {c}/ck/model_truncated {gptmodel} -o {o}", "{o}", r"model\.safetensors"),
]


# --- small writers --------------------------------------------------------


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def write_json(path, obj):
    write(path, json.dumps(obj, indent=1) + "\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def deep_json(levels, inner="1"):
    """A JSON text nested `levels` objects deep (no parser should recurse
    on it without a limit)."""
    return '{"a":' * levels + inner + "}" * levels


def truncate_copy(src, dst, keep=0.5):
    with open(src, "rb") as f:
        data = f.read()
    write(dst, data[: int(len(data) * keep)])


def copy_tree(src, dst, link_binaries=True):
    """Copies a ds-compile output or checkpoint; executables are hard
    links (they are large and only read)."""
    def copy(s, d):
        if link_binaries and os.access(s, os.X_OK):
            os.link(s, d)
        else:
            shutil.copy2(s, d)
    shutil.copytree(src, dst, copy_function=copy, symlinks=True)


def safetensors_bytes(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# --- ONNX models ----------------------------------------------------------


def onnx_model(nodes, inits, inputs=None, outputs=None, opset=17, ir=8, domains=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    loss = helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])
    graph = helper.make_graph(nodes, "g", inputs if inputs is not None else [x],
                              outputs if outputs is not None else [loss], inits)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="replay.py")
    model.ir_version = ir
    return model


def mlp_weight(value=None):
    w = np.arange(16, dtype=np.float32).reshape(4, 4) / 16.0 - 0.5
    if value is not None:
        w[1, 2] = value
    return numpy_helper.from_array(w, "W")


def mlp_nodes(loss="loss", matmul_b="W"):
    """loss = mean((x @ W)^2): a scalar loss with one trainable weight."""
    return [helper.make_node("MatMul", ["x", matmul_b], ["y"]),
            helper.make_node("Mul", ["y", "y"], ["sq"]),
            helper.make_node("ReduceMean", ["sq"], [loss], keepdims=0)]


def plus_huge(tensor_nodes):
    """The MLP whose loss adds the mean of a huge constant tensor `big`."""
    return mlp_nodes(loss="loss0") + tensor_nodes + [
        helper.make_node("ReduceMean", ["big"], ["bm"], keepdims=0),
        helper.make_node("Add", ["loss0", "bm"], ["loss"])]


def const_node(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name + "_v"))


def build_models(c):
    m = os.path.join(c, "models")
    os.makedirs(m)
    save = lambda model, name: onnx.save(model, os.path.join(m, name))
    base = mlp_nodes()
    save(onnx_model(base, [mlp_weight()], ir=99), "v99.onnx")
    save(onnx_model(base, [mlp_weight()], opset=7), "ancient.onnx")
    save(onnx_model(base, [mlp_weight()], opset=99), "future_ops.onnx")
    # Non-SSA graphs: a name written twice.
    save(onnx_model([helper.make_node("Identity", ["x"], ["y"])] + base, [mlp_weight()]), "dup_output.onnx")
    save(onnx_model([helper.make_node("Neg", ["x"], ["x"])] + base, [mlp_weight()]), "overwrite_input.onnx")
    save(onnx_model(base, [mlp_weight(), numpy_helper.from_array(np.ones((4, 4), np.float32), "W")]), "dup_init.onnx")
    save(onnx_model(mlp_nodes(matmul_b="W_missing"), [mlp_weight()]), "undefined_input.onnx")
    save(onnx_model(list(reversed(base)), [mlp_weight()]), "reversed.onnx")
    save(onnx_model([helper.make_node("Add", ["x", "z"], ["x2"]), helper.make_node("Identity", ["x2"], ["z"]),
                     helper.make_node("MatMul", ["x2", "W"], ["y"])] + base[1:], [mlp_weight()]), "ring.onnx")
    save(onnx_model(base, [mlp_weight()], outputs=[]), "bare.onnx")
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    save(onnx_model(base, [mlp_weight()], outputs=[y]), "vector_first.onnx")
    save(onnx_model(base, [numpy_helper.from_array(np.ones((5, 3), np.float32), "W")]), "contract.onnx")
    xs = helper.make_tensor_value_info("x", TensorProto.STRING, ["batch", 4])
    save(onnx_model(base, [mlp_weight()], inputs=[xs]), "text_input.onnx")
    save(onnx_model([const_node("shape", np.array([-1, -1], np.int64)),
                     helper.make_node("Reshape", ["x", "shape"], ["xr"]),
                     helper.make_node("MatMul", ["xr", "W"], ["y"])] + base[1:], [mlp_weight()]),
         "two_wildcards.onnx")
    # Non-finite or near-limit values in a weight that MatMul reads: a
    # trainable parameter, not an additive mask.
    save(onnx_model(base, [mlp_weight(np.nan)]), "value_a.onnx")
    save(onnx_model(base, [mlp_weight(np.inf)]), "value_b.onnx")
    save(onnx_model(base, [mlp_weight(1e38)]), "value_c.onnx")
    short = mlp_weight()
    short.raw_data = short.raw_data[:10]
    save(onnx_model(base, [short]), "raw_short.onnx")
    # 10^12 and 2^39 elements, from shape sub-graphs.
    save(onnx_model(plus_huge([
        const_node("big_shape", np.array([1000000, 1000000], np.int64)),
        helper.make_node("ConstantOfShape", ["big_shape"], ["big"],
                         value=numpy_helper.from_array(np.array([0.5], np.float32), "fill"))]),
        [mlp_weight()]), "huge_a.onnx")
    save(onnx_model(plus_huge([
        const_node("one", np.array([1.0], np.float32)),
        const_node("big_shape", np.array([1048576, 524288], np.int64)),
        helper.make_node("Expand", ["one", "big_shape"], ["big"])]),
        [mlp_weight()]), "huge_b.onnx")
    save(onnx_model([helper.make_node("Hardmax", ["x"], ["xh"]), helper.make_node("MatMul", ["xh", "W"], ["y"])]
                    + base[1:], [mlp_weight()]), "unsupported_op.onnx")
    save(onnx_model([helper.make_node("FusedThing", ["x"], ["xf"], domain="com.example"),
                     helper.make_node("MatMul", ["xf", "W"], ["y"])] + base[1:], [mlp_weight()],
                    domains=["com.example"]), "custom_domain.onnx")
    # External data: a missing file, and a file outside the model's folder.
    for name, location in (("missing_data.onnx", "absent.bin"), ("escape.onnx", "../../outside.bin")):
        w = mlp_weight()
        w.ClearField("raw_data")
        w.ClearField("float_data")
        w.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", "0"), ("length", "64")):
            entry = w.external_data.add()
            entry.key, entry.value = key, value
        os.makedirs(os.path.join(m, "ext"), exist_ok=True)
        save(onnx_model(base, [w]), os.path.join("ext", name))
    write(os.path.join(c, "outside.bin"), mlp_weight().raw_data)
    write(os.path.join(m, "empty.onnx"), b"")
    write(os.path.join(m, "text.onnx"), "this is not a protobuf\n")
    truncate_copy(os.path.join(REPO, "examples", "models", "gpt2_tiny.onnx"), os.path.join(m, "truncated.onnx"))


# --- configs, hostfiles ---------------------------------------------------

MLP_CONFIG = {"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 1,
              "optimizer": {"type": "AdamW", "params": {"lr": 0.001}}, "steps_per_print": 1000}


def build_configs(c):
    d = os.path.join(c, "cfg")
    good = json.dumps(MLP_CONFIG)
    variant = lambda **kw: json.dumps({**MLP_CONFIG, **kw})
    files = {
        "empty.json": "",
        "syntax.json": '{"train_micro_batch_size_per_gpu": 2,, }',
        "trailing.json": good + " trailing words",
        "array.json": "[1, 2]",
        "bad_utf8.json": b'{"train_micro_batch_size_per_gpu": 2, "\xff\xfe": 1}',
        "unknown_key.json": variant(train_batch_sise=2),
        "duplicate_key.json": good[:-1] + ', "gradient_accumulation_steps": 2}',
        "wrong_type.json": variant(train_micro_batch_size_per_gpu="two"),
        "rate_text.json": variant(optimizer={"type": "AdamW", "params": {"lr": "fast"}}),
        "mbs_float.json": variant(train_micro_batch_size_per_gpu=2.5),
        "mbs_huge.json": good.replace('"train_micro_batch_size_per_gpu": 2', '"train_micro_batch_size_per_gpu": 99999999999999999999'),
        "deep_objects.json": good[:-1] + ', "zero_optimization": ' + deep_json(DEEP) + "}",
        "deep_arrays.json": "[" * DEEP + "]" * DEEP,
        "zero4.json": variant(zero_optimization={"stage": 4}),
        "mbs0.json": variant(train_micro_batch_size_per_gpu=0),
        "gas_negative.json": variant(gradient_accumulation_steps=-1),
        "clip_negative.json": variant(gradient_clipping=-1.0),
        "rate_overflow.json": good.replace('"lr": 0.001', '"lr": 1e400'),
        "unknown_optimizer.json": variant(optimizer={"type": "AdamX", "params": {"lr": 0.001}}),
        "tbs5.json": variant(train_batch_size=5),
        "tbs4_mbs1.json": variant(train_batch_size=4, train_micro_batch_size_per_gpu=1),
        # 2^62 * 4 and 2^32 * 2^32 wrap around to 0 in 64 bits.
        "mbs_gas_overflow.json": variant(train_micro_batch_size_per_gpu=2**62, gradient_accumulation_steps=4),
        "tp_pp_2pow32.json": variant(tensor_parallel={"autotp_size": 2**32}, pipeline={"stages": 2**32}),
        "nested_regex.json": variant(pipeline={"partition_method": "type:(((a{1,255}){1,255}){1,255}){1,255}"}),
    }
    for name, text in files.items():
        write(os.path.join(d, name), text)
    h = os.path.join(c, "host")
    for name, text in {"blank": "", "bad_entry": "localhost slot=2\n", "h_zero": "localhost slots=0\n",
                       "h_negative": "localhost slots=-1\n",
                       "h_huge": "localhost slots=99999999999999999999\n",
                       "h_dup": "localhost slots=1\nlocalhost slots=1\n", "binary": b"\x00\xff\xfe\x01slots=\n",
                       "two_slots": "localhost slots=2\n", "three_slots": "localhost slots=3\n",
                       "latin1_host": b"w\xe9rker-0 slots=1\n",
                       "h_17x65536": "".join("worker-%d slots=65536\n" % i for i in range(17))}.items():
        write(os.path.join(h, name), text)


# --- fixtures: good models compiled and run --------------------------------


class FixtureError(Exception):
    pass


def run_fixture(cmd, env, cwd):
    try:
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=FIXTURE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FixtureError("fixture command failed: %s: %s" % (" ".join(shlex.quote(a) for a in cmd), e))
    if proc.returncode != 0:
        raise FixtureError("fixture command failed (%d): %s\n%s" % (
            proc.returncode, " ".join(shlex.quote(a) for a in cmd), proc.stdout.decode(errors="replace")))


def build_fixtures(p, env):
    """The good starting points: the GPT-2 on 1 rank and on 2 ranks with
    ZeRO-3, the MLP, and checkpoints written by short runs."""
    fx = p["fx"]
    models = os.path.join(fx, "models")
    os.makedirs(models)
    shutil.copy(os.path.join(REPO, "examples", "models", "gpt2_tiny.onnx"), p["gptmodel"])
    onnx.save(onnx_model(mlp_nodes(), [mlp_weight()]), p["mlp"])
    inputs = os.path.join(REPO, "examples", "models", "gpt2_tiny_inputs")
    os.makedirs(p["data"])
    for name in ("ids", "labels"):
        shutil.copy(os.path.join(inputs, name + ".npy"), p["data"])
    os.makedirs(os.path.join(fx, "mdata"))
    np.save(os.path.join(fx, "mdata", "x.npy"), np.linspace(-1, 1, 32, dtype=np.float32).reshape(8, 4))
    adam = {"type": "AdamW", "params": {"lr": 0.001}}
    write_json(os.path.join(fx, "gpt1.json"), {"train_micro_batch_size_per_gpu": 2, "optimizer": adam,
                                               "steps_per_print": 1000})
    write_json(os.path.join(fx, "gpt2.json"), {"train_micro_batch_size_per_gpu": 1, "optimizer": adam,
                                               "zero_optimization": {"stage": 3,
                                                                     "stage3_param_persistence_threshold": 0},
                                               "steps_per_print": 1000})
    write_json(os.path.join(fx, "mlp.json"), MLP_CONFIG)
    b = p["bin"]
    run_fixture([b + "/ds-compile", p["gptmodel"], "--config", fx + "/gpt1.json", "-o", p["gpt"]], env, p["w"])
    run_fixture([b + "/ds-compile", p["gptmodel"], "--config", fx + "/gpt2.json", "--num_gpus", "2",
                 "-o", p["gpt2"]], env, p["w"])
    run_fixture([b + "/ds-compile", p["mlp"], "--config", fx + "/mlp.json", "-o", fx + "/mlpout"], env, p["w"])
    # Two steps with a checkpoint after each: ck1/global_step{1,2}.
    run_fixture([p["gpt"] + "/bin/rank_0", "--data", p["data"], "--steps", "2", "--save-every", "1",
                 "--save-dir", fx + "/ck1"], env, p["w"])
    run_fixture([b + "/ds-run", "--master_port", "0", p["gpt2"], "--", "--data", p["data"],
                 "--steps", "2", "--save-every", "2", "--save-dir", fx + "/ck2"], env, p["w"])
    run_fixture([fx + "/mlpout/bin/rank_0", "--data", fx + "/mdata", "--steps", "1", "--save-every", "1",
                 "--save-dir", fx + "/ckm"], env, p["w"])


# --- bad variants of the fixtures -----------------------------------------


def build_data(c, data):
    d = os.path.join(c, "data")
    ids = np.load(os.path.join(data, "ids.npy"))
    labels = np.load(os.path.join(data, "labels.npy"))
    good_ids = open(os.path.join(data, "ids.npy"), "rb").read()

    def variant(name, ids_bytes=None, ids_array=None, labels_array=labels):
        os.makedirs(os.path.join(d, name))
        if ids_array is not None:
            np.save(os.path.join(d, name, "ids.npy"), ids_array, allow_pickle=True)
        elif ids_bytes is not None:
            write(os.path.join(d, name, "ids.npy"), ids_bytes)
        if labels_array is not None:
            np.save(os.path.join(d, name, "labels.npy"), labels_array)

    variant("one_file", ids_array=ids, labels_array=None)
    variant("empty", ids_bytes=b"")
    variant("bad_magic", ids_bytes=b"NOTNUMPY" + good_ids[8:])
    header = b"{'descr': <garbage>, }".ljust(118) + b"\n"
    variant("bad_header", ids_bytes=b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)
    variant("long_header", ids_bytes=b"\x93NUMPY\x01\x00" + struct.pack("<H", 65535) + b"{'descr'")
    variant("version9", ids_bytes=b"\x93NUMPY\x09\x00" + good_ids[8:])
    variant("object", ids_array=np.array([[1, "a"]] * 4, dtype=object))
    variant("truncated", ids_bytes=good_ids[: len(good_ids) - 200])
    variant("float_ids", ids_array=ids.astype(np.float32))
    variant("short_seq", ids_array=ids[:, :16], labels_array=labels[:, :16])
    variant("one_sample", ids_array=ids[:1], labels_array=labels[:1])
    variant("counts_differ", ids_array=np.concatenate([ids, ids]))
    variant("big_tokens", ids_array=np.full_like(ids, 1 << 40))
    variant("neg_tokens", ids_array=np.full_like(ids, -(1 << 40)))
    os.makedirs(os.path.join(d, "ids_dir", "ids.npy"))
    np.save(os.path.join(d, "ids_dir", "labels.npy"), labels)


def build_outs(c, p):
    """Copies of the 1-rank GPT-2 output, each with one bad file."""
    outs = os.path.join(c, "outs")
    os.makedirs(outs)
    mlp_weights = open(os.path.join(p["fx"], "mlpout", "weights", "rank_0.safetensors"), "rb").read()

    def out(name):
        dst = os.path.join(outs, name)
        copy_tree(p["gpt"], dst)
        return dst

    wpath = lambda o: os.path.join(o, "weights", "rank_0.safetensors")
    os.unlink(wpath(out("weights_missing")))
    write(wpath(out("weights_empty")), b"")
    o = out("weights_truncated")
    truncate_copy(wpath(p["gpt"]), wpath(o))
    write(wpath(out("weights_huge_header")), struct.pack("<Q", 1 << 62) + b"{}")
    write(wpath(out("weights_bad_header")), struct.pack("<Q", 12) + b"{not json!!}")
    o = out("weights_bad_offsets")
    raw = open(wpath(o), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    for t in header.values():
        if isinstance(t, dict) and "data_offsets" in t:
            t["data_offsets"] = [t["data_offsets"][0], t["data_offsets"][1] + (1 << 40)]
            break
    write(wpath(o), safetensors_bytes(header, raw[8 + n:]))
    write(wpath(out("weights_foreign")), mlp_weights)

    ppath = lambda o: os.path.join(o, "plan.json")
    plan = read_json(ppath(p["gpt"]))
    write(ppath(out("plan_not_json")), '{"format": ')
    write_json(ppath(out("plan_wrong_type")), {**plan, "arena_bytes": "big"})
    write(ppath(out("plan_deep")), deep_json(DEEP))
    write_json(ppath(out("plan_arena_huge")), {**plan, "arena_bytes": 1 << 62})
    buffers = json.loads(json.dumps(plan["buffers"]))
    buffers[-1]["offset"] = plan["arena_bytes"] + 4096
    write_json(ppath(out("plan_buffer_beyond")), {**plan, "buffers": buffers})
    # The executables carry the plan (dsc_plan: the tag "DSCPLAN1", then the
    # words training = 1 and rank = 0): one with another tag is refused (the
    # file is a copy, not a link). The decoder's code holds the tag too.
    exe = os.path.join(out("object_plan_damaged"), "bin", "rank_0")
    raw = open(exe, "rb").read()
    tag = b"DSCPLAN1" + struct.pack("<qq", 1, 0)
    assert raw.count(tag) == 1, "the rank's plan is not found once"
    os.unlink(exe)
    write(exe, raw.replace(tag, b"DSCPLAN0" + tag[8:]))
    os.chmod(exe, 0o755)


def build_run_dirs(c, p):
    """Output directories for ds-run whose launch.json (or binary) is bad."""
    d = os.path.join(c, "run")
    launch = read_json(os.path.join(p["gpt"], "launch.json"))
    os.makedirs(os.path.join(d, "empty_out"))

    def out(name, launch_obj=None, text=None):
        dst = os.path.join(d, name)
        copy_tree(p["gpt"], dst)
        if text is not None:
            write(os.path.join(dst, "launch.json"), text)
        elif launch_obj is not None:
            write_json(os.path.join(dst, "launch.json"), launch_obj)
        return dst

    out("not_json", text="{")
    out("world_size_string", {**launch, "world_size": "one"})
    out("ranks_object", {**launch, "ranks": {}})
    out("ranks_empty", {**launch, "ranks": []})
    out("port_string", {**launch, "master_port": str(free_port())})
    out("port_70000", {**launch, "master_port": 70000})
    out("world_mismatch", {**launch, "world_size": 2})
    out("deep", text=deep_json(DEEP))
    shutil.rmtree(os.path.join(out("no_binary"), "bin"))
    # launch.json for 2 local ranks, plan.json (and the binary) for 1.
    two = read_json(os.path.join(p["gpt2"], "launch.json"))
    for r in two["ranks"]:
        r["binary"] = "bin/rank_0"
    out("plan_other_world", two)


def build_plan_dirs(c, p):
    """plan.json / launch.json pairs for ds-plan, one bad field each (from
    the 2-rank ZeRO-3 output, which has every section ds-plan reads)."""
    d = os.path.join(c, "plan")
    plan = read_json(os.path.join(p["gpt2"], "plan.json"))
    launch = read_json(os.path.join(p["gpt2"], "launch.json"))

    def pair(name, plan_obj=plan, launch_obj=launch, plan_text=None):
        os.makedirs(os.path.join(d, name))
        if plan_text is not None:
            write(os.path.join(d, name, "plan.json"), plan_text)
        elif plan_obj is not None:
            write_json(os.path.join(d, name, "plan.json"), plan_obj)
        if launch_obj is not None:
            write_json(os.path.join(d, name, "launch.json"), launch_obj)

    def edited(path, value):
        """A deep copy of plan.json with the member at `path` set."""
        obj = json.loads(json.dumps(plan))
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return obj

    pair("no_plan", plan_obj=None)
    pair("no_launch", launch_obj=None)
    pair("not_json", plan_text="{")
    pair("array", plan_text="[]")
    pair("deep", plan_text=deep_json(DEEP))
    pair("format_foreign", edited(["format"], "other plan 7"))
    pair("format_number", edited(["format"], 1))
    pair("mode_number", edited(["mode"], 3))
    pair("batch_string", edited(["batch"], "big"))
    pair("batch_size_string", edited(["batch", "train_batch_size"], "two"))
    pair("lr_string", edited(["optimizer", "lr"], "fast"))
    pair("memory_number", edited(["memory"], [1, 2]))
    pair("collectives_string", edited(["collectives"], "all of them"))
    pair("collective_bytes_string", edited(["collectives", 0, "bytes"], "many"))
    pair("zero_params_number", edited(["zero", "params"], [7]))
    pair("kernel_number", edited(["kernels", 0, "kernel"], 42))
    pair("world_size_string", launch_obj={**launch, "world_size": "two"})
    pair("ranks_number", launch_obj={**launch, "ranks": 5})
    pair("host_number", launch_obj={**launch, "ranks": [{**r, "host": 5} for r in launch["ranks"]]})
    pair("port_string", launch_obj={**launch, "master_port": "29500"})


def build_checkpoints(c, p):
    """Copies of the checkpoints, each with one bad file."""
    d = os.path.join(c, "ck")
    ck1 = os.path.join(p["fx"], "ck1")
    tag = open(os.path.join(ck1, "latest")).read().strip()

    def ck(name, src=ck1):
        dst = os.path.join(d, name)
        copy_tree(src, dst, link_binaries=False)
        t = open(os.path.join(dst, "latest")).read().strip()
        return os.path.join(dst, t)

    def latest(name, text):
        ck(name)
        write(os.path.join(d, name, "latest"), text)

    latest("latest_dangling", "global_step9\n")
    latest("latest_empty", "")
    latest("latest_escapes", "../../fx\n")
    t = ck("model_truncated")
    truncate_copy(os.path.join(ck1, tag, "model.safetensors"), os.path.join(t, "model.safetensors"))
    os.unlink(os.path.join(ck("model_missing"), "model.safetensors"))
    t = ck("optim_truncated")
    truncate_copy(os.path.join(ck1, tag, "optim_states_0.safetensors"), os.path.join(t, "optim_states_0.safetensors"))
    os.unlink(os.path.join(ck("optim_missing"), "optim_states_0.safetensors"))
    t = ck("two_rank_missing_shard", os.path.join(p["fx"], "ck2"))
    os.unlink(os.path.join(t, "optim_states_1.safetensors"))

    state = read_json(os.path.join(ck1, tag, "state.json"))
    write(os.path.join(ck("state_not_json"), "state.json"), "{")
    write_json(os.path.join(ck("state_wrong_type"), "state.json"), {**state, "global_steps": "two"})
    write(os.path.join(ck("state_deep"), "state.json"), deep_json(DEEP))
    write_json(os.path.join(ck("state_tbs8"), "state.json"), {**state, "train_batch_size": 8})
    write_json(os.path.join(ck("state_float16"), "state.json"), {**state, "dtype": "float16"})
    # A negative dimension, with offsets and sizes made consistent with it.
    bad = json.loads(json.dumps(state))
    bad["params"][0]["shape"] = [bad["params"][0]["shape"][0], -bad["params"][0]["shape"][1]]
    offset = 0
    for prm in bad["params"]:
        prm["flat_offset"] = offset
        offset += int(np.prod(prm["shape"]))
    bad["flat_elements"] = offset
    bad["optimizer_shards"] = [{"file": s["file"], "flat": [0, max(offset, 0)]} for s in bad["optimizer_shards"]]
    write_json(os.path.join(ck("state_negative_dim"), "state.json"), bad)
    # Params of 2^62 elements whose flat offsets wrap around in 64 bits and
    # end at flat_elements (2^62).
    big = 2 ** 62
    wrap = {**state, "flat_elements": big,
            "params": [{"name": "p%d" % i, "dtype": "float32", "shape": [big], "flat_offset": o}
                       for i, o in enumerate([0, big, 2 * big, -big, 0])],
            "optimizer_shards": [{"file": s["file"], "flat": [0, big]} for s in state["optimizer_shards"]]}
    write_json(os.path.join(ck("state_offsets_wrap"), "state.json"), wrap)
    shards = json.loads(json.dumps(state["optimizer_shards"]))
    shards[0]["flat"] = [0, state["flat_elements"] * 1000]
    write_json(os.path.join(ck("shard_range"), "state.json"), {**state, "optimizer_shards": shards})


def build_victims(c, p):
    """Files and folders that a bad -o must leave alone."""
    v = os.path.join(c, "victims")
    os.makedirs(os.path.join(v, "o_model"))
    shutil.copy(p["mlp"], os.path.join(v, "o_model", "mlp.onnx"))
    write_json(os.path.join(v, "o_cfg", "mlp.json"), MLP_CONFIG)
    write(os.path.join(v, "o_file", "notes.txt"), "my notes\n")
    write(os.path.join(v, "o_file2", "notes.txt"), "more notes\n")
    write(os.path.join(v, "o_dir", "notes.txt"), "a user's folder\n")
    write_json(os.path.join(v, "o_plan", "plan.json"), {"my": "travel plan"})
    write(os.path.join(v, "o_plan", "notes.txt"), "a user's folder with a plan.json\n")
    copy_tree(os.path.join(p["fx"], "mlpout"), os.path.join(v, "old_out"))


def build_corpus(p):
    c = p["c"]
    os.makedirs(c)
    build_models(c)
    build_configs(c)
    build_data(c, p["data"])
    build_outs(c, p)
    build_run_dirs(c, p)
    build_plan_dirs(c, p)
    build_checkpoints(c, p)
    build_victims(c, p)


# --- checking one case ----------------------------------------------------


class Snapshot:
    """Every path under a root: directories, links and files (size,
    mtime_ns and, below HASH_LIMIT, the SHA-1 of the content). Digests are
    cached by (inode, size, mtime, ctime): a write changes ctime."""

    def __init__(self):
        self.digests = {}

    def take(self, root, exclude=None):
        state = {}
        for top, dirs, files in os.walk(root):
            if exclude and top == exclude:
                dirs[:] = []
                continue
            for name in dirs + files:
                path = os.path.join(top, name)
                if exclude and (path == exclude or path.startswith(exclude + os.sep)):
                    continue
                st = os.lstat(path)
                if os.path.islink(path):
                    state[path] = ("link", os.readlink(path))
                elif os.path.isdir(path):
                    state[path] = ("dir",)
                else:
                    state[path] = ("file", st.st_size, st.st_mtime_ns, self.digest(path, st))
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        return state

    def digest(self, path, st):
        if st.st_size >= HASH_LIMIT:
            return None
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in self.digests:
            with open(path, "rb") as f:
                self.digests[key] = hashlib.sha1(f.read()).hexdigest()
        return self.digests[key]


def describe_changes(before, after, root):
    rel = lambda path: os.path.relpath(path, root)
    problems = []
    added = sorted(set(after) - set(before))
    temps = [a for a in added if ".tmp" in os.path.basename(a)]
    if temps:
        problems.append("leftover temporary: " + ", ".join(rel(a) for a in temps[:3]))
    others = [a for a in added if a not in temps]
    if others:
        problems.append("created outside the requested output: " + ", ".join(rel(a) for a in others[:3])
                        + (" (+%d more)" % (len(others) - 3) if len(others) > 3 else ""))
    removed = sorted(set(before) - set(after))
    if removed:
        problems.append("removed: " + ", ".join(rel(r) for r in removed[:3])
                        + (" (+%d more)" % (len(removed) - 3) if len(removed) > 3 else ""))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    if changed:
        problems.append("changed: " + ", ".join(rel(k) for k in changed[:3])
                        + (" (+%d more)" % (len(changed) - 3) if len(changed) > 3 else ""))
    return problems, added


class ForeignService:
    """A TCP server on the case's port that is not a rendezvous: it answers
    every connection with garbage and closes it."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n\xde\xad\xbe\xef" * 64)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def shorten_paths(line, work):
    """`line` with every path under the work dir cut to the part below its
    corpus item: c/GROUP/ITEM/rest and fx/ITEM/rest become `rest`, a path
    with nothing below the item its last component. The names of the
    corpus's folders (which say what is wrong) cannot satisfy a case's
    `names` pattern; the file or folder the message is about still can."""
    def cut(match):
        parts = [x for x in (match.group(1) or "").split("/") if x]
        keep = {"c": 3, "fx": 2}.get(parts[0] if parts else "", 1)
        return "/".join(parts[keep:] if len(parts) > keep else parts[-1:])
    return re.sub(re.escape(work) + r"(/[^\s'\"(),;:]*)?", cut, line)


def remove_path(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


def run_case(cs, index, p, base_env, snap):
    """Runs one case; returns (problems, output, the command as a shell
    line). The work dir is left as it was before the case, except for
    changes to existing files (which the problems list)."""
    port = free_port()
    values = dict(p, port=port, o=os.path.join(p["w"], "o", str(index)))
    # Paths are quoted for shlex ({mlpcfg} is two words, quoted already).
    quoted = {k: v if k == "mlpcfg" else shlex.quote(str(v)) for k, v in values.items()}
    cmd = shlex.split(cs.cmd.format(**quoted))
    out = os.path.normpath(cs.out.format(**values)) if cs.out else None
    names = cs.names.format(**values) if cs.names else None
    env = dict(base_env, MASTER_PORT=str(port))
    for item in shlex.split(cs.env or ""):
        key, _, value = item.partition("=")
        env[key] = value
    out_existed = out is not None and os.path.lexists(out)
    before = snap.take(p["w"], exclude=out)
    service = ForeignService(port) if cs.service else None
    problems = []
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=p["w"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as e:
        if service:
            service.close()
        return ["cannot start the command: %s" % e], "", " ".join(shlex.quote(a) for a in cmd)
    try:
        stdout, stderr = proc.communicate(timeout=CASE_TIMEOUT)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        code = None
        problems.append("hang: still running after %d s (killed)" % CASE_TIMEOUT)
    # Processes the command left behind in its group (e.g. ranks).
    try:
        os.killpg(proc.pid, 0)
        os.killpg(proc.pid, signal.SIGKILL)
        if code is not None:
            problems.append("left processes running after it exited (killed)")
    except ProcessLookupError:
        pass
    if service:
        service.close()
    output = stdout.decode(errors="replace") + stderr.decode(errors="replace")

    if code is not None:
        if code == 0:
            problems.append("exit code 0")
        elif code < 0:
            problems.append("killed by signal %d (%s)" % (-code, signal.Signals(-code).name))
        elif code >= 128:
            problems.append("exit code %d (a signal: 128 + %d)" % (code, code - 128))
    errors = [line for line in output.splitlines() if ERROR_LINE.search(line)]
    if len(errors) != 1:
        problems.append("%d error: lines (expected exactly 1)" % len(errors))
    elif names and not re.search(names, shorten_paths(errors[0], p["w"]), re.IGNORECASE):
        problems.append("the error line does not name the problem (/%s/)" % names)
    after = snap.take(p["w"], exclude=out)
    changes, added = describe_changes(before, after, p["w"])
    problems += changes
    if out and not out_existed and os.path.lexists(out):
        problems.append("created the requested output " + os.path.relpath(out, p["w"]))
        remove_path(out)
    # Leave the work dir as it was for the next cases.
    for path in sorted(added, key=len):
        if os.path.lexists(path):
            remove_path(path)
    return problems, output, " ".join(shlex.quote(a) for a in cmd)


# --- main -----------------------------------------------------------------


def paths(bin_dir, work):
    fx = os.path.join(work, "fx")
    c = os.path.join(work, "c")
    p = {"bin": bin_dir, "w": work, "fx": fx, "c": c,
         "gptmodel": os.path.join(fx, "models", "gpt2_tiny.onnx"), "mlp": os.path.join(fx, "models", "mlp.onnx"),
         "data": os.path.join(fx, "data"), "gpt": os.path.join(fx, "gpt"), "gpt2": os.path.join(fx, "gpt2")}
    p.update({"dsc": os.path.join(bin_dir, "ds-compile"), "dsr": os.path.join(bin_dir, "ds-run"),
              "dsp": os.path.join(bin_dir, "ds-plan"), "dck": os.path.join(bin_dir, "ds-ckpt"),
              "mlpcfg": "--config " + shlex.quote(os.path.join(fx, "mlp.json")),
              "rank": os.path.join(p["gpt"], "bin", "rank_0"), "rank2": os.path.join(p["gpt2"], "bin", "rank_0")})
    return p


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bin_dir", nargs="?", help="the directory of ds-compile, ds-run, ds-plan, ds-ckpt")
    parser.add_argument("work_dir", nargs="?", help="where the temporary work directory goes")
    parser.add_argument("--list", action="store_true", help="print the case names and exit")
    parser.add_argument("-k", dest="select", help="run only the cases whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("-v", dest="verbose", action="store_true", help="also show the output of passing cases")
    args = parser.parse_args()
    names = [cs.name for cs in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    if args.list:
        print("\n".join(names))
        return 0
    if not args.bin_dir:
        parser.error("BIN_DIR is required")
    selected = [cs for cs in CASES if not args.select or args.select in cs.name]
    bin_dir = os.path.abspath(args.bin_dir)
    if args.work_dir:
        os.makedirs(args.work_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bad-inputs-", dir=args.work_dir)
    p = paths(bin_dir, work)
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp)
    os.makedirs(os.path.join(work, "o"))
    # Every tool runs single-threaded, with its temporary files in the
    # work dir (so that leftovers show), and a short collective timeout so
    # a rank waiting for a peer fails inside CASE_TIMEOUT.
    env = dict(os.environ, TMPDIR=tmp, MASTER_ADDR="127.0.0.1", DSC_COMM_TIMEOUT="10", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_SIZE", "CROSS_RANK", "CROSS_SIZE"):
        env.pop(var, None)
    started = time.monotonic()
    passed = failed = 0
    try:
        build_fixtures(p, env)
        build_corpus(p)
        print("corpus built in %.1f s in %s" % (time.monotonic() - started, work), flush=True)
        snap = Snapshot()
        for index, cs in enumerate(selected):
            problems, output, cmd_line = run_case(cs, index, p, env, snap)
            if problems:
                failed += 1
                print("FAIL %s: %s" % (cs.name, "; ".join(problems)))
                print("    $ " + cmd_line)
                for line in output.rstrip("\n").splitlines()[:20]:
                    print("    " + line[:300])
            else:
                passed += 1
                print("PASS %s" % cs.name)
                if args.verbose:
                    for line in output.rstrip("\n").splitlines()[:20]:
                        print("    " + line[:300])
            sys.stdout.flush()
    except FixtureError as e:
        print("FAIL fixtures: %s" % e)
        failed += len(selected) - passed - failed
    finally:
        if args.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("all cases ran in %.1f s" % (time.monotonic() - started), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
