// RUN: ds-opt %s -split-input-file -verify-diagnostics
// dialects/plan/KernelCall.cpp, kernels/KernelDecls.def, KernelChecks.cpp:
// a plan.kernel is checked against its kernel's declaration, so a call the
// runtime cannot make is an error at compile time, not when a rank starts.

func.func @unknown_kernel(%a: memref<4xf32>) {
  // expected-error @+1 {{calls unknown kernel 'softplus'}}
  plan.kernel "softplus" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>)
  return
}

// -----

func.func @no_name(%a: memref<4xf32>) {
  // expected-error @+1 {{calls unknown kernel ''}}
  plan.kernel "" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>)
  return
}

// -----

func.func @too_few_inputs(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'add': 1 inputs, expected 2}}
  plan.kernel "add" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>)
  return
}

// -----

func.func @optional_inputs(%x: memref<2x4xf32>, %s: memref<4xf32>) {
  // expected-error @+1 {{kernel 'layer_norm': 4 inputs, expected 2 to 3}}
  plan.kernel "layer_norm" ins(%x, %s, %s, %s : memref<2x4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) outs(%x, %s, %s : memref<2x4xf32>, memref<4xf32>, memref<4xf32>) {axis = 1 : i64, epsilon = 1.0e-5 : f64}
  return
}

// -----

func.func @outputs(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'dropout': 1 outputs, expected 2}}
  plan.kernel "dropout" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) {ratio = 0.1 : f64, seed = 0 : i64}
  return
}

// -----

func.func @mixed_types(%a: memref<4xf32>, %b: memref<4xf64>) {
  // expected-error @+1 {{kernel 'add': buffer 1 has element type f64, expected f32}}
  plan.kernel "add" ins(%a, %b : memref<4xf32>, memref<4xf64>) outs(%a : memref<4xf32>)
  return
}

// -----

func.func @no_integer_entry(%a: memref<4xi64>) {
  // expected-error @+1 {{kernel 'sqrt': has no entry point for element type i64}}
  plan.kernel "sqrt" ins(%a : memref<4xi64>) outs(%a : memref<4xi64>)
  return
}

// -----

func.func @indices_are_i64(%t: memref<4x8xf32>, %i: memref<2xi32>, %o: memref<2x8xf32>) {
  // expected-error @+1 {{kernel 'gather': buffer 1 has element type i32, expected i64}}
  plan.kernel "gather" ins(%t, %i : memref<4x8xf32>, memref<2xi32>) outs(%o : memref<2x8xf32>) {axis = 0 : i64}
  return
}

// -----

func.func @missing_attribute(%a: memref<2x4xf32>) {
  // expected-error @+1 {{kernel 'softmax': attribute 'axis' missing}}
  plan.kernel "softmax" ins(%a : memref<2x4xf32>) outs(%a : memref<2x4xf32>)
  return
}

// -----

func.func @wrong_kind(%a: memref<2x4xf32>) {
  // expected-error @+1 {{kernel 'softmax': attribute 'axis' is not an integer}}
  plan.kernel "softmax" ins(%a : memref<2x4xf32>) outs(%a : memref<2x4xf32>) {axis = 1.0 : f64}
  return
}

// -----

func.func @unknown_attribute(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'relu' has no attribute 'alpha'}}
  plan.kernel "relu" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) {alpha = 0.1 : f64}
  return
}

// -----

func.func @enum_as_string(%a: memref<4xf32>, %b: memref<6xf32>) {
  // expected-error @+1 {{kernel 'pad': attribute 'mode' is not an enum attribute (its cases: 'constant', 'reflect', 'edge' or 'wrap')}}
  plan.kernel "pad" ins(%a : memref<4xf32>) outs(%b : memref<6xf32>) {pads = array<i64: 1, 1>, mode = "reflect"}
  return
}

// -----

func.func @enum_of_another_attribute(%a: memref<4xf32>, %b: memref<6xf32>) {
  // expected-error @+1 {{kernel 'pad': attribute 'mode' is 'mean', expected 'constant', 'reflect', 'edge' or 'wrap'}}
  plan.kernel "pad" ins(%a : memref<4xf32>) outs(%b : memref<6xf32>) {pads = array<i64: 1, 1>, mode = #graph.loss_reduction<mean>}
  return
}

// -----

func.func @derived_attribute(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'copy': attribute 'bytes' is computed by the compiler, not given}}
  plan.kernel "copy" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) {bytes = 16 : i64}
  return
}

// -----

