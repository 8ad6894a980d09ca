"""Exits non-zero unless every float16 param of a checkpoint's
model.safetensors (argv[2]) is exactly its float32 master in argv[1] (ds-ckpt
consolidate's output) rounded to float16, and the masters hold more than
the params (some master is no float16 value). Plain Python: struct's 'e'
packs float16 rounding to nearest even, as the rank does."""
import json
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: (v["dtype"], body[slice(*v["data_offsets"])])
            for k, v in header.items() if k != "__metadata__"}


masters, params = read(sys.argv[1]), read(sys.argv[2])
halves = {k: v for k, (dtype, v) in params.items() if dtype == "F16"}
finer = 0
for name, half in halves.items():
    dtype, wide = masters.get(name, (None, b""))
    if dtype != "F32":
        sys.exit(f"'{name}': the masters hold {dtype}, expected F32")
    values = [v for (v,) in struct.iter_unpack("<f", wide)]
    if b"".join(struct.pack("<e", v) for v in values) != half:
        sys.exit(f"'{name}': the float16 param is not its master rounded")
    finer += any(struct.unpack("<e", struct.pack("<e", v))[0] != v for v in values)
if not halves or not finer:
    sys.exit(f"{len(halves)} float16 params, {finer} with masters finer than float16")
print(f"{len(halves)} float16 params, each its master rounded; {finer} masters finer")
