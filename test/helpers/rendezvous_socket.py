#!/usr/bin/env python3
"""Starts rank 0 of a job by hand as ds-run --master_port 0 does: on a
listening socket it hands over, so that no port is agreed on in advance and
none can be taken.

  rendezvous_socket.py PORT_FILE CMD ARGS...

Listens on 127.0.0.1, port 0 (the kernel picks), writes the port to
PORT_FILE (atomically: the other ranks wait for the file, then start with
MASTER_PORT set to it), and replaces itself with CMD, with MASTER_PORT set
and the socket passed in DSC_RENDEZVOUS_FD.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port_file, argv = sys.argv[1], sys.argv[2:]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    port = s.getsockname()[1]
    fd = s.detach()
    os.set_inheritable(fd, True)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.replace(port_file + ".tmp", port_file)
    env = dict(os.environ, MASTER_PORT=str(port), DSC_RENDEZVOUS_FD=str(fd))
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    sys.exit(main())
