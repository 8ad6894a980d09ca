#!/usr/bin/env bash
# Installs every build and test dependency of ds-compile with apt-get.
# Idempotent: nothing is installed when every package is present.
#   --with-torch  also Debian's PyTorch, for the example exporters in
#                 examples/export/ (they run with /usr/bin/python3).
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ clang-14 clang-format-14 libclang-rt-14-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev nlohmann-json3-dev libgloo-dev libopenblas-dev libgtest-dev
  python3-onnx python3-numpy python3-psutil libonnx-testdata
  iproute2 openssh-server openssh-client
)
if [ "${1:-}" = "--with-torch" ]; then
  packages+=(python3-torch)
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
