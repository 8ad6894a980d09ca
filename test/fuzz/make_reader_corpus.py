#!/usr/bin/python3
"""Rebuilds the readers' fuzzer seed corpus (test/fuzz/corpus-readers/) and
its dictionary (test/fuzz/readers.dict).

Run with Debian's python3 (python3-onnx, python3-numpy) after building the
tools (the default build directory is build/):

    /usr/bin/python3 test/fuzz/make_reader_corpus.py [BUILD-DIR]

Each seed is the first byte that picks the reader in ReaderFuzzer.cpp
('0' ds_config, '1' hostfile, '2' plan.json, '3' launch.json, '4' state.json,
'5' the shared JSON reader) followed by the file:

- ds_configs: the lit test configs, the example and e2e configs, and a few
  written here that set every block (each scheduler, ZeRO 3 with offload,
  fp16, pipeline, inference keys);
- hostfiles: the lit test hostfiles without their RUN/CHECK lines, followed
  by the resource flags of their RUN line (NUL-separated --include,
  --exclude, --num_nodes, --num_gpus);
- plan.json, launch.json and state.json: written by ds-compile and a rank
  for a tiny MLP with a mean-squared-error loss (made here, so that the seeds
  stay a few KB), compiled for one rank, for two ranks with ZeRO stages 1
  and 3, for two hosts, and for inference; the checkpoint comes from two
  training steps of the one-rank program. The plans are re-written without
  indentation;
- *-regress-*: inputs that showed bugs in the readers (REGRESSIONS and
  regression_seeds() below).

readers.dict lists the quoted names in the readers' sources and numbers at
the edges of their ranges.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "corpus-readers")

CONFIG, HOSTFILE, PLAN, LAUNCH, STATE, JSON = "012345"

# Configs that reach every block of the schema.
EXTRA_CONFIGS = {
    "zero3_offload_fp16": """{
  "train_batch_size": 16, "train_micro_batch_size_per_gpu": 2,
  "optimizer": {"type": "Adam", "params": {"lr": "auto", "betas": [0.9, 0.99],
    "eps": 1e-8, "weight_decay": 0.01, "adam_w_mode": false}},
  "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr": 0,
    "warmup_max_lr": "auto", "warmup_num_steps": 10, "total_num_steps": 100}},
  "fp16": {"enabled": true, "loss_scale": 0, "initial_scale_power": 16,
    "loss_scale_window": 1000, "hysteresis": 2, "min_loss_scale": 1},
  "gradient_clipping": 1.0,
  "zero_optimization": {"stage": 3, "overlap_comm": true,
    "reduce_bucket_size": 5e8, "stage3_prefetch_bucket_size": "auto",
    "stage3_param_persistence_threshold": 1e5,
    "offload_optimizer": {"device": "cpu", "pin_memory": true},
    "offload_param": {"device": "nvme", "nvme_path": "/local_nvme"}},
  "wall_clock_breakdown": false
}""",
    "cosine_lamb_pipeline": """{
  "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 2,
  "optimizer": {"type": "lamb", "params": {"lr": 0.01, "max_coeff": 10.0,
    "min_coeff": 0.01, "bias_correction": true}},
  "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 50,
    "warmup_min_ratio": 0.1, "warmup_num_steps": 5, "cos_min_ratio": 0.001,
    "warmup_type": "log"}},
  "bf16": {"enabled": "auto"},
  "tensor_parallel": {"autotp_size": 2},
  "pipeline": {"stages": 2, "partition_method": "type:Linear|Block",
    "activation_checkpoint_interval": 1},
  "zero_optimization": {"stage": 1}
}""",
    "onecycle_sgd": """// comments are allowed in a ds_config
{
  "train_batch_size": "auto", "train_micro_batch_size_per_gpu": 8,
  "optimizer": {"type": "SGD", "params": {"lr": 0.1, "momentum": 0.9,
    "dampening": 0.0, "nesterov": true, "weight_decay": 0.0}},
  "scheduler": {"type": "OneCycle", "params": {"cycle_min_lr": 0.01,
    "cycle_max_lr": 0.1, "cycle_first_step_size": 100,
    "cycle_first_stair_count": 2, "decay_step_size": 10,
    "decay_lr_rate": 0.001, "cycle_momentum": true, "cycle_min_mom": 0.85,
    "cycle_max_mom": 0.95}},
  "zero_optimization": true,
  "communication_data_type": "fp32", "prescale_gradients": false,
  "gradient_predivide_factor": 1.0, "steps_per_print": 5
}""",
    "inference": """{
  "train_micro_batch_size_per_gpu": 1, "dtype": "fp16", "mp_size": 1,
  "replace_with_kernel_inject": false, "max_out_tokens": 512,
  "quant": {"enabled": false, "weight": {"num_bits": 8, "q_groups": 1}},
  "checkpoint": {"tag_validation": "Warn", "load_universal": false},
  "tensorboard": {"enabled": false}
}""",
}

JSON_SEEDS = {
    "typed_members": '{"i": 3, "u": 18446744073709551615, "f": 2.5, '
    '"e": 1e300, "b": true, "s": "x", "n": null, "a": [1, [2]], '
    '"o": {"dtype": "float32", "shape": [2, 3]}, '
    '"bad": {"dtype": "complex", "shape": [-1, 2.5]}}',
    "nested": '{"a": [[[[{"b": "\\u00e9\\"]"}]]]], "c": {}}',
}

# The readers' sources, for the names in readers.dict.
DICT_SOURCES = [
    "compiler/config/ConfigSchema.cpp",
    "runtime/main/PlanFile.cpp",
    "runtime/comm/CollectiveNames.h",
    "runtime/checkpoint/CheckpointFormat.cpp",
    "runtime/io/JsonReader.cpp",
    "tools/ds-run/LaunchPlan.cpp",
]
EDGE_TOKENS = [
    "9223372036854775807", "-9223372036854775808", "18446744073709551615",
    "4611686018427387904", "4294967296", "2147483648", "1048577", "65536",
    "1e308", "-1", "0.5", "1e-320", "\\u0000", "\\ud800", "null", "true",
    "slots=", "slots=65536", "@", ":", "//", "/*",
]

# Inputs that showed bugs in the readers (see the tests named in
# test/fuzz/README.md), kept as seeds. The ones derived from compiled files
# are made in compiled_seeds().
REGRESSIONS = {
    # Not UTF-8: writing launch.json threw.
    "hostfile-regress-latin1_host": (HOSTFILE, b"w\xe9rker-0 slots=4\n"),
    # 17 * 65536 ranks: GBs to build the world.
    "hostfile-regress-too_many_slots": (HOSTFILE, "".join(
        "w%d slots=65536\n" % i for i in range(17))),
    # 2^32 * 2^32 wrapped around to 0, then a division by it.
    "config-regress-tp_pp_overflow.json": (CONFIG, json.dumps({
        "train_micro_batch_size_per_gpu": 1,
        "tensor_parallel": {"autotp_size": 2 ** 32},
        "pipeline": {"stages": 2 ** 32}})),
    # MBS * GAS wrapped around.
    "config-regress-batch_overflow.json": (CONFIG, json.dumps({
        "train_micro_batch_size_per_gpu": 2 ** 62,
        "gradient_accumulation_steps": 4})),
    # Minutes and GBs in regcomp.
    "config-regress-nested_regex.json": (CONFIG, json.dumps({
        "train_micro_batch_size_per_gpu": 1, "pipeline": {
            "partition_method": "type:(((a{1,255}){1,255}){1,255}){1,255}"}})),
    # A `{` that starts no bound hid the groups after it from the size check.
    "config-regress-brace_hides_groups.json": (CONFIG, json.dumps({
        "train_micro_batch_size_per_gpu": 1, "pipeline": {
            "partition_method": "type:(a{,12((55}){1,255}){1,255}){1,255}"}})),
}

TRAIN_CONFIG = """{
  "train_micro_batch_size_per_gpu": 2,
  "gradient_accumulation_steps": 2,
  "optimizer": {"type": "AdamW", "params": {"lr": 0.01}},
  "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 3}},
  "gradient_clipping": 1.0,
  "zero_optimization": {"stage": %d},
  "steps_per_print": 1
}
"""
INFERENCE_CONFIG = '{"train_micro_batch_size_per_gpu": 2}\n'


def write_seed(kind, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(kind.encode() + data)


def lit_run_flags(text):
    """The resource flags of a lit test's RUN line, NUL-separated."""
    values = []
    for flag in ("include", "exclude", "num_nodes", "num_gpus"):
        match = re.search(r"--%s[ =](\S+)" % flag, text)
        values.append(match.group(1) if match else "")
    while values and not values[-1]:
        values.pop()
    return "\0".join([""] + values) if values else ""


