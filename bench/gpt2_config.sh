# Sourced by the GPT-2 step benchmarks: gpt2_config CFG sets onnx, data and dsconf for the
# configuration CFG (tiny: the example GPT-2 and its config; anchor: the example exported at
# vocab 2048, seq 128, d 256, 4 heads, 4 layers, FFN 1024, micro-batch 8, into $tmp/models).
# Needs root, tmp and py set.
gpt2_config() {
  case $1 in
    tiny)
      onnx=$root/examples/models/gpt2_tiny.onnx
      data=$root/examples/models/gpt2_tiny_inputs
      dsconf=$root/examples/gpt2_tiny/ds_config.json ;;
    anchor)
      "$py" "$root/bench/export_gpt2_sized.py" --size anchor --out-dir "$tmp/models" \
        --name gpt2_anchor > /dev/null
      onnx=$tmp/models/gpt2_anchor.onnx
      data=$tmp/models/gpt2_anchor_inputs
      dsconf=$tmp/ds_config_anchor.json
      sed 's/"train_micro_batch_size_per_gpu": 4/"train_micro_batch_size_per_gpu": 8/' \
        "$root/examples/gpt2_tiny/ds_config.json" > "$dsconf"
      grep -q '"train_micro_batch_size_per_gpu": 8' "$dsconf" ;;
    *) echo "unknown config $1 (tiny, anchor)" >&2; return 1 ;;
  esac
}
