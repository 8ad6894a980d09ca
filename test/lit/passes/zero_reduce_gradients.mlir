// RUN: ds-opt %s -split-input-file -zero-reduce-gradients="dp-size=3 bucket-elements=8" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -split-input-file -zero-reduce-gradients="dp-size=3 bucket-elements=8" -verify-diagnostics | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=PLAN
// RUN: ds-opt %s -split-input-file -zero-reduce-gradients="dp-size=3 bucket-elements=8" -verify-diagnostics | ds-opt -pass-pipeline='builtin.module(convert-shard-to-plan,func.func(plan-memory),convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// passes/ZeroReduceGradientsPass.cpp: ZeRO-2 reduces gradient buckets inside
// the step. Params w (8 elements) and b (4) form the flat space [0, 12),
// partitioned over 3 ranks as [0, 4), [4, 8), [8, 12); buckets of at most 8
// elements hold whole params: [0, 8) = w, [8, 12) = b. b's gradient is
// written first (backward runs from the loss), so its bucket is reduced
// first.

// The reduce-scatter is stated on the grid @dp: each bucket's pieces are its
// parts of the ranks' partitions (b's bucket lies in rank 2's), and each
// rank's sums go back to its piece of the bucket.
// CHECK: shard.grid @dp(shape = 3)
// CHECK-LABEL: func.func @step
// CHECK: %[[B:.*]] = memref.alloc() {plan.bucket = 8 : i64} : memref<16xi8>
// CHECK: %[[GB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// CHECK: plan.kernel "copy" ins(%{{.*}} : memref<4xf32>) outs(%[[GB]] : memref<4xf32>)
// CHECK: %[[FB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// CHECK: %[[RANK:.*]] = shard.process_linear_index on @dp : index
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[FB]] : memref<4xf32> to tensor<4xf32>
// CHECK: %[[ANY:.*]] = tensor.cast %[[T]] : tensor<4xf32> to tensor<?xf32>
// CHECK: %[[RS:.*]] = shard.reduce_scatter %[[ANY]] on @dp grid_axes = [0] scatter_axis = 0 : tensor<?xf32> -> tensor<?xf32>
// CHECK: %[[PIECES:.*]] = shard.sharding @dp split_axes = {{\[\[}}0]] sharded_dims_offsets = [0, 0, 0, 4] : !shard.sharding
// CHECK: %[[MINE:.*]] = shard.shard %[[RS]] to %[[PIECES]] : tensor<?xf32>
// CHECK: %[[STARTS:.*]] = arith.constant dense<0> : tensor<3xindex>
// CHECK: %[[AT:.*]] = tensor.extract %[[STARTS]][%[[RANK]]] : tensor<3xindex>
// CHECK: %[[N:.*]] = tensor.dim %[[MINE]]
// CHECK: %[[U:.*]] = tensor.insert_slice %[[MINE]] into %[[T]][%[[AT]]] [%[[N]]] [1] : tensor<?xf32> into tensor<4xf32>
// CHECK: bufferization.materialize_in_destination %[[U]] in writable %[[FB]] : (tensor<4xf32>, memref<4xf32>) -> ()
// CHECK: memref.alloc() {plan.bucket = 0 : i64} : memref<32xi8>
// CHECK: plan.kernel "mul"
// CHECK: sharded_dims_offsets = [0, 4, 8, 8]
// CHECK: arith.constant dense<[0, 4, 8]> : tensor<3xindex>
// The gradients are no longer step outputs.
// CHECK-NOT: plan.grad

// Lowered: in-place plan.reduce_scatter with the pieces as counts.
// PLAN: plan.group @dp ranks [0, 1, 2]
// PLAN-NOT: shard.grid
// PLAN-LABEL: func.func @step
// PLAN: %[[B:.*]] = memref.alloc() {plan.bucket = 8 : i64} : memref<16xi8>
// PLAN: %[[GB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// PLAN: plan.kernel "copy" ins(%{{.*}} : memref<4xf32>) outs(%[[GB]] : memref<4xf32>)
// PLAN: %[[FB:.*]] = memref.view %[[B]][%{{.*}}][] : memref<16xi8> to memref<4xf32>
// PLAN-NEXT: plan.reduce_scatter %[[FB]], %[[FB]] on @dp {counts = array<i64: 0, 0, 4>} : memref<4xf32>, memref<4xf32>
// PLAN: %[[W:.*]] = memref.alloc() {plan.bucket = 0 : i64} : memref<32xi8>
// PLAN: %[[GW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<32xi8> to memref<8xf32>
// PLAN: plan.kernel "mul" ins(%{{.*}}, %{{.*}} : memref<8xf32>, memref<8xf32>) outs(%[[GW]] : memref<8xf32>)
// PLAN: %[[FW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<32xi8> to memref<8xf32>
// PLAN-NEXT: plan.reduce_scatter %[[FW]], %[[FW]] on @dp {counts = array<i64: 4, 4, 0>} : memref<8xf32>, memref<8xf32>
// PLAN-NOT: shard.
// PLAN-NOT: tensor
// PLAN-NOT: bufferization.
// The collectives become runtime calls, numbered in step order; a bucket's
// views add their shift to the bucket's address.
// LLVM: llvm.func @dsrt_collective_at(!llvm.ptr, i32, !llvm.ptr)
// LLVM: llvm.call @dsrt_k_copy
// LLVM: %[[C0:.*]] = llvm.mlir.constant(0 : i32) : i32
// LLVM-NEXT: llvm.call @dsrt_collective_at(%{{.*}}, %[[C0]], %{{.*}})
// LLVM: llvm.call @dsrt_k_mul_f32
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
    plan.kernel "mul" ins(%x, %w : memref<8xf32>, memref<8xf32>) outs(%gw : memref<8xf32>)
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