def tiny_model(path):
    """x[N,4] @ w[4,1] + b, mean squared error against y[N,1]."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(
        rng.standard_normal((4, 1)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.zeros((1,), np.float32), "b")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["p"]),
        helper.make_node("Sub", ["p", "y"], ["d"]),
        helper.make_node("Mul", ["d", "d"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["loss"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "tiny_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])],
        [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def run(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def compiled_seeds(build, tmp):
    compiler = os.path.join(build, "bin", "ds-compile")
    model = os.path.join(tmp, "tiny.onnx")
    tiny_model(model)
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    rng = np.random.default_rng(1)
    np.save(os.path.join(data, "x.npy"),
            rng.standard_normal((8, 4)).astype(np.float32))
    np.save(os.path.join(data, "y.npy"),
            rng.standard_normal((8, 1)).astype(np.float32))
    hostfile = os.path.join(tmp, "hostfile")
    with open(hostfile, "w") as f:
        f.write("worker-0 slots=2\nworker-1 slots=2\n")
    builds = {
        "train_1rank": (0, []),
        "zero1_2ranks": (1, ["--num_gpus", "2"]),
        "zero3_2ranks": (3, ["--num_gpus", "2"]),
        "zero2_2hosts": (2, ["--hostfile", hostfile, "--include",
                             "worker-0:1@worker-1:0"]),
        "inference": (None, []),
    }
    for name, (stage, flags) in builds.items():
        config = os.path.join(tmp, name + ".json")
        with open(config, "w") as f:
            f.write(INFERENCE_CONFIG if stage is None else TRAIN_CONFIG % stage)
        out = os.path.join(tmp, name)
        run([compiler, model, "--config", config, "-o", out] + flags)
        # Compact: the indentation would triple the seed for nothing.
        with open(os.path.join(out, "plan.json")) as f:
            plan = json.dumps(json.load(f), separators=(",", ":"))
        write_seed(PLAN, "plan-%s.json" % name, plan)
        with open(os.path.join(out, "launch.json")) as f:
            write_seed(LAUNCH, "launch-%s.json" % name, f.read())
    # Two training steps of the one-rank program write a checkpoint.
    ckpt = os.path.join(tmp, "ckpt")
    run([os.path.join(tmp, "train_1rank", "bin", "rank_0"), "--data", data,
         "--steps", "2", "--save-every", "2", "--save-dir", ckpt])
    with open(os.path.join(ckpt, "global_step2", "state.json")) as f:
        state = f.read()
    write_seed(STATE, "state-train_1rank.json", state)
    write_seed(JSON, "json-state.json", state)
    regression_seeds(tmp, json.loads(state))


def regression_seeds(tmp, state):
    """The regressions derived from a compiled plan and a checkpoint."""
    def plan(name):
        with open(os.path.join(tmp, name, "plan.json")) as f:
            return json.load(f)

    def compact(value):
        return json.dumps(value, separators=(",", ":"))

    # A training plan's "batch": null passed as absent.
    p = plan("train_1rank")
    p["batch"] = None
    write_seed(PLAN, "plan-regress-null_batch.json", compact(p))
    # (2^62 + 1) * 4 wrapped around to train_batch_size 4.
    p = plan("train_1rank")
    p["batch"].update(train_batch_size=4, micro_batch_size=2 ** 62 + 1,
                      gradient_accumulation_steps=4)
    write_seed(PLAN, "plan-regress-batch_overflow.json", compact(p))
    # Negative counts that add up to the range.
    p = plan("zero1_2ranks")
    p["collectives"][0]["counts"] = [5, -1]
    write_seed(PLAN, "plan-regress-negative_count.json", compact(p))
    # Params of 2^62 elements whose flat offsets wrap around to 2^62.
    big = 2 ** 62
    state.update(flat_elements=big, params=[
        {"name": "p%d" % i, "dtype": "float32", "shape": [big],
         "flat_offset": offset}
        for i, offset in enumerate([0, big, 2 * big, -big, 0])])
    write_seed(STATE, "state-regress-offsets_wrap.json", compact(state))
    # The same with a key missing: the sum went on after the error.
    state["params"][1]["flat_offcet"] = state["params"][1].pop("flat_offset")
    write_seed(STATE, "state-regress-offsets_wrap_missing_key.json",
               compact(state))


def write_dict():
    """readers.dict: every name the readers look for, and edge numbers."""
    names = set()
    for source in DICT_SOURCES:
        with open(os.path.join(ROOT, source)) as f:
            names.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', f.read()))
    tokens = ['"%s"' % name for name in sorted(names)]
    tokens += EDGE_TOKENS
    with open(os.path.join(HERE, "readers.dict"), "w") as f:
        f.write("# Generated by make_reader_corpus.py: the names the readers "
                "look for, and\n# numbers at the edges of their ranges.\n")
        for token in tokens:
            escaped = token.replace("\\", "\\\\").replace('"', '\\"')
            f.write('"%s"\n' % escaped)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    write_dict()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    configs = sorted(glob.glob(os.path.join(ROOT, "test/lit/config/*.json")))
    configs += [os.path.join(ROOT, "test/lit/Inputs/default_config.json"),
                os.path.join(ROOT, "examples/gpt2_tiny/ds_config.json")]
    configs += sorted(glob.glob(os.path.join(ROOT, "test/e2e/*config.json")))
    for path in configs:
        with open(path) as f:
            write_seed(CONFIG, "config-" + os.path.basename(path), f.read())
    for name, text in EXTRA_CONFIGS.items():
        write_seed(CONFIG, "config-%s.json" % name, text)

    for path in sorted(glob.glob(os.path.join(ROOT, "test/lit/hostfile/*"))):
        with open(path) as f:
            text = f.read()
        lines = [l for l in text.splitlines(keepends=True)
                 if not re.match(r"#\s*(RUN|CHECK)", l)]
        name = os.path.splitext(os.path.basename(path))[0]
        write_seed(HOSTFILE, "hostfile-" + name, "".join(lines) +
                   lit_run_flags(text))

    for name, text in JSON_SEEDS.items():
        write_seed(JSON, "json-%s.json" % name, text)
    for name, (kind, data) in REGRESSIONS.items():
        write_seed(kind, name, data)

    with tempfile.TemporaryDirectory() as tmp:
        compiled_seeds(build, tmp)


if __name__ == "__main__":
    main()
