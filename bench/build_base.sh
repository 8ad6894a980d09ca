# Sourced by the before/after benchmarks: build_base COMMIT DIR exports COMMIT (git archive)
# to DIR and builds its ds-compile, ds-run and rank libraries in DIR/build once (Ninja,
# ccache); a DIR that has them is reused.
build_base() {
  local commit=$1 dir=$2 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ -x "$dir/build/bin/ds-compile" ] && [ -x "$dir/build/bin/ds-run" ]; then
    return 0
  fi
  echo "== building $commit in $dir (ds-compile, ds-run and the rank libraries)"
  rm -rf "$dir" && mkdir -p "$dir"
  git -C "$root" archive "$commit" | tar -x -C "$dir"
  cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit > /dev/null
  ninja -C "$dir/build" -j "${DSC_JOBS:-2}" ds-compile ds-run > "$dir/build.log" 2>&1 ||
    { tail -20 "$dir/build.log"; return 1; }
}
