#!/usr/bin/env python3
"""Checks the exported example models in examples/models/ (needs only onnx + numpy).

For each <name>.onnx: onnx.checker.check_model, then prints the file size, the opset,
the graph inputs with shapes and dtypes, the initializer count and a Counter of op
types. Then evaluates the graph on <name>_inputs/*.npy and compares the loss with
<name>_ref.json's loss_forward (tolerance 1e-4):
  * with onnx.reference.ReferenceEvaluator when this onnx has it (onnx >= 1.13);
  * otherwise with the small numpy evaluator below, which covers exactly the op set
    these exports use (an unknown op is reported, not guessed).
It also runs the batch repeated twice (batch 8) to exercise the dynamic `batch` axis:
the mean loss must not change.

Usage: nice /usr/bin/python3 examples/export/check_models.py [names...]
Exits non-zero if any check fails.
"""
import sys
sys.dont_write_bytecode = True

import collections
import glob
import json
import math
import os

import numpy as np
import onnx
from onnx import numpy_helper

MODELS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
NAMES = ["gpt2_tiny", "bert_tiny", "bert_mlm_tiny", "t5_tiny", "vit_tiny"]
TOL = 1e-4

try:
    from onnx.reference import ReferenceEvaluator  # onnx >= 1.13
except ImportError:
    ReferenceEvaluator = None


