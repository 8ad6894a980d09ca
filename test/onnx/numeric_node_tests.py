#!/usr/bin/python3
"""Numeric ONNX backend node tests for ds-compile.

For every node test that onnx-node-tests considers applicable (all nodes are
default-domain ops listed by `ds-compile --list-ops`) and that is not one of
its known failures (test/onnx/known_failures.txt), this driver

  1. writes the inputs of test_data_set_0 as DATA/<graph input name>.npy
     (graph inputs in the order of the model's non-initializer inputs),
  2. compiles the model in inference mode (a config without "optimizer") with
     `--input-shape NAME=D0x...` for every input,
  3. runs `OUT/bin/rank_0 --data DATA --out RES`, and
  4. compares every output with the expected one: same shape, same dtype
     class (float / signed int / unsigned int / bool), floats with
     numpy.allclose(rtol=1e-4, atol=1e-5, equal_nan=True), the rest exactly.

The known failures of this run (--known-failures, `test_name | failure
message fragment | reason`) are expected to fail with a message containing
the fragment; a listed test that passes, or fails otherwise, is an error, and
with --expected-passes FILE so is any other set of passing tests. The run prints
one line per unexpected result (FAIL, UNEXPECTED PASS), one per known
failure (XFAIL, with its reason) and ends with `K known failures` and
`N passed, M failed` (M = unexpected failures + unexpected passes); the exit
status is 0 iff M == 0.

Needs numpy and the onnx Python package (Debian: python3-numpy, python3-onnx).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

RTOL = 1e-4
ATOL = 1e-5
INFERENCE_CONFIG = {"train_micro_batch_size_per_gpu": 1}


def read_known(path):
    """name -> (message fragment, reason) of `test_name | failure message
    fragment | reason` lines (as onnx-node-tests reads them; `#` starts a
    comment line)."""
    known = {}
    if not path:
        return known
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = [x.strip() for x in line.split("|", 2)]
            if len(fields) != 3 or not fields[0] or not fields[1]:
                raise SystemExit("%s:%d: error: expected 'test_name | failure "
                                 "message fragment | reason'" % (path, n))
            known[fields[0]] = (fields[1], fields[2])
    return known


def numbered(directory, prefix):
    files = []
    while True:
        p = os.path.join(directory, "%s_%d.pb" % (prefix, len(files)))
        if not os.path.exists(p):
            return files
        files.append(p)


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t, numpy_helper.to_array(t)


def dtype_class(dt):
    return {"f": "float", "i": "signed int", "u": "unsigned int",
            "b": "bool"}.get(dt.kind, dt.kind)


def shape_arg(shape):
    return "x".join(str(d) for d in shape)


def tail(text, n=600):
    text = text.strip()
    # The most useful line of a failing tool is its last error line.
    lines = [l for l in text.splitlines() if l.strip()]
    errs = [l for l in lines if "error" in l.lower() or "dsrt:" in l]
    msg = errs[-1] if errs else (lines[-1] if lines else "")
    return msg[-n:]


class Test:
    def __init__(self, name, directory):
        self.name = name
        self.dir = directory


def applicability(model, supported):
    """None when applicable, else the reason."""
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            return "op %s in domain '%s'" % (node.op_type, node.domain)
        if node.op_type not in supported:
            return "unsupported op " + node.op_type
    return None


def compare(name, actual, expected, model_elem_type):
    """None if equal, else a description of the difference."""
    exp = expected
    if (exp.dtype == np.uint16 and
            model_elem_type == onnx.TensorProto.BFLOAT16):
        # NumPy has no bfloat16: the reference stores its bit patterns.
        exp = (exp.astype(np.uint32) << 16).view(np.float32)
    if actual.shape != exp.shape:
        return "output '%s' has shape %s, expected %s" % (
            name, actual.shape, exp.shape)
    if dtype_class(actual.dtype) != dtype_class(exp.dtype):
        return "output '%s' has dtype %s, expected %s" % (
            name, actual.dtype, exp.dtype)
    if exp.size == 0:
        return None
    if exp.dtype.kind == "f":
        a = actual.astype(np.float64)
        e = exp.astype(np.float64)
        if np.allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True):
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = np.abs(a - e)
            both_nan = np.isnan(a) & np.isnan(e)
            diff[both_nan] = 0
            diff[np.isnan(diff)] = np.inf
            rel = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
            rel[diff == 0] = 0
            bad = ~np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
        idx = np.unravel_index(int(np.argmax(np.where(bad, diff, -1))),
                               a.shape) if a.ndim else ()
        return ("output '%s': %d of %d elements differ, max abs error %.3g, "
                "max rel error %.3g (first worst at %s: got %r, expected %r)"
                % (name, int(bad.sum()), a.size, float(diff.max()),
                   float(rel.max()), tuple(int(i) for i in idx),
                   float(a[idx]), float(e[idx])))
    if np.array_equal(actual.astype(exp.dtype) if exp.dtype.kind == "b"
                      else actual, exp):
        return None
    bad = actual != exp
    idx = np.unravel_index(int(np.argmax(bad)), exp.shape) if exp.ndim else ()
    return ("output '%s': %d of %d elements differ (first at %s: got %r, "
            "expected %r)" % (name, int(np.sum(bad)), exp.size,
                              tuple(int(i) for i in idx),
                              actual[idx].item(), exp[idx].item()))


def run_test(test, args, config_path):
    """Returns (outcome, message, seconds): outcome in P, F, N."""
    timings = {}
    model = onnx.load(os.path.join(test.dir, "model.onnx"),
                      load_external_data=False)
    reason = applicability(model, args.supported)
    if reason:
        return "N", reason, timings
    data_dir = os.path.join(test.dir, "test_data_set_0")
    input_files = numbered(data_dir, "input")
    output_files = numbered(data_dir, "output")
    if not output_files:
        return "F", "test_data_set_0 has no output_0.pb", timings
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(input_files) > len(inputs):
        return "F", "test data has %d inputs, the graph only %d" % (
            len(input_files), len(inputs)), timings
    if len(input_files) < len(inputs):
        return "F", ("graph input '%s' has no test data (optional inputs "
                     "left out)" % inputs[len(input_files)].name), timings
    if len(output_files) != len(model.graph.output):
        return "F", "test data has %d outputs, the graph %d" % (
            len(output_files), len(model.graph.output)), timings

    work = os.path.join(args.work, test.name)
    shutil.rmtree(work, ignore_errors=True)
    feed = os.path.join(work, "data")
    out = os.path.join(work, "out")
    res = os.path.join(work, "res")
    os.makedirs(feed)
    os.makedirs(res)

    model_path = os.path.join(test.dir, "model.onnx")
    arrays = [load_tensor(path)[1] for path in input_files]
    cmd = [args.compile, model_path, "--config", config_path, "-o", out]
    for info, array in zip(inputs, arrays):
        np.save(os.path.join(feed, info.name + ".npy"), array,
                allow_pickle=False)
        # --input-shape takes positive dims only: rank-0 inputs and inputs
        # with a zero-size dim keep the model's declared shape.
        if array.ndim > 0 and all(d > 0 for d in array.shape):
            cmd += ["--input-shape", "%s=%s" % (info.name,
                                                shape_arg(array.shape))]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return "F", "ds-compile timed out after %ds" % args.timeout, timings
    timings["compile"] = time.monotonic() - t0
    if p.returncode != 0:
        return "F", "ds-compile failed (%d): %s" % (
            p.returncode, tail(p.stderr + p.stdout)), timings

    t0 = time.monotonic()
    try:
        p = subprocess.run([os.path.join(out, "bin", "rank_0"), "--data",
                            feed, "--out", res],
                           capture_output=True, text=True,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return "F", "rank_0 timed out after %ds" % args.timeout, timings
    timings["run"] = time.monotonic() - t0
    if p.returncode != 0:
        sig = ""
        if p.returncode < 0:
            sig = " (signal %d)" % -p.returncode
        return "F", "rank_0 failed (%d%s): %s" % (
            p.returncode, sig, tail(p.stderr + p.stdout)), timings

    problems = []
    for info, path in zip(model.graph.output, output_files):
        _, expected = load_tensor(path)
        got_path = os.path.join(res, info.name.replace("/", "_") + ".npy")
        if not os.path.exists(got_path):
            problems.append("no output file for '%s'" % info.name)
            continue
        actual = np.load(got_path, allow_pickle=False)
        diff = compare(info.name, actual, expected,
                       info.type.tensor_type.elem_type)
        if diff:
            problems.append(diff)
    if problems:
        return "F", "; ".join(problems), timings
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return "P", "", timings


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True,
                    help="directory with ds-compile (build/bin)")
    ap.add_argument("--data", required=True,
                    help="ONNX node test directory (.../data/node)")
    ap.add_argument("--known-failures",
                    help="this run's known failures: test_name | message | reason")
    ap.add_argument("--expected-passes",
                    help="the file listing the tests that must pass (pinned)")
    ap.add_argument("--shape-known-failures",
                    help="onnx-node-tests' known failures (skipped); default: "
                    "known_failures.txt next to this script")
    ap.add_argument("--work", required=True,
                    help="scratch directory (inputs, plans, results)")
    ap.add_argument("--filter", default="",
                    help="only tests whose name contains this")
    ap.add_argument("--jobs", type=int, default=1,
                    help="tests run at once (default 1)")
    ap.add_argument("--timeout", type=int, default=120,
                    help="seconds per compile and per run (default 120)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directories of passing tests")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    args.compile = os.path.join(args.bin, "ds-compile")
    p = subprocess.run([args.compile, "--list-ops"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        print("error: %s --list-ops failed: %s" % (args.compile, p.stderr))
        return 2
    args.supported = set(p.stdout.split())
    known = read_known(args.known_failures)
    shape_known_path = args.shape_known_failures or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "known_failures.txt")
    shape_known = read_known(shape_known_path)

    tests = []
    for name in sorted(os.listdir(args.data)):
        d = os.path.join(args.data, name)
        if args.filter and args.filter not in name:
            continue
        if os.path.isfile(os.path.join(d, "model.onnx")):
            tests.append(Test(name, d))
    if not tests:
        print("error: no tests under '%s'%s" % (
            args.data, " matching the filter" if args.filter else ""))
        return 2

    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    config_path = os.path.join(args.work, "inference_config.json")
    with open(config_path, "w") as f:
        json.dump(INFERENCE_CONFIG, f)

    seen = set()
    skipped = [t for t in tests if t.name in shape_known]
    for t in skipped:
        seen.add(t.name)
        if t.name in known:
            print("WARNING %s is listed in the known failures but is a known "
                  "failure of onnx-node-tests (skipped)" % t.name)
    todo = [t for t in tests if t.name not in shape_known]

    passed = failed = xfail = xpass = na = 0
    passed_names = set()
    totals = {"compile": 0.0, "run": 0.0}
    start = time.monotonic()

    def report(test, outcome, message, timings):
        nonlocal passed, failed, xfail, xpass, na
        seen.add(test.name)
        for k, v in timings.items():
            totals[k] += v
        fragment, reason = known.get(test.name, (None, None))
        if outcome == "N":
            na += 1
            if args.verbose:
                print("N/A %s: %s" % (test.name, message))
            if reason is not None:
                print("WARNING %s is listed in the known failures but is not "
                      "applicable: %s" % (test.name, message))
        elif outcome == "P":
            if reason is not None:
                xpass += 1
                print("UNEXPECTED PASS %s (known failure: %s); remove it from "
                      "the known failures" % (test.name, reason))
            else:
                passed += 1
                passed_names.add(test.name)
                if args.verbose:
                    print("PASS %s" % test.name)
        else:
            if reason is not None and fragment not in message:
                # Known to fail, but not like this.
                failed += 1
                print("FAIL %s: %s (a known failure, but its message should "
                      "contain '%s')" % (test.name, message, fragment))
            elif reason is not None:
                xfail += 1
                if args.verbose:
                    print("XFAIL %s: %s (known: %s)" % (test.name, message,
                                                        reason))
                else:
                    print("XFAIL %s  # %s" % (test.name, reason))
            else:
                failed += 1
                print("FAIL %s: %s" % (test.name, message))
        sys.stdout.flush()

    def guarded(test):
        try:
            return run_test(test, args, config_path)
        except Exception as e:  # a broken test must not end the run
            return "F", "driver error: %s: %s" % (type(e).__name__, e), {}

    if args.jobs <= 1:
        for t in todo:
            report(t, *guarded(t))
    else:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for t, r in zip(todo, pool.map(guarded, todo)):
                report(t, *r)

    if not args.filter:
        for name in sorted(set(known) - seen):
            print("WARNING known failure %s names no test under %s" % (
                name, args.data))

    elapsed = time.monotonic() - start
    print("%d not applicable, %d skipped (known failures of onnx-node-tests)"
          % (na, len(skipped)))
    print("time: %.1fs (ds-compile %.1fs, rank_0 %.1fs)" % (
        elapsed, totals["compile"], totals["run"]))
    print("%d known failures" % xfail)
    if xpass:
        print("%d unexpectedly passing" % xpass)
    total_failed = failed + xpass
    if args.expected_passes and not args.filter:
        with open(args.expected_passes, encoding="utf-8") as f:
            pinned = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        for name in sorted(pinned - passed_names):
            print("PASS LIST %s is pinned in %s but did not pass" % (name, args.expected_passes))
        for name in sorted(passed_names - pinned):
            print("PASS LIST %s passed but is not in %s: add it" % (name, args.expected_passes))
        total_failed += len(pinned ^ passed_names)
    print("%d passed, %d failed" % (passed, total_failed))
    return 0 if total_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
