#!/usr/bin/env python3
"""The mutation check: breaks the code on purpose in known ways, one at a
time, rebuilds, runs the comparisons that should see each break, and fails
unless every mutation makes at least one of them fail. A comparison that
passes against a broken trainer cannot be trusted to catch that bug.

  mutation_check.py [--build DIR] [--only NAME] [--list]

Each mutation replaces one exact snippet of one source file (it must occur
exactly once: a mutation that no longer applies is an error, so that a
refactoring updates it instead of silently testing nothing). The sources
are restored after each mutation, on failure and on interruption, and the
build is brought back to the unmutated sources at the end. The tree must
not be edited while this runs."""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# The comparisons: one-rank training against PyTorch (loss, gradient norm,
# final weights) and data parallelism against one rank.
TRAIN = "e2e-train-(gpt2-tiny|gpt2-tiny-sgd-momentum|gpt2-tiny-adamw-clip|gpt2-tiny-gas2-warmup)$"
DP_GAS = "e2e-data-parallel-gpt2-tiny-gas2$"

MUTATIONS = [
    {
        "name": "param-frozen",
        "what": "one parameter (the last) is silently not trained",
        "file": "compiler/onnx/OnnxImporter.cpp",
        "old": "    if (std::optional<std::string> why = provenBuffer(p))\n      p.frozen = *why;\n",
        "new": "    if (std::optional<std::string> why = provenBuffer(p))\n      p.frozen = *why;\n"
               "    if (&p == &result.parameters.back())\n      p.frozen = \"mutation\";\n",
        "tests": TRAIN,
    },
    {
        "name": "grad-x2",
        "what": "gradients scaled by 2 (a doubled mean factor)",
        "file": "passes/BuildOptimizerStepPass.cpp",
        "old": "double mean = 1.0 / static_cast<double>(dpSize);",
        "new": "double mean = 2.0 / static_cast<double>(dpSize);",
        "tests": TRAIN,
    },
    {
        "name": "grad-x0.5",
        "what": "gradients scaled by 1/2 (a missing factor of 2)",
        "file": "passes/BuildOptimizerStepPass.cpp",
        "old": "double mean = 1.0 / static_cast<double>(dpSize);",
        "new": "double mean = 0.5 / static_cast<double>(dpSize);",
        "tests": TRAIN,
    },
    {
        "name": "micro-batch-dropped",
        "what": "one micro-batch dropped: every micro-step trains on the first",
        "file": "runtime/main/Trainer.cpp",
        "old": "feed(*state, *feeder, step, micro)",
        "new": "feed(*state, *feeder, step, 0)",
        "tests": TRAIN + "|" + DP_GAS,
    },
    {
        "name": "skipped-not-counted",
        "what": "a step skipped on overflow is not counted: the schedule advances",
        "file": "runtime/main/Trainer.cpp",
        "old": "    if (reduced->overflow)\n      ++skipped;",
        "new": "    if (reduced->overflow)\n      (void)skipped;",
        "tests": "RankMainEndToEnd",
    },
    {
        "name": "loss-scale-not-divided",
        "what": "fp16: the gradients are not divided by the loss scale",
        "file": "passes/BuildOptimizerStepPass.cpp",
        "old": "      factor = arith::DivFOp::create(b, loc, factor, lossScale);",
        "new": "      (void)lossScale;",
        "tests": "^lit$",
    },
    {
        "name": "master-params-not-initialised",
        "what": "fp16 / bf16: the float32 master params start at zero, not at the params",
        "file": "runtime/main/Trainer.cpp",
        "old": "    zero->initMasterParams();",
        "new": "    (void)zero;",
        "tests": "e2e-train-(llama|gpt2)-dynamo-(bf16|fp16)",
    },
    {
        "name": "mixed-precision-no-saturation",
        "what": "fp16: a float32 constant beyond float16's range becomes -inf, not the lowest float16",
        "file": "passes/MixedPrecisionPass.cpp",
        "old": "      v = APFloat::getLargest(semantics, v.isNegative());",
        "new": "      (void)semantics;",
        "tests": "^lit$",
    },
    {
        "name": "init-seed-partition-restarts",
        "what": "--init-seed: a ZeRO-3 rank draws its part of a param from the param's first element",
        "file": "runtime/main/Weights.cpp",
        "old": "draw(p.name, lo - p.flatOffset, hi - lo,",
        "new": "draw(p.name, 0, hi - lo,",
        "tests": "^lit$",
    },
    {
        "name": "device-memory-not-zeroed",
        "what": "a GPU rank's arena and buffers start as whatever the device memory held",
        "file": "runtime/main/Memory.cpp",
        "old": "    gpu->zero(p, length);\n",
        "new": "",
        "tests": "^lit$",
    },
    {
        "name": "adam-no-bias-correction",
        "what": "Adam's bias correction off (first moment)",
        "file": "kernels/optimizer/OptimizerMath.h",
        "old": "  c.negStepSize = static_cast<T>(-(p.lr / bc1));",
        "new": "  c.negStepSize = static_cast<T>(-(p.lr / 1.0));",
        "tests": TRAIN,
    },
    {
        "name": "memory-bookkeeping",
        "what": "measured memory is the allocated sizes again, not resident pages",
        "file": "runtime/main/Memory.cpp",
        "old": "    total += onDevice.count(base) ? bytes : residentBytesOf(base, bytes);",
        "new": "    total += bytes;",
        "tests": "^lit$",
    },
    {
        "name": "checkpoint-latest-first",
        "what": "a save points `latest` at its tag before the tag is renamed into place",
        "file": "runtime/main/Checkpoint.cpp",
        "old": "    removeFlatDir(final);\n",
        "new": "    removeFlatDir(final);\n    (void)writeLatest(dir, meta.tag);\n",
        "tests": "e2e-checkpoint-gpt2-tiny$",
    },
]


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, text=True, **kw)


