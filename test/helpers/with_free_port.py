#!/usr/bin/env python3
"""Runs a command on a free TCP port, again on another one if it was taken.

  with_free_port.py CMD ARGS...     (every @PORT@ in ARGS becomes the port)

For jobs that need a port every process knows in advance (the multi-node
launchers). The port is one the kernel picked for a socket that is then
closed, so another process can take it before the job binds it: when the
command fails saying so ("is in use"), it is run again on a new port, up to
5 times. The command's stdout and stderr are passed on once, from its last
run, and its exit status is returned. Jobs on one host need none of this:
`ds-run --master_port 0` hands rank 0 a port nobody can take.
"""
import socket
import subprocess
import sys

ATTEMPTS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for attempt in range(ATTEMPTS):
        port = str(free_port())
        argv = [a.replace("@PORT@", port) for a in sys.argv[1:]]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        taken = r.returncode != 0 and b"is in use" in r.stdout + r.stderr
        if not taken or attempt + 1 == ATTEMPTS:
            sys.stdout.buffer.write(r.stdout)
            sys.stderr.buffer.write(r.stderr)
            return r.returncode
        print(f"with_free_port.py: port {port} was taken; again on another",
              file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
