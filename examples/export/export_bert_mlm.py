#!/usr/bin/env python3
"""BERT-style masked language model (post-LayerNorm encoder, exact GELU, MLM head
with its decoder tied to the word embeddings, as Hugging Face's BertForMaskedLM)
-> examples/models/bert_mlm_tiny.onnx.

Inputs: ids [batch, 32] int64 (15% of the tokens replaced by MASK_ID), labels
[batch, 32] int64 (the original token at masked positions, -100 elsewhere: ignored
by the loss). Output: loss [].
Run with Debian's python: nice /usr/bin/python3 examples/export/export_bert_mlm.py [--train-steps N ...]
"""
import sys
sys.dont_write_bytecode = True

import torch
import torch.nn as nn

import common
from export_bert import Bert, VOCAB, SEQ, D, CLS_ID

MASK_ID = 3
IGNORE = -100


class BertMLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.bert = Bert()
        # BertPredictionHeadTransform, then a decoder tied to the word
        # embeddings with a bias of its own; the exporter writes the decoder
        # as a transposed copy of bert.word.weight.
        self.transform = nn.Linear(D, D)
        self.act = nn.GELU()
        self.ln = nn.LayerNorm(D, eps=1e-12)
        self.decoder = nn.Linear(D, VOCAB)
        self.decoder.weight = self.bert.word.weight
        # Hugging Face's initialisation of the tied embedding (std 0.02).
        nn.init.normal_(self.bert.word.weight, std=0.02)

    def forward(self, ids, labels):
        x = self.bert.encode(ids)
        logits = self.decoder(self.ln(self.act(self.transform(x))))
        return nn.functional.cross_entropy(
            logits.reshape(-1, VOCAB), labels.reshape(-1), ignore_index=IGNORE)


def make_inputs():
    r = common.rng()
    ids = r.randint(4, VOCAB, size=(common.BATCH, SEQ)).astype("int64")
    ids[:, 0] = CLS_ID
    masked = r.rand(common.BATCH, SEQ) < 0.15
    masked[:, 0] = False
    masked[:, 1] = True  # at least one masked token per sequence
    labels = ids.copy()
    labels[~masked] = IGNORE
    ids[masked] = MASK_ID
    return {"ids": ids, "labels": labels}


if __name__ == "__main__":
    args = common.parse_args("bert_mlm_tiny", __doc__)
    torch.manual_seed(common.SEED)
    common.run(BertMLM(), make_inputs(), args)