func.func @copy_sizes(%a: memref<4xf32>, %b: memref<3xf32>) {
  // expected-error @+1 {{kernel 'copy': copies 16 bytes into 12}}
  plan.kernel "copy" ins(%a : memref<4xf32>) outs(%b : memref<3xf32>)
  return
}

// -----

func.func @axis_range(%a: memref<2x4xf32>) {
  // expected-error @+1 {{kernel 'softmax': attribute 'axis' = 2 out of range for rank 2}}
  plan.kernel "softmax" ins(%a : memref<2x4xf32>) outs(%a : memref<2x4xf32>) {axis = 2 : i64}
  return
}

// -----

func.func @perm(%a: memref<2x4xf32>, %b: memref<4x2xf32>) {
  // expected-error @+1 {{kernel 'transpose': attribute 'perm' is not a permutation of [0, 2)}}
  plan.kernel "transpose" ins(%a : memref<2x4xf32>) outs(%b : memref<4x2xf32>) {perm = array<i64: 1, 1>}
  return
}

// -----

func.func @slice_steps(%a: memref<4xf32>, %b: memref<2xf32>) {
  // expected-error @+1 {{kernel 'slice': attribute 'steps' has a zero step}}
  plan.kernel "slice" ins(%a : memref<4xf32>) outs(%b : memref<2xf32>) {starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 0>}
  return
}

// -----

func.func @pads_per_axis(%a: memref<4xf32>, %b: memref<6xf32>) {
  // expected-error @+1 {{kernel 'pad': attribute 'pads' has 1 entries, expected 2}}
  plan.kernel "pad" ins(%a : memref<4xf32>) outs(%b : memref<6xf32>) {pads = array<i64: 2>}
  return
}

// -----

func.func @reduce_axes(%a: memref<2x4xf32>, %b: memref<f32>) {
  // expected-error @+1 {{kernel 'reduce_sum': attribute 'axes' is not sorted, unique and in [0, 2)}}
  plan.kernel "reduce_sum" ins(%a : memref<2x4xf32>) outs(%b : memref<f32>) {axes = array<i64: 1, 0>, keepdims = false}
  return
}

// -----

func.func @conv_group(%x: memref<1x2x4x4xf32>, %w: memref<2x2x3x3xf32>, %y: memref<1x2x2x2xf32>) {
  // expected-error @+1 {{kernel 'conv': attribute 'group' is 0}}
  plan.kernel "conv" ins(%x, %w : memref<1x2x4x4xf32>, memref<2x2x3x3xf32>) outs(%y : memref<1x2x2x2xf32>) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 0 : i64}
  return
}

// -----

func.func @dropout_ratio(%a: memref<4xf32>, %m: memref<4xi1>) {
  // expected-error @+1 {{kernel 'dropout': attribute 'ratio' = 1.500000 outside [0, 1]}}
  plan.kernel "dropout" ins(%a : memref<4xf32>) outs(%a, %m : memref<4xf32>, memref<4xi1>) {ratio = 1.5 : f64, seed = 0 : i64}
  return
}

// -----

func.func @concat_ranks(%a: memref<4xf32>, %b: memref<1x4xf32>, %c: memref<8xf32>) {
  // expected-error @+1 {{kernel 'concat': input 1 has rank 2, expected 1}}
  plan.kernel "concat" ins(%a, %b : memref<4xf32>, memref<1x4xf32>) outs(%c : memref<8xf32>) {axis = 0 : i64}
  return
}

// -----

func.func @trilu_rank(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'trilu': input has rank 1, expected 2 or more}}
  plan.kernel "trilu" ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) {upper = true}
  return
}

// -----

// fused_elementwise: an instruction reads a register defined after it.
func.func @fused_forward_reference(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{kernel 'fused_elementwise': has a malformed instruction 0}}
  plan.kernel "fused_elementwise" ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {program = array<i64: 1, 1, 0, 0, 1>}
  return
}

// -----

func.func @fused_program_length(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{kernel 'fused_elementwise': has a program of 4 words, expected 1 + 4 per instruction (1 to 24)}}
  plan.kernel "fused_elementwise" ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {program = array<i64: 1, 0, 0, 0>}
  return
}

// -----

func.func @fused_broadcast(%a: memref<3xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{kernel 'fused_elementwise': input 0 does not broadcast to the result's shape}}
  plan.kernel "fused_elementwise" ins(%a : memref<3xf32>) outs(%b : memref<4xf32>) {program = array<i64: 1, 0, 0, 0, 0>}
  return
}
