#!/usr/bin/env python3
"""Only the job's ranks enter its rendezvous: while a 2-rank job trains,
clients knock on rank 0's store without the job token, with a wrong one,
and replaying a proof recorded on another connection. Each is refused
(closed, or told 0), each refusal is said once on the job's output with the
peer's address, and the job trains exactly as a run nobody knocked on.

  rendezvous_intruders.py BIN_DIR MODEL DATA_DIR WORK_DIR
"""
import hashlib
import hmac
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from with_free_port import free_port  # noqa: E402

TOKEN = "intruders-job-token-0123456789"
STEPS = 600


def frame(body):
    return struct.pack("<I", len(body)) + body


def receive(sock):
    """One frame's body, or None when the server closed the connection."""
    data = b""
    want = 4
    while len(data) < want:
        chunk = sock.recv(want - len(data))
        if not chunk:
            return None
        data += chunk
        if want == 4 and len(data) == 4:
            want += struct.unpack("<I", data)[0]
    return data[4:]


def proof(token, challenge, nonce):
    message = b"client" + challenge[1:] + nonce
    return hmac.new(token.encode(), message, hashlib.sha256).digest()


def auth(token, challenge, nonce=b"n" * 32):
    return b"\x08" + nonce + proof(token, challenge, nonce)


def knock(port):
    """A connection that got the server's challenge, or None."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        challenge = receive(s)
        if challenge and len(challenge) == 33 and challenge[0] == 7:
            return s, challenge
        s.close()
    except OSError:
        pass
    return None


def main():
    bin_dir, model, data, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    config = os.path.join(work, "ds_config.json")
    with open(config, "w") as f:
        json.dump({"train_micro_batch_size_per_gpu": 1, "steps_per_print": 100000,
                   "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},
                   "zero_optimization": {"stage": 1}}, f)
    out = os.path.join(work, "out")
    subprocess.run([os.path.join(bin_dir, "ds-compile"), model, "--config", config,
                    "--num_gpus", "2", "-o", out], check=True, capture_output=True)
    ds_run = os.path.join(bin_dir, "ds-run")
    env = dict(os.environ, DSC_JOB_TOKEN=TOKEN)

    def job(metrics, port):
        return subprocess.Popen([ds_run, "--master_port", str(port), out, "--", "--data", data,
                                 "--steps", str(STEPS), "--metrics", metrics],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # The run nobody knocks on.
    clean = job(os.path.join(work, "clean.jsonl"), 0)
    clean_log = clean.communicate()[0]
    if clean.returncode != 0:
        print(clean_log)
        return 1

    for attempt in range(5):
        port = free_port()
        run = job(os.path.join(work, "knocked.jsonl"), port)
        knocked = None
        deadline = time.time() + 30
        while knocked is None and run.poll() is None and time.time() < deadline:
            knocked = knock(port)
            if knocked is None:
                time.sleep(0.01)
        if knocked is not None:
            break
        log = run.communicate()[0]
        if "is in use" not in log:
            print(log)
            print("the job's rendezvous never answered")
            return 1
    verdicts = []
    # 1. No token: a request straight away.
    s, _ = knocked
    s.sendall(frame(b"\x01" + struct.pack("<I", 1)))
    verdicts.append(("no token", receive(s) is None))
    s.close()
    # 2. A wrong token: told 0, then closed.
    s, challenge = knock(port)
    s.sendall(frame(auth("another-jobs-token-0000", challenge)))
    verdicts.append(("wrong token", receive(s) == b"\x00" and receive(s) is None))
    s.close()
    # 3. The right token's proof for one challenge, replayed on another.
    s, challenge = knock(port)
    recorded = auth(TOKEN, challenge)
    s.sendall(frame(recorded))
    reply = receive(s)
    verdicts.append(("the job's token (accepted)", reply is not None and reply[0] == 1))
    other, _ = knock(port)
    other.sendall(frame(recorded))
    verdicts.append(("replayed proof", receive(other) == b"\x00"))
    other.close()
    s.close()
    log = run.communicate()[0]
    for what, ok in verdicts:
        print(f"{what}: {'as expected' if ok else 'NOT AS EXPECTED'}")
    refusals = [l for l in log.splitlines() if "the rendezvous refused a connection from 127.0.0.1:" in l]
    print("\n".join(refusals))
    failed = not all(ok for _, ok in verdicts)
    if run.returncode != 0:
        print(log)
        print(f"the job failed ({run.returncode})")
        failed = True
    if len(refusals) != 3:
        print(f"expected 3 refusals in the job's output, got {len(refusals)}")
        failed = True
    rows = [[json.loads(l)[k] for k in ("step", "loss", "grad_norm")]
            for l in open(os.path.join(work, "knocked.jsonl"))]
    clean_rows = [[json.loads(l)[k] for k in ("step", "loss", "grad_norm")]
                  for l in open(os.path.join(work, "clean.jsonl"))]
    if rows != clean_rows or len(rows) != STEPS:
        print("the knocked-on job did not train as the clean one")
        failed = True
    else:
        print(f"the job trained {STEPS} steps exactly as the run nobody knocked on")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
