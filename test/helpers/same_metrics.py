"""Exits non-zero unless two metrics files hold the same steps, losses,
gradient norms and learning rates, bit for bit."""
import json
import sys

KEYS = ("step", "loss", "grad_norm", "lr")


def rows(path):
    return [{k: json.loads(line)[k] for k in KEYS} for line in open(path)]


a, b = rows(sys.argv[1]), rows(sys.argv[2])
if not a or a != b:
    print(f"{sys.argv[1]} and {sys.argv[2]} differ:\n{a}\n{b}")
    sys.exit(1)
print(f"{len(a)} steps, identical")
