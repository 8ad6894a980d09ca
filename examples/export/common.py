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

def parse_args(name, description, argv=None):
    """The exporters' command line (argv: sys.argv[1:] when None)."""
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
    p.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw",
                   help="the reference's optimizer (torch.optim.AdamW or SGD, as DeepSpeed's "
                        "AdamW and SGD types)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--momentum", type=float, default=0.0, help="SGD only")
    p.add_argument("--clip", type=float, default=0.0,
                   help="gradient_clipping: the global norm is clipped to this (0: off)")
    p.add_argument("--ref-suffix", default="",
                   help="writes <name>_ref_train<SUFFIX>.json (and its .safetensors)")
    args = p.parse_args(argv)
    if args.gas < 1 or BATCH % args.gas:
        p.error("--gas must divide the batch size %d" % BATCH)
    if args.train_steps < 0 or args.warmup < 0:
        p.error("--train-steps and --warmup must be >= 0")
    if args.optimizer != "sgd" and args.momentum:
        p.error("--momentum is SGD's")
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
        stem = os.path.join(out, name + "_ref_train" + args.ref_suffix)
        train_ref, weights = train_reference(model, inputs, args)
        weights = weights_by_initializer(onnx_path, model, weights)
        _write_json(stem + ".json", train_ref)
        write_safetensors(stem + ".safetensors", weights)
        print("%s: %d %s steps, losses %s" % (name, args.train_steps, args.optimizer,
                                              " ".join("%.4f" % l for l in train_ref["losses"])))
    return ref["loss_forward"]


def warmup_lr(step, max_lr, warmup):
    """DeepSpeed WarmupLR, warmup_type 'linear', warmup_min_lr 0, step counted from 0."""
    if warmup > 0 and step < warmup:
        return max_lr * step / warmup
    return max_lr


def train_reference(model, inputs, args):
    """N optimizer steps over the saved batch, starting from the exported weights.

    Each step cuts the batch into `gas` equal consecutive micro-batches; each
    micro-batch's loss is scaled by 1/gas before backward (DeepSpeed gradient
    accumulation), and the step's reported loss is the sum of the scaled losses,
    i.e. the mean over the step's global batch (all micro-batches are the same
    size and every label counts, so this equals the loss of the whole batch).
    The reported loss is the one computed before that step's update; the
    gradient norm is the global L2 norm of the step's gradients before
    clipping (what DeepSpeed reports). Returns the JSON object and the final
    weights by parameter name (a tied parameter once, under its first name).
    """
    K = args.gas
    micro = BATCH // K
    model = copy.deepcopy(model)
    model.eval()  # no dropout in these models; eval only to mirror the exported graph
    params = [p for p in model.parameters()]
    if args.optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=args.weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay)
    tin = _to_torch(inputs)
    losses, lrs, norms = [], [], []
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
        grads = [p.grad for p in params if p.grad is not None]
        # In float64 so that the reference's own rounding stays far below
        # the tolerances the tests set.
        norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        losses.append(float(np.float32(total)))
        lrs.append(lr)
        norms.append(norm)
    # Parameters the loss does not use (a pooler an MLM loss skips) get no
    # gradient, are not in the exported graph and are left out.
    weights = {name: p.detach().numpy().copy() for name, p in model.named_parameters()
               if p.grad is not None}
    ref = {
        "losses": losses,
        "grad_norms": norms,
        "lr": lrs,
        "weights": os.path.basename(args.name + "_ref_train" + args.ref_suffix + ".safetensors"),
        "config": {
            "steps": args.train_steps,
            "optimizer": "AdamW" if args.optimizer == "adamw" else "SGD",
            "lr": args.lr,
            "weight_decay": args.weight_decay,
            "gradient_clipping": args.clip,
            "gradient_accumulation_steps": K,
            "train_batch_size": BATCH,
            "train_micro_batch_size_per_gpu": micro,
            "scheduler": ({"type": "WarmupLR",
                           "params": {"warmup_min_lr": 0.0, "warmup_max_lr": args.lr,
                                      "warmup_num_steps": args.warmup, "warmup_type": "linear"}}
                          if args.warmup > 0 else None),
            "loss_reported": "before the step's update; sum over micro-batches of loss/K",
            "grad_norm_reported": "global L2 norm before clipping",
            "torch": torch.__version__,
        },
    }
    if args.optimizer == "adamw":
        ref["config"].update({"betas": [0.9, 0.999], "eps": 1e-8})
    else:
        ref["config"]["momentum"] = args.momentum
    return ref, weights


def initializer_sources(onnx_path, model, names=None):
    """Which parameter each float initializer of the ONNX file holds:
    {initializer: (parameter, transposed)}.

    The TorchScript exporter writes a Linear's weight as a constant-folded
    transpose (`onnx::MatMul_12`) and a tied head as a second initializer, so
    each float initializer is matched by its exported value to the parameter
    it holds as is or transposed. Initializers no parameter produced
    (buffers) are left out. `names` limits the parameters (default: all).
    """
    import onnx
    from onnx import numpy_helper
    start = {name: p.detach().numpy() for name, p in model.named_parameters()
             if names is None or name in names}
    out, used = {}, set()
    for init in onnx.load(onnx_path).graph.initializer:
        value = numpy_helper.to_array(init)
        if value.dtype != np.float32:
            continue
        # By name first: equal values (every LayerNorm weight is all ones)
        # cannot tell parameters apart; a folded or tied copy has no
        # parameter's name and a random value only one parameter holds.
        named = [(init.name, start[init.name])] if init.name in start else start.items()
        for name, p in named:
            if value.shape == p.shape and np.array_equal(value, p):
                out[init.name] = (name, False)
            elif p.ndim == 2 and value.shape == p.T.shape and np.array_equal(value, p.T):
                out[init.name] = (name, True)
            else:
                continue
            used.add(name)
            break
    missing = sorted(set(start) - used)
    if missing:
        raise SystemExit("no initializer of %s holds the parameters %s" % (onnx_path, missing))
    return out


def weights_by_initializer(onnx_path, model, final):
    """The final weights under the ONNX file's initializer names (each
    initializer gets its parameter's final value, transposed alike; a tied
    copy gets the trained tensor too)."""
    return {init: np.ascontiguousarray(final[name].T) if transposed else final[name]
            for init, (name, transposed) in initializer_sources(onnx_path, model,
                                                                 final).items()}


def write_safetensors(path, tensors):
    """float32 tensors by name in the safetensors format (sorted names)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)


def _write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def rng():
    return np.random.RandomState(DATA_SEED)
