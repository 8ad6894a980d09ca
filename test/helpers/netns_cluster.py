#!/usr/bin/env python3
"""A cluster of network namespaces on one machine, for multi-node tests.

Each node is a network namespace with one interface, eth0, at
10.213.0.<i+1>/24, joined to the others by a bridge in a hub namespace of its
own; nothing else is shared (each node's own loopback is up, but the
addresses the job uses are the veth ones). Needs root and `ip`.

    with Cluster(2) as cluster:
        p = cluster.popen(0, ["ds-run", ...])   # runs inside node 0
        cluster.link_down(1)                    # node 1 falls off the network
        cluster.kill_node(1)                    # SIGKILL everything in node 1

Everything is torn down on every exit path: the context's exit, normal
interpreter exit, SIGTERM and SIGINT. `unavailable()` says why a cluster
cannot be built here (not root, no `ip`, namespaces refused), or None.
"""
import atexit
import os
import signal
import subprocess
import sys

_live = []


def _run(*argv):
    subprocess.run(list(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def unavailable():
    """Why no cluster can be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    name = f"dscprobe{os.getpid()}"
    try:
        _run("ip", "netns", "add", name)
    except FileNotFoundError:
        return "the `ip` command (iproute2) is not installed"
    except subprocess.CalledProcessError as e:
        return "cannot create a network namespace: " + e.stderr.decode().strip()
    subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
    return None


def _teardown_all(*_):
    while _live:
        _live[-1].close()


def _on_signal(signum, _frame):
    _teardown_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_teardown_all)
for _sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(_sig, _on_signal)


class Cluster:
    def __init__(self, nodes):
        tag = f"dsc{os.getpid()}x{len(_live)}"
        self.hub = tag + "hub"
        self.names = [f"{tag}n{i}" for i in range(nodes)]
        self.addresses = [f"10.213.0.{i + 1}" for i in range(nodes)]
        # Interface names hold at most 15 characters.
        self._hub_ends = [f"h{os.getpid() % 100000}x{len(_live)}n{i}" for i in range(nodes)]
        self._closed = False
        _live.append(self)
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self):
        _run("ip", "netns", "add", self.hub)
        _run("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", self.hub, "link", "set", "br0", "up")
        for i, (name, hub_end) in enumerate(zip(self.names, self._hub_ends)):
            _run("ip", "netns", "add", name)
            _run("ip", "-n", name, "link", "set", "lo", "up")
            _run("ip", "link", "add", hub_end, "netns", self.hub, "type", "veth",
                 "peer", "name", "eth0", "netns", name)
            _run("ip", "-n", self.hub, "link", "set", hub_end, "master", "br0")
            _run("ip", "-n", self.hub, "link", "set", hub_end, "up")
            _run("ip", "-n", name, "addr", "add", self.addresses[i] + "/24", "dev", "eth0")
            _run("ip", "-n", name, "link", "set", "eth0", "up")

    def popen(self, node, argv, **kwargs):
        """Starts `argv` inside node `node`."""
        return subprocess.Popen(["ip", "netns", "exec", self.names[node]] + list(argv), **kwargs)

    def link_down(self, node):
        """Takes node `node`'s link down: its packets go nowhere, no peer is
        told (a partition, not a close)."""
        _run("ip", "-n", self.hub, "link", "set", self._hub_ends[node], "down")

    def kill_node(self, node):
        """SIGKILLs every process inside node `node`."""
        out = subprocess.run(["ip", "netns", "pids", self.names[node]],
                             capture_output=True, text=True).stdout
        for pid in out.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self):
        if self._closed:
            return
        self._closed = True
        for node in range(len(self.names)):
            self.kill_node(node)
        for name in self.names + [self.hub]:
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


if __name__ == "__main__":
    why = unavailable()
    if why:
        print(f"SKIP: {why}")
        sys.exit(77)
    # A self-check: node 1 reaches a server on node 0's address.
    with Cluster(2) as c:
        code = ("import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); "
                "s.listen(1); print(s.getsockname()[1], flush=True); s.accept()[0].send(b'ok')")
        server = c.popen(0, [sys.executable, "-c", code, c.addresses[0]],
                         stdout=subprocess.PIPE, text=True)
        port = server.stdout.readline().strip()
        client = c.popen(1, [sys.executable, "-c",
                             "import socket, sys; print(socket.create_connection("
                             "(sys.argv[1], int(sys.argv[2])), 5).recv(2).decode())",
                             c.addresses[0], port], stdout=subprocess.PIPE, text=True)
        out = client.communicate()[0].strip()
        server.wait()
        print(f"node 1 -> node 0 ({c.addresses[0]}:{port}): {out}")
        sys.exit(0 if out == "ok" else 1)
