#!/usr/bin/env python3
"""BERT-style encoder with a sequence-classification loss (post-LayerNorm, exact GELU,
tanh pooler on the first token) -> examples/models/bert_tiny.onnx.

Inputs: ids [batch, 32] int64, labels [batch] int64 in [0, 4). Output: loss [].
Run with Debian's python: nice /usr/bin/python3 examples/export/export_bert.py [--train-steps N ...]
"""
import sys
sys.dont_write_bytecode = True

import torch
import torch.nn as nn

import common

VOCAB, SEQ, D, HEADS, LAYERS, D_FF, CLASSES = 256, 32, 64, 4, 2, 128, 4
CLS_ID = 1  # every sequence starts with this token, like BERT's [CLS]


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, D)
        self.position = nn.Embedding(SEQ, D)
        self.emb_ln = nn.LayerNorm(D, eps=1e-12)
        self.layers = nn.ModuleList(
            common.PostNormBlock(D, HEADS, D_FF, "gelu") for _ in range(LAYERS))
        self.pooler = nn.Linear(D, D)
        self.classifier = nn.Linear(D, CLASSES)
        self.register_buffer("pos", torch.arange(SEQ).unsqueeze(0), persistent=False)

    def encode(self, ids):
        x = self.emb_ln(self.word(ids) + self.position(self.pos))
        for layer in self.layers:
            x = layer(x)
        return x

    def forward(self, ids, labels):
        x = self.encode(ids)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        logits = self.classifier(pooled)
        return nn.functional.cross_entropy(logits, labels)


def make_inputs():
    r = common.rng()
    ids = r.randint(2, VOCAB, size=(common.BATCH, SEQ)).astype("int64")
    ids[:, 0] = CLS_ID
    labels = r.randint(0, CLASSES, size=(common.BATCH,)).astype("int64")
    return {"ids": ids, "labels": labels}


if __name__ == "__main__":
    args = common.parse_args("bert_tiny", __doc__)
    torch.manual_seed(common.SEED)
    common.run(Bert(), make_inputs(), args)
