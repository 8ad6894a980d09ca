#!/usr/bin/env bash
# Regenerates every example model in examples/models/ and checks them.
# Idempotent: the exports are deterministic (same bytes on every run) and overwrite
# their outputs. Arguments are passed to every exporter; with none, each also writes
# <name>_ref_train.json (losses, gradient norms) and <name>_ref_train.safetensors (the
# final weights) for 10 AdamW steps matching examples/gpt2_tiny/ds_config.json (lr 1e-3,
# gas 1, no warmup), and GPT-2's references for the other configs of test/e2e. Example: export_all.sh --train-steps 20 --gas 2 --warmup 5
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py=/usr/bin/python3  # Debian's python3-torch / python3-onnx live here, not in pyenv

bash "$root/scripts/install-deps.sh" --with-torch

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--train-steps 10 --lr 1e-3 --gas 1 --warmup 0)
fi

export PYTHONDONTWRITEBYTECODE=1
for family in gpt2 bert bert_mlm t5 vit; do
  nice "$py" "$here/export_$family.py" "${args[@]}"
done
if [ $# -eq 0 ]; then
  # The references of test/e2e's other configs (the same export each time):
  # accumulation with warmup, SGD with momentum, AdamW with weight decay and
  # clipping (the clipping acts from the first step).
  nice "$py" "$here/export_gpt2.py" --train-steps 6 --gas 2 --warmup 3 --ref-suffix _gas2_warmup
  nice "$py" "$here/export_gpt2.py" --train-steps 10 --optimizer sgd --lr 0.05 --momentum 0.9 \
    --ref-suffix _sgd_momentum
  nice "$py" "$here/export_gpt2.py" --train-steps 10 --weight-decay 0.1 --clip 0.5 \
    --ref-suffix _adamw_clip
fi
nice "$py" "$here/check_models.py"
