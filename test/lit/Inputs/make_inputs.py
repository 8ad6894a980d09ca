#!/usr/bin/python3
"""Writes the small ONNX models the importer lit tests use.

Run with Debian's python3 (python3-onnx, python3-numpy):

    /usr/bin/python3 test/lit/Inputs/make_inputs.py

The outputs are written beside this script and are committed; rerunning the
script rewrites them byte for byte.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17


def out(name):
    return os.path.join(HERE, name)


def make_model(graph, opset=OPSET, extra_opsets=()):
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="ds-compile-test")
    # Old onnx releases default to a newer IR version than some readers know.
    model.ir_version = 8
    return model


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    with open(out(name), "wb") as f:
        f.write(model.SerializeToString())


def add_model(opset=OPSET):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])
    node = helper.make_node("Add", ["x", "y"], ["z"], name="add_0")
    return make_model(helper.make_graph([node], "add", [x, y], [z]), opset)


def mlp_model():
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(
        rng.standard_normal((8, 16)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(
        rng.standard_normal((16,)).astype(np.float32), "b1")
    w2 = numpy_helper.from_array(
        rng.standard_normal((16, 4)).astype(np.float32), "w2")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="matmul_0"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="add_0"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu_0"),
        helper.make_node("MatMul", ["h2", "w2"], ["y"], name="matmul_1"),
    ]
    graph = helper.make_graph(nodes, "mlp", [x], [y], [w1, b1, w2])
    return make_model(graph)


def ext_model(location, offset=64, length=64):
    """x [batch, 4] -> MatMul w -> y, with `w` [4, 4] in external data."""
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([4, 4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(length))):
        entry = w.external_data.add()
        entry.key = key
        entry.value = value
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul_0")
    graph = helper.make_graph([node], "ext", [x], [y], [w])
    return make_model(graph)


def relu_model(dims, elem_type=TensorProto.FLOAT, op="Relu"):
    x_name = "s" if elem_type == TensorProto.STRING else "x"
    x = helper.make_tensor_value_info(x_name, elem_type, dims)
    y = helper.make_tensor_value_info("y", elem_type, dims)
    node = helper.make_node(op, [x_name], ["y"], name=op.lower() + "_0")
    return make_model(helper.make_graph([node], op.lower(), [x], [y]))


def loss_model(nodes, inits, name, x_dims=("batch", 4), check=True):
    """A training model: graph input x, initializers, a scalar loss."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_dims))
    loss = helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])
    graph = helper.make_graph(nodes, name, [x], [loss], initializer=inits)
    save(make_model(graph), name + ".onnx", check=check)


