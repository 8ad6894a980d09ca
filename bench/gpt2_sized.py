"""Shared helper for the benchmark: the example GPT-2 (examples/export/export_gpt2.py)
at a chosen size.

export_gpt2.py has no size flags: its sizes are module constants (VOCAB, SEQ, D,
HEADS, LAYERS, D_FF) that GPT2.__init__ reads, and the batch is common.BATCH. This
module overrides those constants before building the model, so the benchmark uses
the example's own model class, seed (common.SEED) and data generator unchanged.
"""
import os
import sys

sys.dont_write_bytecode = True
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(_HERE, "..", "examples", "export")))

import common  # noqa: E402
import export_gpt2  # noqa: E402

# name -> (vocab, seq, d, heads, layers, d_ff, batch)
CONFIGS = {
    # the bundled example, examples/models/gpt2_tiny.onnx
    "tiny": (256, 32, 64, 4, 2, 128, 4),
    # the CPU anchor of ../shared/reference/anchors.md: 4 layers, d 256, seq 128,
    # batch 8, vocab 2048 (heads 4 = head dim 64 and FFN 4d are our choice)
    "anchor": (2048, 128, 256, 4, 4, 1024, 8),
    # GPT-2 small's sizes (vocab padded to 50304), seq 256, batch 1: 124M
    # parameters (the head is tied), past 2 GiB of rank memory
    "small": (50304, 256, 768, 12, 12, 3072, 1),
    # GPT-2 small as the GPU issue measures it against PyTorch: seq 1024, batch 8
    "gpu_small": (50304, 1024, 768, 12, 12, 3072, 8),
    # GPT-2 medium's widths (d 1024, 16 heads, 24 layers, FFN 4096) at seq 64:
    # 354M parameters, for ZeRO-3 on 4 CPU ranks
    "medium": (50304, 64, 1024, 16, 24, 4096, 4),
}


def configure(name):
    vocab, seq, d, heads, layers, d_ff, batch = CONFIGS[name]
    export_gpt2.VOCAB, export_gpt2.SEQ, export_gpt2.D = vocab, seq, d
    export_gpt2.HEADS, export_gpt2.LAYERS, export_gpt2.D_FF = heads, layers, d_ff
    common.BATCH = batch
    return export_gpt2, common
