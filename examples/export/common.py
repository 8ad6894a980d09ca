"""Shared code for the example exporters in this folder.

Each export_<family>.py script defines only its model and its input batch; this
module holds the building blocks (attention, MLP, norms), the ONNX export with the
project's conventions, the reference-loss JSON files and the AdamW reference
training loop.

Conventions (see examples/README.md):
  * float32, CPU, torch.manual_seed(SEED) before the model is built, so weights
    are deterministic; no dropout anywhere, so train and eval modes agree;
  * the loss is computed inside forward(): the graph has one output, `loss`;
  * opset 17, constant folding, TrainingMode.EVAL, weights inside the .onnx;
  * every input's first axis is dynamic and named `batch`.
"""

import argparse
import contextlib
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
BATCH = 4
SEED = 0
# Inputs are drawn from their own generator so that changing a model's size does
# not change its batch (and the other way around).
DATA_SEED = 1234

DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """T5-style RMS norm written by hand (no mean subtraction, no bias):
    x * rsqrt(mean(x^2) + eps) * weight. Exports as Pow/ReduceMean/Add/Sqrt/Div/Mul."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


class Attention(nn.Module):
    """Multi-head attention written out with matmul/softmax (no nn.MultiheadAttention).

    causal=True adds a lower-triangular mask built once with torch.ones(...).tril()
    and applied with masked_fill(-inf) (exports as a constant + Where); the
    sequence length must then equal max_len.
    For cross-attention pass `kv` (the encoder output); q comes from `x`.
    """

    def __init__(self, d, n_heads, bias=True, causal=False, max_len=None, cross=False):
        super().__init__()
        assert d % n_heads == 0
        self.n_heads = n_heads
        self.head_dim = d // n_heads
        self.causal = causal
        self.cross = cross
        if cross:
            self.q = nn.Linear(d, d, bias=bias)
            self.kv = nn.Linear(d, 2 * d, bias=bias)
        else:
            self.qkv = nn.Linear(d, 3 * d, bias=bias)
        self.proj = nn.Linear(d, d, bias=bias)
        if causal:
            assert max_len is not None
            mask = torch.ones(max_len, max_len).tril().view(1, 1, max_len, max_len)
            self.register_buffer("mask", mask, persistent=False)

    def _heads(self, t):
        B, T, C = t.size()
        return t.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, kv=None):
        B, T, C = x.size()
        if self.cross:
            q = self.q(x)
            k, v = self.kv(kv).split(C, dim=2)
        else:
            q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        if self.causal:
            # the sequence length is static (only the batch axis is dynamic), so the
            # whole (max_len, max_len) mask is used; it folds to one constant.
            att = att.masked_fill(self.mask == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


def activation(name):
    """'gelu' = exact (erf) GELU, 'gelu_tanh' = tanh approximation, 'relu'."""
    if name == "gelu":
        return nn.GELU()
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if name == "relu":
        return nn.ReLU()
    raise ValueError(name)


class MLP(nn.Module):
    def __init__(self, d, d_ff, act, bias=True):
        super().__init__()
        self.fc = nn.Linear(d, d_ff, bias=bias)
        self.act = activation(act)
        self.out = nn.Linear(d_ff, d, bias=bias)

    def forward(self, x):
        return self.out(self.act(self.fc(x)))


class PreNormBlock(nn.Module):
    """x + attn(norm(x)); x + mlp(norm(x)) — GPT-2 / ViT layout."""

    def __init__(self, d, n_heads, d_ff, act, causal=False, max_len=None):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, n_heads, causal=causal, max_len=max_len)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = MLP(d, d_ff, act)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class PostNormBlock(nn.Module):
    """norm(x + attn(x)); norm(x + mlp(x)) — original BERT layout."""

    def __init__(self, d, n_heads, d_ff, act):
        super().__init__()
        self.attn = Attention(d, n_heads)
        self.ln1 = nn.LayerNorm(d)
        self.mlp = MLP(d, d_ff, act)
        self.ln2 = nn.LayerNorm(d)

    def forward(self, x):
        x = self.ln1(x + self.attn(x))
        return self.ln2(x + self.mlp(x))


def lm_loss(logits, labels):
    """Token-level cross entropy, mean over all positions (exports as
    Reshape + SoftmaxCrossEntropyLoss)."""
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------

def parse_args(name, description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out-dir", default=DEFAULT_OUT, help="default: examples/models")
    p.add_argument("--name", default=name, help="file stem (default %(default)s)")
    p.add_argument("--train-steps", type=int, default=0,
                   help="also write <name>_ref_train.json with N AdamW steps over the saved batch")
    p.add_argument("--lr", type=float, default=1e-3, help="max learning rate")
    p.add_argument("--gas", type=int, default=1,
                   help="gradient accumulation steps: the batch of %d is cut into K equal micro-batches" % BATCH)
    p.add_argument("--warmup", type=int, default=0,
                   help="linear warmup steps W (DeepSpeed WarmupLR: lr = lr*t/W for t<W, t from 0)")
    args = p.parse_args()
    if args.gas < 1 or BATCH % args.gas:
        p.error("--gas must divide the batch size %d" % BATCH)
    if args.train_steps < 0 or args.warmup < 0:
        p.error("--train-steps and --warmup must be >= 0")
    return args


# --------------------------------------------------------------------------
# export + references
# --------------------------------------------------------------------------

@contextlib.contextmanager
def _no_value_dedup():
    """Keep one initializer per parameter.

    In EVAL mode torch 1.13's exporter merges initializers that are merely equal in
    value (torch/onnx/utils.py calls _jit_pass_onnx_deduplicate_initializers with
    is_train=model.training, which EVAL has just set to False). Freshly built models
    have many equal tensors (every LayerNorm/RMSNorm weight is all ones, every
    LayerNorm bias all zeros), so without this they would come out as ONE shared
    initializer, i.e. tied parameters that a trainer would update together, unlike
    PyTorch. With is_train=True the pass only merges parameters that share storage
    (real weight tying), which these models do not have.
    """
    orig = torch._C._jit_pass_onnx_deduplicate_initializers

    def by_storage_only(graph, params_dict, is_train):
        return orig(graph, params_dict, True)

    torch._C._jit_pass_onnx_deduplicate_initializers = by_storage_only
    try:
        yield
    finally:
        torch._C._jit_pass_onnx_deduplicate_initializers = orig


def _to_torch(inputs):
    return {k: torch.from_numpy(v) for k, v in inputs.items()}


def run(model, inputs, args):
    """Export `model` (forward(**inputs) -> scalar loss) and write all files.

    inputs: ordered dict name -> numpy array (batch first). Returns the forward loss.
    """
    torch.set_num_threads(1)
    model = model.float().eval()
    out = args.out_dir
    name = args.name
    os.makedirs(out, exist_ok=True)

    names = list(inputs.keys())
    tin = _to_torch(inputs)
    with torch.no_grad():
        loss = model(**tin)
    assert loss.dim() == 0 and loss.dtype == torch.float32

    onnx_path = os.path.join(out, name + ".onnx")
    with _no_value_dedup():
        torch.onnx.export(
            model,
            tuple(tin[k] for k in names),
            onnx_path,
            input_names=names,
            output_names=["loss"],
            dynamic_axes={k: {0: "batch"} for k in names},
            opset_version=OPSET,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
            export_params=True,
        )

    in_dir = os.path.join(out, name + "_inputs")
    os.makedirs(in_dir, exist_ok=True)
    for k, v in inputs.items():
        np.save(os.path.join(in_dir, k + ".npy"), v)

    ref = {
        "loss_forward": float(loss.item()),
        "batch": BATCH,
        "opset": OPSET,
        "torch": torch.__version__,
    }
    _write_json(os.path.join(out, name + "_ref.json"), ref)
    print("%s: %d params, loss_forward %.6f -> %s (%d bytes)"
          % (name, n_params(model), ref["loss_forward"], onnx_path, os.path.getsize(onnx_path)))

    if args.train_steps > 0:
        train_ref = train_reference(model, inputs, args)
        _write_json(os.path.join(out, name + "_ref_train.json"), train_ref)
        print("%s: %d AdamW steps, losses %s" % (name, args.train_steps,
                                                 " ".join("%.4f" % l for l in train_ref["losses"])))
    return ref["loss_forward"]


def warmup_lr(step, max_lr, warmup):
    """DeepSpeed WarmupLR, warmup_type 'linear', warmup_min_lr 0, step counted from 0."""
    if warmup > 0 and step < warmup:
        return max_lr * step / warmup
    return max_lr


def train_reference(model, inputs, args):
    """N AdamW steps over the saved batch, starting from the exported weights.

    Each step cuts the batch into `gas` equal consecutive micro-batches; each
    micro-batch's loss is scaled by 1/gas before backward (DeepSpeed gradient
    accumulation), and the step's reported loss is the sum of the scaled losses,
    i.e. the mean over the step's global batch (all micro-batches are the same
    size and every label counts, so this equals the loss of the whole batch).
    The reported loss is the one computed before that step's update.
    """
    K = args.gas
    micro = BATCH // K
    model = copy.deepcopy(model)
    model.eval()  # no dropout in these models; eval only to mirror the exported graph
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.0)
    tin = _to_torch(inputs)
    losses, lrs = [], []
    for step in range(args.train_steps):
        lr = warmup_lr(step, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for m in range(K):
            mb = {k: v[m * micro:(m + 1) * micro] for k, v in tin.items()}
            loss = model(**mb) / K
            loss.backward()
            total += loss.item()
        opt.step()
        losses.append(float(np.float32(total)))
        lrs.append(lr)
    return {
        "losses": losses,
        "lr": lrs,
        "config": {
            "steps": args.train_steps,
            "optimizer": "AdamW",
            "lr": args.lr,
            "betas": [0.9, 0.999],
            "eps": 1e-8,
            "weight_decay": 0.0,
            "gradient_accumulation_steps": K,
            "train_batch_size": BATCH,
            "train_micro_batch_size_per_gpu": micro,
            "scheduler": ({"type": "WarmupLR",
                           "params": {"warmup_min_lr": 0.0, "warmup_max_lr": args.lr,
                                      "warmup_num_steps": args.warmup, "warmup_type": "linear"}}
                          if args.warmup > 0 else None),
            "loss_reported": "before the step's update; sum over micro-batches of loss/K",
            "torch": torch.__version__,
        },
    }


def _write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def rng():
    return np.random.RandomState(DATA_SEED)
