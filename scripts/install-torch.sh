#!/usr/bin/env bash
# Installs Debian's PyTorch, ONNX and NumPy for the example exporters in
# examples/export/. Idempotent: does nothing when all packages are present.
# The exporters run with /usr/bin/python3 (Debian's interpreter), not a pyenv one.
set -euo pipefail

packages=(python3-torch python3-onnx python3-numpy)

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-torch: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-torch: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
