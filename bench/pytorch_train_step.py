#!/usr/bin/env python3
"""PyTorch baseline for bench/train_step_gpt2.sh: one training step of the example
GPT-2 (the same class as examples/export/export_gpt2.py, same seed, so the same
initial weights as the exported .onnx, and the same input batch), fp32, AdamW
(lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0, as the ds_config), eager mode.

A timed step = zero_grad(set_to_none=True) + forward (loss inside the model) +
backward + optimizer.step() + loss.item() (ds-rank also reads the loss every step).
Prints the median over --steps timed steps after --warmup untimed ones, and a JSON
line for the driver script.

Run with Debian's python (torch 1.13 over the system libblas.so.3, which must be
OpenBLAS, see ../shared/reference/anchors.md):
  /usr/bin/python3 bench/pytorch_train_step.py --size tiny --threads 2
"""
import argparse
import json
import statistics
import sys
import time

sys.dont_write_bytecode = True
import gpt2_sized  # noqa: E402

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--size", choices=sorted(gpt2_sized.CONFIGS), default="tiny")
p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--times", action="store_true", help="also put every timed step in the JSON line")
a = p.parse_args()

export_gpt2, common = gpt2_sized.configure(a.size)
import torch  # noqa: E402

torch.set_num_threads(a.threads)
torch.manual_seed(common.SEED)
model = export_gpt2.GPT2().float().train()
inputs = {k: torch.from_numpy(v) for k, v in export_gpt2.make_inputs().items()}
batch = inputs["ids"].shape[0]
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                        weight_decay=0.0)

times, losses = [], []
for s in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(**inputs)
    loss.backward()
    opt.step()
    losses.append(loss.item())
    dt = time.perf_counter() - t0
    if s >= a.warmup:
        times.append(dt)

med = statistics.median(times)
print("pytorch %s: torch %s, %d threads, batch %d, %d params; median step %.3f ms over %d "
      "steps (min %.3f, max %.3f); loss %.4f -> %.4f"
      % (a.size, torch.__version__, torch.get_num_threads(), batch,
         common.n_params(model), med * 1e3, len(times), min(times) * 1e3, max(times) * 1e3,
         losses[0], losses[-1]), file=sys.stderr)
out = {"system": "pytorch", "size": a.size, "batch": batch, "threads": torch.get_num_threads(),
       "median_s": med, "loss_first": losses[0], "loss_last": losses[-1]}
if a.times:
    out["times_s"] = times
print(json.dumps(out))
