// RUN: ds-opt %s -split-input-file -zero-reduce-gradients="dp-size=3 bucket-elements=8" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -split-input-file -zero-reduce-gradients="dp-size=3 bucket-elements=8" -verify-diagnostics | ds-opt -pass-pipeline='builtin.module(func.func(plan-memory),convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// passes/ZeroReduceGradientsPass.cpp: ZeRO-2 reduces gradient buckets inside
// the step. Params w (8 elements) and b (4) form the flat space [0, 12),
// partitioned over 3 ranks as [0, 4), [4, 8), [8, 12); buckets of at most 8
// elements hold whole params: [0, 8) = w, [8, 12) = b. b's gradient is
// written first (backward runs from the loss), so its bucket is reduced
// first.

// CHECK: plan.group @dp ranks [0, 1, 2]
// CHECK-LABEL: func.func @step
// CHECK: %[[B:.*]] = memref.alloc() {plan.bucket = 8 : i64} : memref<16xi8>
// CHECK: %[[GB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// CHECK: plan.kernel "copy" ins(%{{.*}} : memref<4xf32>) outs(%[[GB]] : memref<4xf32>)
// CHECK: %[[FB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// CHECK: plan.reduce_scatter %[[FB]], %[[FB]] on @dp {counts = array<i64: 0, 0, 4>} : memref<4xf32>, memref<4xf32>
// CHECK: %[[W:.*]] = memref.alloc() {plan.bucket = 0 : i64} : memref<32xi8>
// CHECK: %[[GW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<32xi8> to memref<8xf32>
// CHECK: plan.kernel "mul_f32" ins(%{{.*}}, %{{.*}} : memref<8xf32>, memref<8xf32>) outs(%[[GW]] : memref<8xf32>)
// CHECK: %[[FW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<32xi8> to memref<8xf32>
// CHECK: plan.reduce_scatter %[[FW]], %[[FW]] on @dp {counts = array<i64: 4, 4, 0>} : memref<8xf32>, memref<8xf32>
// The gradients are no longer step outputs.
// CHECK-NOT: plan.grad
// The collectives become runtime calls, numbered in step order; a bucket's
// views add their shift to the bucket's address.
// LLVM: llvm.func @dsrt_collective_at(!llvm.ptr, i32, !llvm.ptr)
// LLVM: llvm.call @dsrt_kernel_at
// LLVM: %[[C0:.*]] = llvm.mlir.constant(0 : i32) : i32
// LLVM-NEXT: llvm.call @dsrt_collective_at(%{{.*}}, %[[C0]], %{{.*}})
// LLVM: llvm.call @dsrt_kernel_at
// LLVM: %[[C1:.*]] = llvm.mlir.constant(1 : i32) : i32
// LLVM-NEXT: llvm.call @dsrt_collective_at(%{{.*}}, %[[C1]], %{{.*}})
// LLVM-NOT: plan.group
module {
  memref.global "private" constant @one : memref<4xf32> = dense<1.0>
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
    %x = memref.alloc() {plan.input = "x", plan.persistent} : memref<8xf32>
    %c = memref.get_global @one : memref<4xf32>
    %gb = memref.alloc() {plan.grad = "b", plan.persistent} : memref<4xf32>
    plan.kernel "copy" ins(%c : memref<4xf32>) outs(%gb : memref<4xf32>)
    %gw = memref.alloc() {plan.grad = "w", plan.persistent} : memref<8xf32>
    plan.kernel "mul_f32" ins(%x, %w : memref<8xf32>, memref<8xf32>) outs(%gw : memref<8xf32>)
    return
  }
}

// -----

module {
  func.func @step() {
    // expected-error @+1 {{param 'w' has no gradient}}
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    return
  }
}
