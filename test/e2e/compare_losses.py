#!/usr/bin/env python3
"""Compares the losses of a metrics file (JSON lines, one object per
optimizer step) with a reference's, within a relative tolerance; prints one
line per step and `N passed, M failed`. The reference is a JSON file with
"losses" or another metrics file (.jsonl)."""
import json
import sys


def metrics_losses(path):
    with open(path) as f:
        return [json.loads(line)["loss"] for line in f if line.strip()]


def main():
    if len(sys.argv) != 4:
        print("usage: compare_losses.py METRICS.jsonl REFERENCE.json RTOL")
        return 2
    metrics_path, reference_path, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    losses = metrics_losses(metrics_path)
    if reference_path.endswith(".jsonl"):
        reference = metrics_losses(reference_path)
    else:
        with open(reference_path) as f:
            reference = json.load(f)["losses"]
    if len(losses) != len(reference):
        print(f"{len(losses)} losses in {metrics_path}, {len(reference)} in the reference")
        return 1
    failed = 0
    for step, (got, want) in enumerate(zip(losses, reference), start=1):
        rel = abs(got - want) / abs(want)
        ok = rel <= rtol
        failed += not ok
        print(f"step {step}: loss {got:.7f} reference {want:.7f} relative error {rel:.2e}"
              + ("" if ok else " MISMATCH"))
    print(f"{len(losses) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