# --------------------------------------------------------------------------
# minimal numpy evaluator (opset 17 semantics, only what the examples use)
# --------------------------------------------------------------------------

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _conv(x, w, b, a):
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv with group/dilation")
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((n, m, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]  # n c oh ow
            y += np.einsum("ncij,mc->nmij", patch, w[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _layer_norm(x, scale, bias, a):
    axis = a.get("axis", -1)
    axis = axis if axis >= 0 else x.ndim + axis
    axes = tuple(range(axis, x.ndim))
    xd = x.astype(np.float64)
    mean = xd.mean(axis=axes, keepdims=True)
    var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + a.get("epsilon", 1e-5))
    y = (xd - mean) * inv * scale
    if bias is not None:
        y = y + bias
    return [y.astype(x.dtype), mean.astype(np.float32), inv.astype(np.float32)]


def _sce_loss(scores, labels, weights, a):
    if weights is not None:
        raise NotImplementedError("SoftmaxCrossEntropyLoss weights")
    red = a.get("reduction", b"mean")
    red = red.decode() if isinstance(red, bytes) else red
    ign = a.get("ignore_index", None)
    s = scores.astype(np.float64)
    if s.ndim > 2:  # [N, C, d1...] -> [N*d1..., C]
        s = np.moveaxis(s, 1, -1).reshape(-1, s.shape[1])
        labels = labels.reshape(-1)
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    keep = np.ones(labels.shape, bool) if ign is None else labels != ign
    safe = np.where(keep, labels, 0)
    nll = -logp[np.arange(len(labels)), safe] * keep
    if red == "mean":
        loss = nll.sum() / keep.sum()
    elif red == "sum":
        loss = nll.sum()
    else:
        loss = nll
    return [np.asarray(loss, np.float32), logp.astype(np.float32)]


def _split(x, split, nout, a):
    axis = a.get("axis", 0)
    if split is None:
        split = [x.shape[axis] // nout] * nout
    idx = np.cumsum(split)[:-1]
    return np.split(x, idx, axis=axis)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        sl[int(ax)] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


def _reshape(x, shape, a):
    shape = [int(v) for v in shape]
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return x.reshape(shape)


def _unsqueeze(x, axes):
    out_rank = x.ndim + len(axes)
    for ax in sorted(int(v) % out_rank for v in axes):
        x = np.expand_dims(x, ax)
    return x


def _squeeze(x, axes=None):
    if axes is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(int(v) % x.ndim for v in axes))


def _gemm(A, B, C, a):
    A = A.T if a.get("transA", 0) else A
    B = B.T if a.get("transB", 0) else B
    y = a.get("alpha", 1.0) * (A @ B)
    if C is not None:
        y = y + a.get("beta", 1.0) * C
    return y.astype(np.float32)


def _shape(x, a):
    s = np.array(x.shape, dtype=np.int64)
    return s[a.get("start", 0):a.get("end", None)]


def _one(f):
    return lambda ins, a, node: [f(ins, a)]


OPS = {
    "Constant": _one(lambda i, a: np.asarray(a["value"]) if "value" in a else None),
    "Add": _one(lambda i, a: i[0] + i[1]),
    "Mul": _one(lambda i, a: i[0] * i[1]),
    "Div": _one(lambda i, a: i[0] / i[1] if i[0].dtype.kind == "f" else i[0] // i[1]),
    "Pow": _one(lambda i, a: np.power(i[0], i[1]).astype(i[0].dtype)),
    "Sqrt": _one(lambda i, a: np.sqrt(i[0])),
    "Erf": _one(lambda i, a: _erf(i[0]).astype(i[0].dtype)),
    "Tanh": _one(lambda i, a: np.tanh(i[0])),
    "Relu": _one(lambda i, a: np.maximum(i[0], 0).astype(i[0].dtype)),
    "Equal": _one(lambda i, a: np.equal(i[0], i[1])),
    "Where": _one(lambda i, a: np.where(i[0], i[1], i[2])),
    "MatMul": _one(lambda i, a: np.matmul(i[0], i[1])),
    "Gemm": _one(lambda i, a: _gemm(i[0], i[1], i[2] if len(i) > 2 else None, a)),
    "Gather": _one(lambda i, a: np.take(i[0], i[1], axis=a.get("axis", 0))),
    "Shape": _one(lambda i, a: _shape(i[0], a)),
    "Unsqueeze": _one(lambda i, a: _unsqueeze(i[0], i[1])),
    "Squeeze": _one(lambda i, a: _squeeze(i[0], i[1] if len(i) > 1 else None)),
    "Concat": _one(lambda i, a: np.concatenate(i, axis=a["axis"])),
    "Reshape": _one(lambda i, a: _reshape(i[0], i[1], a)),
    "Transpose": _one(lambda i, a: np.transpose(i[0], a.get("perm"))),
    "Slice": _one(lambda i, a: _slice(*i)),
    "Expand": _one(lambda i, a: i[0] * np.ones([int(v) for v in i[1]], dtype=i[0].dtype)),
    "ConstantOfShape": _one(lambda i, a: np.full([int(v) for v in i[0]], a.get("value", np.float32(0)))),
    "ReduceMean": _one(lambda i, a: np.mean(i[0], axis=tuple(a["axes"]) if "axes" in a else None,
                                            keepdims=bool(a.get("keepdims", 1))).astype(i[0].dtype)),
    "Softmax": _one(lambda i, a: _softmax(i[0], a.get("axis", -1))),
    "Conv": _one(lambda i, a: _conv(i[0], i[1], i[2] if len(i) > 2 else None, a)),
    "LayerNormalization": lambda i, a, n: _layer_norm(i[0], i[1], i[2] if len(i) > 2 else None, a),
    "SoftmaxCrossEntropyLoss": lambda i, a, n: _sce_loss(i[0], i[1], i[2] if len(i) > 2 else None, a),
    "Split": lambda i, a, n: _split(i[0], [int(v) for v in i[1]] if len(i) > 1 else None,
                                    len(n.output), a),
}


def _softmax(x, axis):
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


def numpy_eval(model, feeds):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        if node.op_type not in OPS:
            raise NotImplementedError("numpy evaluator has no %s" % node.op_type)
        a = _attrs(node)
        if node.op_type == "Constant":
            a = {"value": numpy_helper.to_array(a["value"])} if "value" in a else a
        if node.op_type == "ConstantOfShape" and "value" in a:
            a = {"value": numpy_helper.to_array(a["value"]).reshape(-1)[0]}
        ins = [env[n] if n else None for n in node.input]
        while ins and ins[-1] is None:
            ins.pop()
        outs = OPS[node.op_type](ins, a, node)
        for name, val in zip(node.output, outs):
            if name:
                env[name] = np.asarray(val)
    return [env[o.name] for o in model.graph.output]


# --------------------------------------------------------------------------

def _dims(t):
    return [d.dim_param if d.dim_param else d.dim_value for d in t.type.tensor_type.shape.dim]


def check(name):
    path = os.path.join(MODELS, name + ".onnx")
    ok = True
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    print("== %s  (%d bytes, opset %s, ir %d)" % (name, os.path.getsize(path), opset, model.ir_version))
    for i in model.graph.input:
        print("   input  %-18s %-8s %s" % (i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type),
                                         _dims(i)))
    for o in model.graph.output:
        print("   output %-18s %-8s %s" % (o.name, onnx.TensorProto.DataType.Name(o.type.tensor_type.elem_type),
                                         _dims(o)))
    n_par = sum(int(np.prod(i.dims)) for i in model.graph.initializer)
    ext = [i.name for i in model.graph.initializer if i.data_location == onnx.TensorProto.EXTERNAL]
    print("   initializers: %d tensors, %d float values%s" % (len(model.graph.initializer), n_par,
                                                           ", EXTERNAL: %s" % ext if ext else ""))
    ok &= not ext
    ops = collections.Counter(n.op_type for n in model.graph.node)
    print("   ops (%d nodes): %s" % (sum(ops.values()), dict(sorted(ops.items()))))

    ref = json.load(open(os.path.join(MODELS, name + "_ref.json")))
    feeds = {}
    for i in model.graph.input:
        feeds[i.name] = np.load(os.path.join(MODELS, name + "_inputs", i.name + ".npy"))
    print("   batch files: %s" % {k: (str(v.dtype), list(v.shape)) for k, v in feeds.items()})

    if ReferenceEvaluator is not None:
        sess = ReferenceEvaluator(model)
        run = lambda f: sess.run(None, f)[0]
        how = "onnx.reference.ReferenceEvaluator"
    else:
        run = lambda f: numpy_eval(model, f)[0]
        how = "numpy evaluator (onnx %s has no onnx.reference)" % onnx.__version__
    try:
        loss = float(run(feeds))
        loss8 = float(run({k: np.concatenate([v, v]) for k, v in feeds.items()}))
    except NotImplementedError as e:
        print("   evaluation skipped: %s" % e)
        return ok
    d, d8 = abs(loss - ref["loss_forward"]), abs(loss8 - ref["loss_forward"])
    good = d <= TOL and d8 <= TOL
    print("   %s: loss %.6f vs torch %.6f (|diff| %.2e); batch 8: %.6f (|diff| %.2e) -> %s"
          % (how, loss, ref["loss_forward"], d, loss8, d8, "OK" if good else "MISMATCH"))
    train = os.path.join(MODELS, name + "_ref_train.json")
    if os.path.exists(train):
        t = json.load(open(train))
        print("   ref_train: %d steps, gas %d, warmup %s, first loss %.6f, last %.6f"
              % (len(t["losses"]), t["config"]["gradient_accumulation_steps"],
                 (t["config"]["scheduler"] or {}).get("params", {}).get("warmup_num_steps", 0),
                 t["losses"][0], t["losses"][-1]))
        # the first step's loss is taken before any update, on the exported weights
        if abs(t["losses"][0] - ref["loss_forward"]) > TOL:
            print("   ref_train is STALE: its first loss is not loss_forward (re-run with --train-steps)")
            good = False
    return ok and good


def main():
    names = sys.argv[1:] or NAMES
    print("onnx %s, numpy %s, ReferenceEvaluator %s" % (onnx.__version__, np.__version__,
                                                         "available" if ReferenceEvaluator else "NOT available"))
    bad = [n for n in names if not check(n)]
    if bad:
        print("FAILED: %s" % " ".join(bad))
        sys.exit(1)
    print("all %d models OK" % len(names))


if __name__ == "__main__":
    main()