def bad_models():
    """Models a checker refuses or that would train wrongly unnoticed."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 4)).astype(np.float32)
    matmul = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    mean = helper.make_node("ReduceMean", ["y"], ["loss"], name="mean",
                            keepdims=0)
    # One bad element in a real weight: an error, not a constant.
    for name, index, value in (("nan_weight", (1, 2), np.nan),
                               ("inf_weight", (3, 0), -np.inf),
                               ("huge_weight", (0, 1), 1e38)):
        bad = w.copy()
        bad[index] = value
        loss_model([matmul, mean], [numpy_helper.from_array(bad, "w")], name)
    # An additive mask (0 and -inf) stays a constant beside a weight.
    mask = np.array([0, -np.inf, 0, -np.inf], np.float32)
    add = helper.make_node("Add", ["y", "mask"], ["z"], name="add_mask")
    relu = helper.make_node("Relu", ["z"], ["r"], name="relu")
    mean_r = helper.make_node("ReduceMean", ["r"], ["loss"], name="mean",
                              keepdims=0)
    loss_model([matmul, add, relu, mean_r],
               [numpy_helper.from_array(w, "w"),
                numpy_helper.from_array(mask, "mask")], "mask_constant")
    # Structural rules (onnx.checker's): SSA, topological order, defined
    # inputs, unique names.
    inits = [numpy_helper.from_array(w, "w")]
    twice = helper.make_node("Relu", ["x"], ["y"], name="relu_again")
    loss_model([matmul, twice, mean], inits, "non_ssa", check=False)
    loss_model([mean, matmul], inits, "unsorted", check=False)
    ghost = helper.make_node("MatMul", ["x", "ghost"], ["y"], name="mm")
    loss_model([ghost, mean], inits, "undefined_input", check=False)
    loss_model([matmul, mean], inits + [numpy_helper.from_array(w, "w")],
               "duplicate_initializer", check=False)
    # Shape sub-graphs that fold to constants of terabytes.
    shape = numpy_helper.from_array(np.array([1000000, 1000000], np.int64),
                                    "shape")
    fill = helper.make_node(
        "ConstantOfShape", ["shape"], ["c"], name="fill",
        value=numpy_helper.from_array(np.array([1.0], np.float32)))
    mean_c = helper.make_node("ReduceMean", ["c"], ["loss"], name="mean",
                              keepdims=0)
    loss_model([fill, mean_c], [shape], "huge_constant_of_shape")
    one = numpy_helper.from_array(np.array([1.0], np.float32), "one")
    wide = numpy_helper.from_array(np.array([1 << 20, 1 << 19], np.int64),
                                   "wide")
    expand = helper.make_node("Expand", ["one", "wide"], ["c"],
                              name="expand")
    loss_model([expand, mean_c], [one, wide], "huge_expand")


def tied_model():
    """Initializers that are exact copies or transposes of one weight, as
    exporters write tied weights, beside a small copy that is no tie."""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((64, 64)).astype(np.float32)
    small = rng.standard_normal((8, 8)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(w.copy(), "onnx::MatMul_copy"),
             numpy_helper.from_array(np.ascontiguousarray(w.T), "onnx::MatMul_t"),
             numpy_helper.from_array(small, "s"),
             numpy_helper.from_array(small.copy(), "s_copy")]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h1"], name="mm1"),
             helper.make_node("MatMul", ["h1", "onnx::MatMul_copy"], ["h2"],
                              name="mm2"),
             helper.make_node("MatMul", ["h2", "onnx::MatMul_t"], ["h3"],
                              name="mm3"),
             helper.make_node("ReduceMean", ["h3"], ["m"], name="mean",
                              keepdims=0),
             helper.make_node("MatMul", ["s", "s_copy"], ["ss"], name="mm4"),
             helper.make_node("ReduceMean", ["ss"], ["n"], name="mean2",
                              keepdims=0),
             helper.make_node("Add", ["m", "n"], ["loss"], name="add")]
    loss_model(nodes, inits, "tied_copies", x_dims=("batch", 64))


def main():
    save(add_model(), "add.onnx")
    mlp = mlp_model()
    save(mlp, "mlp.onnx")

    # External data: 64 bytes of padding, then the 4x4 floats (64 bytes).
    weights = np.arange(16, dtype=np.float32).reshape(4, 4)
    save(ext_model("ext_data.onnx.data"), "ext_data.onnx", check=False)
    with open(out("ext_data.onnx.data"), "wb") as f:
        f.write(b"\0" * 64 + weights.astype("<f4").tobytes())
    save(ext_model("missing.data"), "ext_missing.onnx", check=False)
    # Shorter than offset + length (64 + 64 = 128 bytes).
    save(ext_model("ext_short.onnx.data"), "ext_short.onnx", check=False)
    with open(out("ext_short.onnx.data"), "wb") as f:
        f.write(b"\0" * 64 + weights.astype("<f4").tobytes()[:32])

    with open(out("not_onnx.onnx"), "w") as f:
        f.write("this is not a model\n")
    mlp_bytes = mlp.SerializeToString()
    with open(out("truncated.onnx"), "wb") as f:
        f.write(mlp_bytes[: len(mlp_bytes) * 6 // 10])

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    fancy = helper.make_node("FancyOp", ["x"], ["y"], name="fancy_0",
                             domain="com.example")
    save(make_model(helper.make_graph([fancy], "fancy", [x], [y]),
                    extra_opsets=[("com.example", 1)]),
         "unsupported_op.onnx", check=False)

    save(relu_model(["batch", "seq"]), "symbolic_dim.onnx")
    save(relu_model([4, 8]), "static_batch.onnx")
    save(relu_model(["batch"], TensorProto.STRING, op="Identity"),
         "string_input.onnx")
    save(add_model(opset=11), "old_opset.onnx")
    bad_models()
    tied_model()


if __name__ == "__main__":
    main()
