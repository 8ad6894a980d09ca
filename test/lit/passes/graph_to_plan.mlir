// RUN: ds-opt %s -convert-graph-to-plan | FileCheck %s
// RUN: ds-opt %s -pass-pipeline='builtin.module(convert-graph-to-plan, func.func(plan-memory))' | FileCheck %s --check-prefix=PLANNED
// passes/GraphToPlanPass.cpp, then passes/MemoryPlannerPass.cpp.
// Each tensor becomes a buffer and each op one kernel; arguments and results
// become persistent, named buffers; constants become globals.

// CHECK: memref.global "private" constant @cst_0 : memref<f32> = dense<2.000000e+00>
// CHECK-LABEL: func.func @step()
// CHECK-DAG: %[[X:.*]] = memref.alloc() {plan.input = "x", plan.persistent} : memref<4x8xf32>
// CHECK-DAG: %[[W:.*]] = memref.alloc() {plan.param = "w", plan.persistent} : memref<8x8xf32>
// CHECK: %[[TWO:.*]] = memref.get_global @cst_0 : memref<f32>
// CHECK: %[[MM:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: plan.kernel "matmul" ins(%[[X]], %[[W]] : memref<4x8xf32>, memref<8x8xf32>) outs(%[[MM]] : memref<4x8xf32>)
// CHECK: %[[Y:.*]] = memref.alloc() {plan.output = "y", plan.persistent} : memref<4x8xf32>
// CHECK: plan.kernel "mul" ins(%[[MM]], %[[TWO]] : memref<4x8xf32>, memref<f32>) outs(%[[Y]] : memref<4x8xf32>)
// CHECK: %[[R:.*]] = memref.alloc() : memref<32xf32>
// CHECK: plan.kernel "copy" ins(%[[Y]] : memref<4x8xf32>) outs(%[[R]] : memref<32xf32>)
// CHECK: %[[S:.*]] = memref.alloc() {plan.output = "s", plan.persistent} : memref<f32>
// CHECK: plan.kernel "reduce_sum" ins(%[[R]] : memref<32xf32>) outs(%[[S]] : memref<f32>) {axes = array<i64: 0>, keepdims = false}
// A result that is an argument is copied out.
// CHECK: %[[WOUT:.*]] = memref.alloc() {plan.output = "w_out", plan.persistent} : memref<8x8xf32>
// CHECK: plan.kernel "copy" ins(%[[W]] : memref<8x8xf32>) outs(%[[WOUT]] : memref<8x8xf32>)
// CHECK: return

// Planned: x, w, y, s and w_out are persistent (128 + 256 + 128 + 64 + 256
// bytes, each 64-byte aligned); the two 128-byte temporaries are never alive
// together and share one slot.
// PLANNED: func.func @step(%{{.*}}: memref<960xi8> {plan.arena})
// PLANNED-SAME: plan.arena_size = 960 : i64, plan.persistent_bytes = 832 : i64
func.func @main(%x: tensor<4x8xf32> {graph.input = "x"}, %w: tensor<8x8xf32> {graph.param = "w"}) -> (tensor<4x8xf32> {graph.output = "y"}, tensor<f32> {graph.output = "s"}, tensor<8x8xf32> {graph.output = "w_out"}) {
  %two = graph.constant dense<2.0> : tensor<f32>
  %0 = graph.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %1 = graph.mul %0, %two : tensor<4x8xf32>, tensor<f32>
  %2 = graph.reshape %1 : tensor<4x8xf32> -> tensor<32xf32>
  %3 = graph.reduce_sum %2 <{axes = array<i64: 0>, keepdims = false}> : tensor<32xf32>
  return %1, %3, %w : tensor<4x8xf32>, tensor<f32>, tensor<8x8xf32>
}
