#!/usr/bin/env bash
# Prepares, on this machine, what bench/gpu/check.sh needs on the GPU machine (which has CUDA,
# NCCL and PyTorch, but no OpenBLAS, MLIR or Gloo): builds the GPU tests and copies them, with
# the shared libraries they need that the GPU machine lacks, into build/gpu-check. Carry
# `build/gpu-check` (about 41 MB) to the GPU machine and run bench/gpu/check.sh there.
#
#   bash bench/gpu/prepare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" CudaKernelsTest CudaOptimizerTest NcclCommTest > /dev/null
out=$build/gpu-check
libs=$out/lib
rm -rf "$out" && mkdir -p "$libs"
cp "$build/test/unit/CudaKernelsTest" "$build/test/unit/CudaOptimizerTest" \
  "$build/test/unit/NcclCommTest" "$out/"
# OpenBLAS and the Fortran runtime it needs; everything else (libc, libstdc++, the CUDA runtime,
# NCCL) is on the GPU machine.
for test in CudaKernelsTest CudaOptimizerTest NcclCommTest; do
  ldd "$build/test/unit/$test" | awk '/=> \// {print $3}'
done | sort -u | grep -E 'libopenblas|libgfortran|libquadmath' | while read -r lib; do
  cp -L "$lib" "$libs/"
done
echo "prepared $out: $(ls "$out" "$libs" | grep -v ':$' | tr '\n' ' ')($(du -sh "$out" | cut -f1)); carry build/gpu-check"
