#!/usr/bin/env python3
"""Compares a training run with a reference: every step's loss and gradient
norm (before clipping), and the final weights.

  compare_training.py METRICS.jsonl REFERENCE --loss-rtol R [--norm-rtol R]
                      [--weights OURS.safetensors THEIRS.safetensors --weights-rtol R]
                      [--align-skipped]

REFERENCE is a JSON file with "losses" (and "grad_norms") or another metrics
file (.jsonl). Weights: every tensor of THEIRS must be in OURS (ours may hold
more: tied copies); a tensor's error is |ours - theirs| / |theirs| (L2).
Not the largest element's error: Adam turns a gradient that is zero in exact
arithmetic but rounding noise in both programs (the key bias of attention:
softmax ignores a shift of all logits) into steps of +-lr, different in
each, on a few elements.
With --align-skipped (fp16), a step whose gradient norm is null overflowed
and skipped its update, as DeepSpeed skips it: each step is compared with
the reference step after as many updates (the reference has at least that
many steps), and a skipped step's norm is not compared.
Prints each step, the largest error of each kind (the agreement reached, to
set tolerances from) and `N passed, M failed`; exits 1 on any mismatch."""
import argparse
import array
import json
import math
import struct
import sys


def read_metrics(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["loss"] for r in rows], [r.get("grad_norm") for r in rows]


def read_reference(path):
    if path.endswith(".jsonl"):
        return read_metrics(path)
    with open(path) as f:
        ref = json.load(f)
    return ref["losses"], ref.get("grad_norms")


def read_safetensors(path):
    """name -> (shape, values) of a safetensors file's float tensors; plain
    Python (the test machines' python3 need not have numpy)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": "f", "F64": "d"}
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        values = array.array(kinds[t["dtype"]])
        values.frombytes(data[begin:end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (t["shape"], values)
    return tensors


def relative(got, want):
    return abs(got - want) / abs(want) if want else abs(got)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("metrics")
    p.add_argument("reference")
    p.add_argument("--loss-rtol", type=float, required=True)
    p.add_argument("--norm-rtol", type=float)
    p.add_argument("--weights", nargs=2, metavar=("OURS", "THEIRS"))
    p.add_argument("--weights-rtol", type=float)
    p.add_argument("--align-skipped", action="store_true")
    a = p.parse_args()
    if (a.weights is None) != (a.weights_rtol is None):
        p.error("--weights and --weights-rtol go together")

    losses, norms = read_metrics(a.metrics)
    ref_losses, ref_norms = read_reference(a.reference)
    # The reference step each step is compared with.
    at, updates = [], 0
    for norm in norms:
        at.append(updates)
        updates += not (a.align_skipped and norm is None)
    skipped = [a.align_skipped and n is None for n in norms]
    if (len(losses) != len(ref_losses) and not a.align_skipped) or \
            (losses and at[-1] >= len(ref_losses)):
        print(f"{len(losses)} steps in {a.metrics}, {len(ref_losses)} in the reference")
        return 1
    if a.norm_rtol is not None and (
            ref_norms is None or None in ref_norms
            or any(n is None and not s for n, s in zip(norms, skipped))):
        print("--norm-rtol: a gradient norm is missing from the run or the reference")
        return 1
    failed = checks = 0
    worst = {"loss": 0.0, "grad_norm": 0.0, "weights": 0.0}
    for step, got in enumerate(losses, start=1):
        want = ref_losses[at[step - 1]]
        rel = relative(got, want)
        worst["loss"] = max(worst["loss"], rel)
        bad = rel > a.loss_rtol
        line = f"step {step}: loss {got:.7f} reference {want:.7f} relative error {rel:.2e}"
        if a.align_skipped and at[step - 1] != step - 1:
            line += f" (reference step {at[step - 1] + 1})"
        if skipped[step - 1]:
            line += "; overflow, update skipped"
        elif a.norm_rtol is not None:
            norm, ref_norm = norms[step - 1], ref_norms[at[step - 1]]
            nrel = relative(norm, ref_norm)
            worst["grad_norm"] = max(worst["grad_norm"], nrel)
            bad = bad or nrel > a.norm_rtol
            line += (f"; grad_norm {norm:.7f} reference {ref_norm:.7f}"
                     f" relative error {nrel:.2e}")
        checks += 1
        failed += bad
        print(line + (" MISMATCH" if bad else ""))
    if a.weights:
        ours, theirs = read_safetensors(a.weights[0]), read_safetensors(a.weights[1])
        worst_name = ""
        for name, want in sorted(theirs.items()):
            checks += 1
            got = ours.get(name)
            if got is None or got[0] != want[0]:
                print(f"weights: '{name}' is " + ("missing from " + a.weights[0] if got is None
                      else f"{got[0]}, reference {want[0]}") + " MISMATCH")
                failed += 1
                continue
            scale = math.sqrt(sum(v * v for v in want[1])) or 1.0
            err = math.sqrt(sum((x - y) ** 2 for x, y in zip(got[1], want[1]))) / scale
            if err > worst["weights"]:
                worst["weights"], worst_name = err, name
            if err > a.weights_rtol:
                print(f"weights: '{name}' relative error {err:.2e} MISMATCH")
                failed += 1
        print(f"weights: {len(theirs)} tensors, largest relative error {worst['weights']:.2e}"
              + (f" ('{worst_name}')" if worst_name else ""))
    reached = ", ".join(f"{k} {v:.1e}" for k, v in worst.items()
                        if k == "loss" or (k == "grad_norm" and a.norm_rtol is not None)
                        or (k == "weights" and a.weights))
    print(f"agreement reached: {reached}")
    print(f"{checks - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
