#!/usr/bin/env python3
"""ViT-style image classifier (4x4 Conv patch embedding, class token, learned positions,
pre-LayerNorm blocks with exact GELU, CE loss on the class token) -> examples/models/vit_tiny.onnx.

Inputs: pixels [batch, 3, 32, 32] float32, labels [batch] int64 in [0, 10). Output: loss [].
Run with Debian's python: nice /usr/bin/python3 examples/export/export_vit.py [--train-steps N ...]
"""
import sys
sys.dont_write_bytecode = True

import torch
import torch.nn as nn

import common

IMG, PATCH, CH, D, HEADS, LAYERS, D_FF, CLASSES = 32, 4, 3, 64, 4, 2, 128, 10
TOKENS = (IMG // PATCH) ** 2 + 1


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(CH, D, kernel_size=PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, D) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, TOKENS, D) * 0.02)
        self.blocks = nn.ModuleList(
            common.PreNormBlock(D, HEADS, D_FF, "gelu") for _ in range(LAYERS))
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, CLASSES)

    def forward(self, pixels, labels):
        x = self.patch(pixels).flatten(2).transpose(1, 2)        # [B, 64, D]
        cls = self.cls.expand(x.size(0), -1, -1)                 # [B, 1, D]
        x = torch.cat([cls, x], dim=1) + self.pos                # [B, 65, D]
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.norm(x)[:, 0])
        return nn.functional.cross_entropy(logits, labels)


def make_inputs():
    r = common.rng()
    pixels = r.standard_normal((common.BATCH, CH, IMG, IMG)).astype("float32")
    labels = r.randint(0, CLASSES, size=(common.BATCH,)).astype("int64")
    return {"pixels": pixels, "labels": labels}


if __name__ == "__main__":
    args = common.parse_args("vit_tiny", __doc__)
    torch.manual_seed(common.SEED)
    common.run(ViT(), make_inputs(), args)
