#!/usr/bin/env python3
"""Exports the example GPT-2 at one of bench/gpt2_sized.py's sizes with the example's
own exporter (common.run): <out-dir>/<name>.onnx and <out-dir>/<name>_inputs/.

  /usr/bin/python3 bench/export_gpt2_sized.py --size anchor --out-dir DIR --name gpt2_anchor
"""
import argparse
import sys

sys.dont_write_bytecode = True
import gpt2_sized  # noqa: E402

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--size", choices=sorted(gpt2_sized.CONFIGS), required=True)
p.add_argument("--out-dir", required=True)
p.add_argument("--name", required=True)
p.add_argument("--train-steps", type=int, default=0,
               help="also write <name>_ref_train.json with N PyTorch AdamW steps")
a = p.parse_args()

export_gpt2, common = gpt2_sized.configure(a.size)
import torch  # noqa: E402

torch.manual_seed(common.SEED)
# The exporters' own defaults (AdamW, lr 1e-3, no accumulation or warmup).
args = common.parse_args(a.name, __doc__, ["--out-dir", a.out_dir, "--name", a.name,
                                           "--train-steps", str(a.train_steps)])
common.run(export_gpt2.GPT2(), export_gpt2.make_inputs(), args)
