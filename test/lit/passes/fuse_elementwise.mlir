// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(plan-fuse-elementwise))' | FileCheck %s
// passes/FuseElementwisePass.cpp: a chain of unary and binary kernels over
// temporaries becomes one fused_elementwise kernel (program: the op count,
// then kind (0 unary, 1 binary), selector, a, b per op; registers: the
// inputs, then each op's result), and the temporaries are gone.

// tanh(x + x * c) with c a broadcast scalar: mul (binary 2) of x (r0) and
// c (r1) -> r2; add (binary 0) of x and r2 -> r3; tanh (unary 7) of r3.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: memref<4x8xf32>, %[[C:.*]]: memref<f32>, %[[Y:.*]]: memref<4x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: plan.kernel "fused_elementwise" ins(%[[X]], %[[C]] : memref<4x8xf32>, memref<f32>) outs(%[[Y]] : memref<4x8xf32>) {program = array<i64: 3, 1, 2, 0, 1, 1, 0, 0, 2, 0, 7, 3, 0>}
// CHECK-NEXT: return
func.func @chain(%x: memref<4x8xf32>, %c: memref<f32>, %y: memref<4x8xf32>) {
  %t1 = memref.alloc() : memref<4x8xf32>
  plan.kernel "mul" ins(%x, %c : memref<4x8xf32>, memref<f32>) outs(%t1 : memref<4x8xf32>)
  %t2 = memref.alloc() : memref<4x8xf32>
  plan.kernel "add" ins(%x, %t1 : memref<4x8xf32>, memref<4x8xf32>) outs(%t2 : memref<4x8xf32>)
  plan.kernel "tanh" ins(%t2 : memref<4x8xf32>) outs(%y : memref<4x8xf32>)
  return
}

// -----

// Left alone: a temporary another kernel reads too (saved for a gradient),
// a buffer the plan names, a temporary of another shape (broadcast), and
// a chain of different element types (a cast between).
// CHECK-LABEL: func.func @kept
// CHECK-NOT: fused_elementwise
// CHECK: return
func.func @kept(%x: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xbf16>, %y: memref<4x8xf32>, %z: memref<4x8xf32>, %w: memref<4x8xf32>, %v: memref<4x8xbf16>) {
  %shared = memref.alloc() : memref<4x8xf32>
  plan.kernel "exp" ins(%x : memref<4x8xf32>) outs(%shared : memref<4x8xf32>)
  plan.kernel "neg" ins(%shared : memref<4x8xf32>) outs(%y : memref<4x8xf32>)
  plan.kernel "abs" ins(%shared : memref<4x8xf32>) outs(%z : memref<4x8xf32>)
  %named = memref.alloc() {plan.output = "o"} : memref<4x8xf32>
  plan.kernel "exp" ins(%x : memref<4x8xf32>) outs(%named : memref<4x8xf32>)
  plan.kernel "neg" ins(%named : memref<4x8xf32>) outs(%w : memref<4x8xf32>)
  %row = memref.alloc() : memref<8xf32>
  plan.kernel "exp" ins(%b : memref<8xf32>) outs(%row : memref<8xf32>)
  plan.kernel "add" ins(%x, %row : memref<4x8xf32>, memref<8xf32>) outs(%w : memref<4x8xf32>)
  %half = memref.alloc() : memref<4x8xbf16>
  plan.kernel "cast" ins(%x : memref<4x8xf32>) outs(%half : memref<4x8xbf16>)
  plan.kernel "neg" ins(%half : memref<4x8xbf16>) outs(%v : memref<4x8xbf16>)
  return
}

// -----

// bf16 chains fuse too: the kernel rounds between its ops.
// CHECK-LABEL: func.func @bf16
// CHECK: plan.kernel "fused_elementwise" ins(%{{.*}} : memref<4xbf16>) outs(%{{.*}} : memref<4xbf16>) {program = array<i64: 2, 0, 5, 0, 0, 0, 0, 1, 0>}
func.func @bf16(%x: memref<4xbf16>, %y: memref<4xbf16>) {
  %e = memref.alloc() : memref<4xbf16>
  plan.kernel "exp" ins(%x : memref<4xbf16>) outs(%e : memref<4xbf16>)
  plan.kernel "neg" ins(%e : memref<4xbf16>) outs(%y : memref<4xbf16>)
  return
}

// -----

// A producer does not move past a write of what it reads: the zeroing of x
// between exp(x) and its consumer keeps them apart.
// CHECK-LABEL: func.func @written_between
// CHECK: plan.kernel "exp"
// CHECK: plan.zero
// CHECK: plan.kernel "neg"
// CHECK-NOT: fused_elementwise
func.func @written_between(%x: memref<4xf32>, %y: memref<4xf32>) {
  %t = memref.alloc() : memref<4xf32>
  plan.kernel "exp" ins(%x : memref<4xf32>) outs(%t : memref<4xf32>)
  plan.zero %x : memref<4xf32>
  plan.kernel "neg" ins(%t : memref<4xf32>) outs(%y : memref<4xf32>)
  return
}

// -----

// A tree: two producers into one consumer, sharing an input.
// CHECK-LABEL: func.func @tree
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: plan.kernel "fused_elementwise" ins(%[[X]] : memref<4xf32>) outs(%[[Y]] : memref<4xf32>) {program = array<i64: 3, 0, 5, 0, 0, 0, 9, 0, 0, 1, 2, 1, 2>}
// CHECK-NEXT: return
func.func @tree(%x: memref<4xf32>, %y: memref<4xf32>) {
  %e = memref.alloc() : memref<4xf32>
  plan.kernel "exp" ins(%x : memref<4xf32>) outs(%e : memref<4xf32>)
  %f = memref.alloc() : memref<4xf32>
  plan.kernel "erf" ins(%x : memref<4xf32>) outs(%f : memref<4xf32>)
  plan.kernel "mul" ins(%e, %f : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
  return
}

// -----

// A temporary read twice by its consumer: its producer is taken in once.
// CHECK-LABEL: func.func @square
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: plan.kernel "fused_elementwise" ins(%[[X]] : memref<4xf32>) outs(%[[Y]] : memref<4xf32>) {program = array<i64: 3, 0, 5, 0, 0, 0, 5, 0, 0, 1, 2, 1, 2>}
// CHECK-NEXT: return
func.func @square(%x: memref<4xf32>, %y: memref<4xf32>) {
  %e = memref.alloc() : memref<4xf32>
  plan.kernel "exp" ins(%x : memref<4xf32>) outs(%e : memref<4xf32>)
  plan.kernel "mul" ins(%e, %e : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
  return
}
