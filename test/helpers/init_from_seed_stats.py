"""Exits non-zero unless the params a rank drew with --init-seed (argv[3], a
model.safetensors that --save wrote before any update) follow the initial
distributions the weights file (argv[2]) records, and those are the ONNX
model's (argv[1]) initializers' own:
- the recorded mean and standard deviation are numpy's within 1e-12 (a
  one-valued initializer is recorded as that value);
- a one-valued param was drawn as exactly that value;
- every other param has its initializer's mean within 5 standard errors and
  its standard deviation within 5 of the sample deviation's standard errors,
  and differs from the initializer (drawn, not copied)."""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def header(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def tensors(path):
    head, body = header(path)
    return {k: np.frombuffer(body[slice(*v["data_offsets"])], dtype=np.float32)
            for k, v in head.items() if k != "__metadata__"}


model = onnx.load(sys.argv[1])
initial = {t.name: numpy_helper.to_array(t).astype(np.float64).ravel()
           for t in model.graph.initializer}
recorded = {k[len("dsc.init."):]: v
            for k, v in header(sys.argv[2])[0]["__metadata__"].items()
            if k.startswith("dsc.init.")}
drawn = tensors(sys.argv[3])
if not recorded:
    sys.exit(f"{sys.argv[2]} records no initial distributions")
constants = normals = 0
for name, text in recorded.items():
    # The importer gives each use of an initializer that the exporter shared
    # between params (Llama's all-ones norms) a param of its own, name#k.
    x = initial[name if name in initial else name.rsplit("#", 1)[0]]
    y = drawn[name].astype(np.float64)
    kind, *numbers = text.split()
    if kind == "constant":
        if not (np.all(x == x[0]) and float(numbers[0]) == x[0]):
            sys.exit(f"'{name}': recorded {text}, the initializer is not that")
        if not np.all(y == x[0]):
            sys.exit(f"'{name}': drawn values are not all {x[0]}")
        constants += 1
        continue
    mean, std = map(float, numbers)
    if abs(mean - x.mean()) > 1e-12 * max(1, abs(x.mean())) or \
            abs(std - x.std()) > 1e-12 * std:
        sys.exit(f"'{name}': recorded {text}, numpy says {x.mean()} {x.std()}")
    n = y.size
    if abs(y.mean() - mean) > 5 * std / np.sqrt(n):
        sys.exit(f"'{name}': drawn mean {y.mean()}, expected {mean} +- {std / np.sqrt(n)}")
    if abs(y.std() - std) > 5 * std / np.sqrt(2 * n):
        sys.exit(f"'{name}': drawn std {y.std()}, expected {std} +- {std / np.sqrt(2 * n)}")
    if np.any(y == x.astype(np.float32)):
        sys.exit(f"'{name}': some drawn value equals the initializer's")
    normals += 1
print(f"{normals} params drawn from their initializers' normal, "
      f"{constants} one-valued ones kept")
