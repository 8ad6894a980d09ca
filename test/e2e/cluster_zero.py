#!/usr/bin/env python3
"""Data parallelism across two real network stacks: a cluster of two network
namespaces (test/helpers/netns_cluster.py), each node running
`ds-run --node_rank K --master_addr 10.213.0.1` for its 2 ranks, trains
ZeRO stages 0-3 on 2 nodes x 2 ranks and must equal one rank accumulating 4
micro-batches (losses, gradient norms, final weights; compare_training.py).
Skips with one line (exit 77) where namespaces cannot be made.

  cluster_zero.py BIN_DIR MODEL DATA_DIR WORK_DIR TOLERANCES "STAGES"
"""
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "helpers"))
import netns_cluster  # noqa: E402

TOKEN = "cluster-zero-token-0123456789"
STEPS = 4


def config(path, gas, stage):
    with open(path, "w") as f:
        json.dump({"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": gas,
                   "optimizer": {"type": "AdamW", "params": {"lr": 0.001, "weight_decay": 0.01}},
                   "gradient_clipping": 1.0,
                   "zero_optimization": {"stage": stage, "reduce_bucket_size": 30000,
                                         "allgather_bucket_size": 50000,
                                         "stage3_param_persistence_threshold": 0},
                   "steps_per_print": 1000}, f)


def reference(bin_dir, model, data, work):
    """A fresh WORK_DIR with the data repeated to 4 samples (WORK_DIR/data)
    and one rank trained on it, accumulating 4 micro-batches (WORK_DIR/one_rank)."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([os.path.join(here, "prepare_data.sh"), data, f"{work}/data", "4"], check=True)
    ref = f"{work}/one_rank"
    config(ref + ".json", 4, 0)
    subprocess.run([os.path.join(bin_dir, "ds-compile"), model, "--config", ref + ".json",
                    "-o", ref], check=True, capture_output=True)
    subprocess.run([os.path.join(bin_dir, "ds-run"), "--master_port", "0", ref, "--", "--data",
                    f"{work}/data", "--steps", str(STEPS), "--metrics", ref + "/metrics.jsonl",
                    "--save", ref + "/final"], check=True, capture_output=True)
    return f"{work}/data", ref


def compare(run, ref, tolerances):
    """compare_training.py of RUN's metrics and final weights against REF's;
    True when they agree within TOLERANCES (LOSS:NORM:WEIGHTS)."""
    loss, norm, weights = tolerances.split(":")
    result = subprocess.run(
        ["python3", os.path.join(here, "compare_training.py"), run + "/metrics.jsonl",
         ref + "/metrics.jsonl", "--loss-rtol", loss, "--norm-rtol", norm,
         "--weights", run + "/final/model.safetensors", ref + "/final/model.safetensors",
         "--weights-rtol", weights], capture_output=True, text=True)
    print(result.stdout.strip())
    return result.returncode == 0


def main():
    bin_dir, model, data, work, tolerances, stages = sys.argv[1:7]
    why = netns_cluster.unavailable()
    if why:
        print(f"SKIP: no namespaced cluster here: {why}")
        return 77
    data, ref = reference(bin_dir, model, data, work)
    compile_ = os.path.join(bin_dir, "ds-compile")
    ds_run = os.path.join(bin_dir, "ds-run")
    env = dict(os.environ, DSC_JOB_TOKEN=TOKEN)

    failed = False
    with netns_cluster.Cluster(2) as cluster:
        hostfile = f"{work}/hostfile"
        with open(hostfile, "w") as f:
            f.write("".join(f"{a} slots=2\n" for a in cluster.addresses))
        for stage in stages.split():
            run = f"{work}/zero{stage}"
            config(run + ".json", 1, stage=int(stage))
            subprocess.run([compile_, model, "--config", run + ".json", "--hostfile", hostfile,
                            "-o", run], check=True, capture_output=True)
            print(f"== ZeRO stage {stage} on 2 nodes x 2 ranks ({', '.join(cluster.addresses)}) "
                  "vs one rank with gradient_accumulation_steps 4")
            nodes = [cluster.popen(k, [ds_run, "--node_rank", str(k), "--master_addr",
                                       cluster.addresses[0], "--master_port", "29500", run, "--",
                                       "--data", data, "--steps", str(STEPS),
                                       "--metrics", run + "/metrics.jsonl",
                                       "--save", run + "/final"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
                     for k in range(2)]
            logs = [n.communicate(timeout=240)[0] for n in nodes]
            if any(n.returncode != 0 for n in nodes):
                for k, log in enumerate(logs):
                    print(f"node {k} (exit {nodes[k].returncode}):\n{log}")
                failed = True
                continue
            failed = not compare(run, ref, tolerances) or failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
