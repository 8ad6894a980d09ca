#!/usr/bin/env python3
"""Writes which parameter of the example GPT-2 each float initializer of its ONNX export holds,
as JSON {initializer: [parameter, transposed]}, for bench/gpu/gpt2_vs_torch.py, which draws the
initial weights where the ONNX file is not. The model is rebuilt here with the exporter's seed,
so its values identify the initializers (common.initializer_sources).

  /usr/bin/python3 bench/gpu/param_sources.py --size gpu_small MODEL.onnx > param_sources.json
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gpt2_sized  # noqa: E402

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--size", choices=sorted(gpt2_sized.CONFIGS), required=True)
p.add_argument("onnx")
a = p.parse_args()
export_gpt2, common = gpt2_sized.configure(a.size)
import torch  # noqa: E402

torch.manual_seed(common.SEED)
sources = common.initializer_sources(a.onnx, export_gpt2.GPT2().float())
json.dump({k: list(v) for k, v in sorted(sources.items())}, sys.stdout, indent=1)
print()
