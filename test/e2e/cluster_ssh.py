#!/usr/bin/env python3
"""ds-run's ssh launcher against real sshd: a namespaced cluster of two
nodes (test/helpers/netns_cluster.py), each running Debian's sshd on its
address with a key made for the test. From node 0, `ds-run --launcher ssh`
starts `ds-run --node_rank K` on each node over ssh, which starts the
node's 2 ranks; the job (ZeRO-1, 2 x 2 ranks, the job token drawn by the
top ds-run and carried to the nodes) must equal one rank accumulating 4
micro-batches (cluster_zero.py's reference run, config and comparison).
Skips with one line (exit 77) without namespaces or sshd.

  cluster_ssh.py BIN_DIR MODEL DATA_DIR WORK_DIR TOLERANCES
"""
import os
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "helpers"))
import netns_cluster  # noqa: E402
from cluster_zero import STEPS, compare, config, reference  # noqa: E402

SSHD = "/usr/sbin/sshd"


def main():
    bin_dir, model, data, work, tolerances = sys.argv[1:6]
    why = netns_cluster.unavailable()
    if not why and not os.access(SSHD, os.X_OK):
        why = f"no {SSHD} (Debian's openssh-server)"
    if not why and not shutil.which("ssh"):
        why = "no ssh client (Debian's openssh-client)"
    if why:
        print(f"SKIP: no ssh cluster here: {why}")
        return 77
    bin_dir, work = os.path.abspath(bin_dir), os.path.abspath(work)
    data, ref = reference(bin_dir, model, data, work)
    keys = f"{work}/keys"
    os.makedirs(keys)
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{keys}/{name}"],
                       check=True)
    shutil.copy(f"{keys}/client.pub", f"{keys}/authorized_keys")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory

    with netns_cluster.Cluster(2) as cluster:
        daemons = []
        for k, address in enumerate(cluster.addresses):
            conf = f"{keys}/sshd_{k}.conf"
            with open(conf, "w") as f:
                f.write(f"ListenAddress {address}\nPort 22\nHostKey {keys}/host\n"
                        f"AuthorizedKeysFile {keys}/authorized_keys\n"
                        f"PidFile {keys}/sshd_{k}.pid\nPermitRootLogin prohibit-password\n"
                        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                        "UsePAM no\nStrictModes no\n")
            daemons.append(cluster.popen(k, [SSHD, "-D", "-e", "-f", conf],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        time.sleep(0.5)
        hostfile = f"{work}/hostfile"
        with open(hostfile, "w") as f:
            f.write("".join(f"{a} slots=2\n" for a in cluster.addresses))
        run = f"{work}/zero1"
        config(run + ".json", 1, 1)
        subprocess.run([os.path.join(bin_dir, "ds-compile"), model, "--config", run + ".json",
                        "--hostfile", hostfile, "-o", run], check=True, capture_output=True)
        ssh_args = (f"-i {keys}/client -o BatchMode=yes -o StrictHostKeyChecking=no "
                    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
        print(f"== ZeRO-1 on 2 nodes x 2 ranks over ssh ({', '.join(cluster.addresses)}) "
              "vs one rank with gradient_accumulation_steps 4")
        job = cluster.popen(0, [os.path.join(bin_dir, "ds-run"), "--launcher", "ssh",
                                "--launcher_args", ssh_args, "--master_port", "29500", run,
                                "--", "--data", data, "--steps", str(STEPS),
                                "--metrics", run + "/metrics.jsonl", "--save", run + "/final"],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = job.communicate(timeout=240)[0]
        for d in daemons:
            d.terminate()
        if job.returncode != 0:
            print(log)
            for d in daemons:
                print(d.communicate()[1].decode())
            print(f"the job failed ({job.returncode})")
            return 1
    return 0 if compare(run, ref, tolerances) else 1


if __name__ == "__main__":
    sys.exit(main())
