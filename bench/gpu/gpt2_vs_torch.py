#!/usr/bin/env python3
"""The example GPT-2 at one of bench/gpt2_sized.py's sizes, trained by ds-compile's rank and by
PyTorch (eager and torch.compile) from the same initial weights, on the same batch, for the same
steps; prints one markdown table: each system's losses against PyTorch eager's, its median step
time and its peak memory.

Both start from the weights this script draws: PyTorch's initialisation of the example's model
(seed 0), written under the ONNX initializers' names (RUN/param_sources.json, from
bench/gpu/param_sources.py; a transposed copy transposed) beside the constants of the rank's own
weights file, and given to the rank with --weights. The rank's plan is RUN (compiled by
bench/gpu/prepare.sh, --no-param-weights: its params do not travel). Mixed precision as each
system does it: the rank's bf16 plan keeps bf16 params and float32 masters (DeepSpeed's bf16),
PyTorch float32 params under bf16 autocast.

  python3 bench/gpu/gpt2_vs_torch.py --run build/gpu-check/runs/gpt2_small --size gpu_small \
      --steps 20 --backend LIB/libdsc_cuda.so --work DIR
  # the same flow on a CPU, for testing the script: --device cpu --size tiny
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gpt2_sized  # noqa: E402

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--run", required=True, help="the compiled run (bin/, weights/, data/)")
p.add_argument("--size", choices=sorted(gpt2_sized.CONFIGS), required=True)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=5, help="steps left out of the step time")
p.add_argument("--lr", type=float, default=1e-4)
p.add_argument("--device", default="cuda")
p.add_argument("--backend", default="", help="the CUDA backend library for the rank")
p.add_argument("--work", required=True, help="scratch directory")
a = p.parse_args()

export_gpt2, common = gpt2_sized.configure(a.size)
import numpy as np  # noqa: E402
import torch  # noqa: E402

os.makedirs(a.work, exist_ok=True)
DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "BOOL": np.bool_,
          "F16": np.float16, "U8": np.uint8}


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: np.frombuffer(body[slice(*v["data_offsets"])],
                             dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def write_safetensors(path, tensors):
    names = {v: k for k, v in DTYPES.items()}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = np.ascontiguousarray(tensors[name])
        blob = t.tobytes()
        header[name] = {"dtype": names[t.dtype.type], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# The initial weights: PyTorch's, under the ONNX names, and the plan's constants.
torch.manual_seed(common.SEED)
model = export_gpt2.GPT2().float()
start = {k: v.detach().clone() for k, v in model.state_dict().items()}
sources = json.load(open(os.path.join(a.run, "param_sources.json")))
init = read_safetensors(os.path.join(a.run, "weights", "rank_0.safetensors"))
for onnx_name, (torch_name, transposed) in sources.items():
    value = start[torch_name].numpy()
    init[onnx_name] = value.T if transposed else value
init_path = os.path.join(a.work, "init.safetensors")
write_safetensors(init_path, init)

ids = torch.from_numpy(np.load(os.path.join(a.run, "data", "ids.npy")))
labels = torch.from_numpy(np.load(os.path.join(a.run, "data", "labels.npy")))


def summary(name, losses, times, peak):
    return {"name": name, "losses": losses, "step_ms": statistics.median(times[a.warmup:]) * 1e3
            if len(times) > a.warmup else float("nan"), "peak": peak}


def rank():
    metrics = os.path.join(a.work, "rank.jsonl")
    env = dict(os.environ, DSC_DEVICE="cuda" if a.device == "cuda" else "cpu")
    if a.backend:
        env["DSC_CUDA_BACKEND"] = a.backend
    done = subprocess.run(
        [os.path.join(a.run, "bin", "rank_0"), "--weights", init_path, "--data",
         os.path.join(a.run, "data"), "--steps", str(a.steps), "--metrics", metrics],
        env=env, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise SystemExit("the rank failed:\n" + log[-2000:])
    rows = [json.loads(line) for line in open(metrics)]
    memory = [line for line in log.splitlines() if "memory:" in line]
    peak = memory[0].split("measured ")[1].split(" bytes")[0] if memory else "?"
    batch = ids.shape[0]
    return summary("ds-compile rank", [r["loss"] for r in rows],
                   [batch / r["samples_per_s"] for r in rows], int(peak) if peak != "?" else 0)


def torch_run(name, compiled):
    m = export_gpt2.GPT2().float()
    m.load_state_dict(start)
    m.to(a.device).train()
    step_model = torch.compile(m) if compiled else m
    opt = torch.optim.AdamW(m.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.0)
    x, y = ids.to(a.device), labels.to(a.device)
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    losses, times = [], []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(a.device, dtype=torch.bfloat16):
            loss = step_model(x, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if a.device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated() if a.device == "cuda" else 0
    return summary(name, losses, times, peak)


runs = [rank(), torch_run("PyTorch eager", False)]
failed = []
if hasattr(torch, "compile"):
    # A compiler PyTorch cannot run here does not take the other rows with it.
    try:
        runs.append(torch_run("PyTorch torch.compile", True))
    except Exception as e:  # noqa: BLE001
        failed.append(f"torch.compile failed: {type(e).__name__}: {str(e)[:300]}")
eager = runs[1]["losses"]
print(f"GPT-2 ({a.size}: vocab {export_gpt2.VOCAB}, seq {export_gpt2.SEQ}, d {export_gpt2.D}, "
      f"{export_gpt2.LAYERS} layers, batch {ids.shape[0]}), bf16, AdamW lr {a.lr}, {a.steps} steps, "
      f"{a.device}, torch {torch.__version__}")
print("| system | largest loss difference from eager (relative) | median step (ms) | peak memory (GiB) |")
print("| --- | --- | --- | --- |")
for r in runs:
    worst = max(abs(x - y) / abs(y) for x, y in zip(r["losses"], eager))
    print(f"| {r['name']} | {worst:.2e} | {r['step_ms']:.1f} | {r['peak'] / 2**30:.2f} |")
for line in failed:
    print(line)
print("losses: " + "; ".join(f"{r['name']}: " + " ".join(f"{x:.4f}" for x in r["losses"])
                             for r in runs))
