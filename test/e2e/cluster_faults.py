#!/usr/bin/env python3
"""Liveness across nodes: a 2 nodes x 2 ranks job (ZeRO-1) in a namespaced
cluster (test/helpers/netns_cluster.py) loses a node mid-training, once by
its link going down (a partition: no peer is told) and once by SIGKILL of
everything on it. Every surviving rank must exit within 15 s naming the
silent ranks and their host; the job's exit code is non-zero, and each
node's ds-run says what stopped it once. Skips with one line (exit 77)
where namespaces cannot be made.

  cluster_faults.py BIN_DIR MODEL DATA_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "helpers"))
import netns_cluster  # noqa: E402

TOKEN = "cluster-faults-token-0123456789"
LIMIT = 15.0


def lines_in(path):
    try:
        with open(path) as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def run_fault(cluster, bin_dir, out, data, work, fault):
    metrics = f"{work}/{fault}.jsonl"
    env = dict(os.environ, DSC_JOB_TOKEN=TOKEN, DSC_COMM_TIMEOUT="120")
    nodes = [cluster.popen(k, [os.path.join(bin_dir, "ds-run"), "--node_rank", str(k),
                               "--master_addr", cluster.addresses[0], "--master_port", "29500",
                               out, "--", "--data", data, "--steps", "1000000",
                               "--metrics", metrics],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for k in range(2)]
    # Training is under way once rank 0 has written a few steps.
    deadline = time.time() + 60
    while lines_in(metrics) < 3 and time.time() < deadline:
        if any(n.poll() is not None for n in nodes):
            break
        time.sleep(0.05)
    if lines_in(metrics) < 3:
        for n in nodes:
            n.kill()
        print(f"{fault}: the job did not start training")
        return False
    start = time.time()
    if fault == "link-down":
        cluster.link_down(1)
        survivors = [0, 1]
    else:
        cluster.kill_node(1)
        survivors = [0]
    ok = True
    for k in survivors:
        try:
            log = nodes[k].communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            nodes[k].kill()
            log = nodes[k].communicate()[0]
        took = time.time() - start
        code = nodes[k].returncode
        silent = (cluster.addresses[1], "2, 3") if k == 0 else (cluster.addresses[0], "0, 1")
        named = f"ranks {silent[1]} on {silent[0]}"
        # The node's ds-run says it once: as its error line, or (started
        # with --node_rank, under a launcher) as the report it hands up.
        headline = [l for l in log.splitlines()
                    if l.startswith("ds-run: error:") or re.match(r"ds-rank \d+: error:", l)]
        repeated = [l for l in log.splitlines() if named in l and l not in headline]
        print(f"{fault}: node {k}'s ds-run exited {code} after {took:.1f} s:")
        print("\n".join("    " + l for l in log.splitlines() if "ds-" in l))
        if code == 0 or took > LIMIT:
            print(f"  expected a non-zero exit within {LIMIT:.0f} s")
            ok = False
        if len(headline) != 1 or named not in headline[0]:
            print(f"  expected one ds-run error line naming {named}")
            ok = False
        if fault == "link-down" and repeated:
            print("  the message is repeated")
            ok = False
    if fault == "link-down":
        nodes[1].wait()
    for n in nodes:
        if n.poll() is None:
            n.kill()
    return ok


def main():
    bin_dir, model, data, work = sys.argv[1:5]
    why = netns_cluster.unavailable()
    if why:
        print(f"SKIP: no namespaced cluster here: {why}")
        return 77
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    config = f"{work}/ds_config.json"
    with open(config, "w") as f:
        json.dump({"train_micro_batch_size_per_gpu": 1, "steps_per_print": 1000000,
                   "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},
                   "zero_optimization": {"stage": 1}}, f)
    ok = True
    for fault in ("link-down", "sigkill"):
        with netns_cluster.Cluster(2) as cluster:
            hostfile = f"{work}/hostfile"
            with open(hostfile, "w") as f:
                f.write("".join(f"{a} slots=2\n" for a in cluster.addresses))
            out = f"{work}/out"
            subprocess.run([os.path.join(bin_dir, "ds-compile"), model, "--config", config,
                            "--hostfile", hostfile, "-o", out], check=True, capture_output=True)
            ok = run_fault(cluster, bin_dir, out, data, work, fault) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