def build(build_dir):
    r = run(["cmake", "--build", build_dir, "--", "-j2"], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.stdout.write(r.stdout[-4000:])
    return r.returncode == 0


def ctest(build_dir, regex):
    """Runs the tests matching `regex`; returns (run, failed names)."""
    r = run(["ctest", "--test-dir", build_dir, "-R", regex, "-j2", "--timeout", "600"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ran = len(re.findall(r"Test +#\d+: ", r.stdout))
    failed = re.findall(r"Test +#\d+: (\S+) \.+\**(?:Failed|Timeout|Exception|\*\*\*)", r.stdout)
    return ran, failed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.environ.get("DSC_BUILD_DIR", os.path.join(ROOT, "build")))
    p.add_argument("--only", help="run this mutation only")
    p.add_argument("--list", action="store_true")
    a = p.parse_args()
    chosen = [m for m in MUTATIONS if a.only in (None, m["name"])]
    if a.list or not chosen:
        for m in MUTATIONS:
            print(f"{m['name']}: {m['what']} ({m['file']})")
        return 0 if chosen else 2

    # Every mutation must still apply before any is tried.
    for m in chosen:
        with open(os.path.join(ROOT, m["file"])) as f:
            n = f.read().count(m["old"])
        if n != 1:
            print(f"mutation {m['name']}: its snippet occurs {n} times in {m['file']} "
                  "(must be once): update the mutation to the code")
            return 1

    saved = {}

    def restore(*_):
        for path, text in saved.items():
            with open(path, "w") as f:
                f.write(text)
        saved.clear()

    def interrupted(signum, _frame):
        restore()
        sys.exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)

    rows, ok = [], True
    try:
        for m in chosen:
            path = os.path.join(ROOT, m["file"])
            with open(path) as f:
                text = f.read()
            saved[path] = text
            with open(path, "w") as f:
                f.write(text.replace(m["old"], m["new"]))
            start = time.time()
            if not build(a.build):
                restore()
                print(f"mutation {m['name']}: the mutated code does not build")
                return 1
            ran, failed = ctest(a.build, m["tests"])
            restore()
            caught = ran > 0 and len(failed) > 0
            ok = ok and caught
            rows.append((m["name"], m["what"], ran, failed, caught, time.time() - start))
            print(f"mutation {m['name']}: {len(failed)} of {ran} comparisons failed"
                  + (f" ({', '.join(failed)})" if failed else "") + ("" if caught else " -- NOT CAUGHT"),
                  flush=True)
    finally:
        restore()
        if not build(a.build):
            print("the unmutated sources no longer build")
            ok = False

    print()
    print("| mutation | what | comparisons run | failed | caught |")
    print("|---|---|---|---|---|")
    for name, what, ran, failed, caught, _ in rows:
        print(f"| {name} | {what} | {ran} | {len(failed)}: {', '.join(failed)} | "
              f"{'yes' if caught else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
