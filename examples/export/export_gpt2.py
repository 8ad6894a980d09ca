#!/usr/bin/env python3
"""GPT-2-style causal LM (pre-LayerNorm, causal mask, tanh-GELU) -> examples/models/gpt2_tiny.onnx.

Inputs: ids [batch, 32] int64, labels [batch, 32] int64 (next tokens). Output: loss [].
Run with Debian's python: nice /usr/bin/python3 examples/export/export_gpt2.py [--train-steps N ...]
"""
import sys
sys.dont_write_bytecode = True

import torch
import torch.nn as nn

import common

VOCAB, SEQ, D, HEADS, LAYERS, D_FF = 256, 32, 64, 4, 2, 128


class GPT2(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, D)
        self.wpe = nn.Embedding(SEQ, D)
        self.h = nn.ModuleList(
            common.PreNormBlock(D, HEADS, D_FF, "gelu_tanh", causal=True, max_len=SEQ)
            for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(D)
        # tied to the embedding, as Hugging Face's GPT-2: the exporter writes
        # the head as a constant-folded transpose of wte.weight, which
        # ds-compile trains as the same parameter again.
        self.lm_head = nn.Linear(D, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight
        # Hugging Face's initialisation of a tied embedding (std 0.02): with
        # nn.Embedding's N(0, 1) the tied head's logits would start huge.
        nn.init.normal_(self.wte.weight, std=0.02)
        self.register_buffer("pos", torch.arange(SEQ).unsqueeze(0), persistent=False)

    def forward(self, ids, labels):
        x = self.wte(ids) + self.wpe(self.pos)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return common.lm_loss(logits, labels)


def make_inputs():
    seq = common.rng().randint(0, VOCAB, size=(common.BATCH, SEQ + 1)).astype("int64")
    return {"ids": seq[:, :-1].copy(), "labels": seq[:, 1:].copy()}


if __name__ == "__main__":
    args = common.parse_args("gpt2_tiny", __doc__)
    torch.manual_seed(common.SEED)
    common.run(GPT2(), make_inputs(), args)
