#!/usr/bin/env bash
# The main job on the bundled example: compiles the small GPT-2 with its
# ds_config. Code generation does not exist yet, so this runs the stages that
# do (config, topology, batch, import) and prints the imported graph.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DSC_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" ds-compile >/dev/null
"$build/bin/ds-compile" "$root/examples/models/gpt2_tiny.onnx" \
  --config "$root/examples/gpt2_tiny/ds_config.json" --num_gpus 1 \
  --emit graph "$@"
