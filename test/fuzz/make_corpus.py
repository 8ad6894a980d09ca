#!/usr/bin/python3
"""Rebuilds the importer fuzzer's seed corpus (test/fuzz/corpus/). The
readers' fuzzer has its own, made by make_reader_corpus.py.

Run with Debian's python3 (python3-onnx, libonnx-testdata):

    /usr/bin/python3 test/fuzz/make_corpus.py

Each seed is a small ONNX backend node test model, copied as is, plus a
`*_batch.onnx` variant whose graph inputs and outputs have a symbolic first
axis: the fuzzer imports with a micro-batch size of 2, which rejects the
static first axis of most node tests before any node is converted. The lit
test inputs add.onnx and mlp.onnx are copied as well.
"""

import os
import shutil

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_TESTS = "/usr/share/libonnx-testdata/data/node"
LIT_INPUTS = os.path.join(HERE, "..", "lit", "Inputs")
SEEDS = [
    "test_add",
    "test_cast_BFLOAT16_to_FLOAT",
    "test_concat_2d_axis_0",
    "test_dropout_default",
    "test_flatten_axis0",
    "test_gather_0",
    "test_gemm_all_attributes",
    "test_layer_normalization_2d_axis0",
    "test_matmul_2d",
    "test_mvn_expanded",
    "test_nllloss_NCd1_mean_weight_negative_ii_expanded",
    "test_reshape_negative_dim",
    "test_reshape_reduced_dims",
    "test_scatternd",
    "test_sce_NCd1_mean_weight_negative_ii_expanded",
    "test_softmax_axis_0",
    "test_split_equal_parts_1d",
    "test_transpose_default",
    "test_tril",
    "test_where_example",
]


def symbolic_batch(model):
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) > 0:
            dims[0].Clear()
            dims[0].dim_param = "batch"
    return model


def main():
    out = os.path.join(HERE, "corpus")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name in SEEDS:
        src = os.path.join(NODE_TESTS, name, "model.onnx")
        shutil.copyfile(src, os.path.join(out, name + ".onnx"))
        model = symbolic_batch(onnx.load(src))
        with open(os.path.join(out, name + "_batch.onnx"), "wb") as f:
            f.write(model.SerializeToString())
    for name in ("add.onnx", "mlp.onnx"):
        shutil.copyfile(os.path.join(LIT_INPUTS, name), os.path.join(out, name))


if __name__ == "__main__":
    main()
