#!/usr/bin/env python3
"""T5-style encoder-decoder LM (hand-written RMSNorm, no biases, ReLU FFN, learned
absolute positions, causal decoder self-attention + cross-attention, LM loss over the
decoder) -> examples/models/t5_tiny.onnx.

Inputs: input_ids [batch, 16], decoder_input_ids [batch, 16], labels [batch, 16], all int64.
decoder_input_ids is labels shifted right with a start token 0 (T5 convention).
Output: loss [].
Run with Debian's python: nice /usr/bin/python3 examples/export/export_t5.py [--train-steps N ...]
"""
import sys
sys.dont_write_bytecode = True

import torch
import torch.nn as nn

import common

VOCAB, ENC_SEQ, DEC_SEQ, D, HEADS, LAYERS, D_FF = 256, 16, 16, 64, 4, 2, 64
START_ID = 0


class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = common.RMSNorm(D)
        self.attn = common.Attention(D, HEADS, bias=False)
        self.norm2 = common.RMSNorm(D)
        self.ff = common.MLP(D, D_FF, "relu", bias=False)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = common.RMSNorm(D)
        self.self_attn = common.Attention(D, HEADS, bias=False, causal=True, max_len=DEC_SEQ)
        self.norm2 = common.RMSNorm(D)
        self.cross_attn = common.Attention(D, HEADS, bias=False, cross=True)
        self.norm3 = common.RMSNorm(D)
        self.ff = common.MLP(D, D_FF, "relu", bias=False)

    def forward(self, x, enc):
        x = x + self.self_attn(self.norm1(x))
        x = x + self.cross_attn(self.norm2(x), enc)
        return x + self.ff(self.norm3(x))


class T5(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Embedding(VOCAB, D)  # shared by encoder and decoder (both Gather)
        self.enc_pos = nn.Embedding(ENC_SEQ, D)
        self.dec_pos = nn.Embedding(DEC_SEQ, D)
        self.encoder = nn.ModuleList(EncoderLayer() for _ in range(LAYERS))
        self.enc_norm = common.RMSNorm(D)
        self.decoder = nn.ModuleList(DecoderLayer() for _ in range(LAYERS))
        self.dec_norm = common.RMSNorm(D)
        # tied to the shared embedding, as Hugging Face's T5 (which scales the
        # decoder output by d^-0.5 before a tied head); the exporter writes
        # the head as a transposed copy that ds-compile ties again.
        self.lm_head = nn.Linear(D, VOCAB, bias=False)
        self.lm_head.weight = self.shared.weight
        self.register_buffer("epos", torch.arange(ENC_SEQ).unsqueeze(0), persistent=False)
        self.register_buffer("dpos", torch.arange(DEC_SEQ).unsqueeze(0), persistent=False)

    def forward(self, input_ids, decoder_input_ids, labels):
        e = self.shared(input_ids) + self.enc_pos(self.epos)
        for layer in self.encoder:
            e = layer(e)
        e = self.enc_norm(e)
        x = self.shared(decoder_input_ids) + self.dec_pos(self.dpos)
        for layer in self.decoder:
            x = layer(x, e)
        logits = self.lm_head(self.dec_norm(x) * D ** -0.5)
        return common.lm_loss(logits, labels)


def make_inputs():
    r = common.rng()
    input_ids = r.randint(1, VOCAB, size=(common.BATCH, ENC_SEQ)).astype("int64")
    labels = r.randint(1, VOCAB, size=(common.BATCH, DEC_SEQ)).astype("int64")
    dec = labels.copy()
    dec[:, 1:] = labels[:, :-1]
    dec[:, 0] = START_ID
    return {"input_ids": input_ids, "decoder_input_ids": dec, "labels": labels}


if __name__ == "__main__":
    args = common.parse_args("t5_tiny", __doc__)
    torch.manual_seed(common.SEED)
    common.run(T5(), make_inputs(), args)
