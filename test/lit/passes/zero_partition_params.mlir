// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1 prefetch-elements=0" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1 prefetch-elements=0" | ds-opt -pass-pipeline='builtin.module(func.func(plan-memory))' | FileCheck %s --check-prefix=PLANNED
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1" | FileCheck %s --check-prefix=PREFETCH
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1" | ds-opt -pass-pipeline='builtin.module(func.func(plan-memory),convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// passes/ZeroPartitionParamsPass.cpp: ZeRO-3 keeps each rank's partition of
// the flat parameter space [w (8 elements), b (2)] = [0, 10): rank 0 [0, 5),
// rank 1 [5, 10), in one buffer of 5 elements. w is gathered before each
// cluster of its uses (here: two uses far apart, so two gathers); b, below
// the persistence threshold of 4 elements, stays whole.

// CHECK: plan.group @dp ranks [0, 1]
// CHECK-LABEL: func.func @step
// CHECK: %[[SHARD:.*]] = memref.alloc() {plan.param_shard = [{name = "w", type = memref<8xf32>}, {name = "b", type = memref<2xf32>}], plan.persistent} : memref<5xf32>
// CHECK-NOT: plan.param = "w"
// CHECK: %[[B:.*]] = memref.alloc() {plan.param = "b", plan.persistent} : memref<2xf32>
// rank 0 gives its 5 elements from offset 0, rank 1 its first 3.
// CHECK: plan.all_gather %[[SHARD]], %[[W1:.*]] on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
// CHECK-NEXT: plan.kernel "relu_f32" ins(%[[W1]] : memref<8xf32>)
// CHECK: plan.all_gather %[[SHARD]], %[[W2:[^ ]*]] on @dp
// CHECK-NEXT: plan.kernel "neg_f32" ins(%[[W2]] : memref<8xf32>)
// The partition and b persist; each gathered copy of w lives only around
// its uses (both take the same bytes).
// PLANNED: {plan.offset = 0 : i64, plan.param_shard = {{.*}}, plan.persistent} : memref<256xi8> to memref<5xf32>
// PLANNED: {plan.offset = 64 : i64, plan.param = "b", plan.persistent}
// PLANNED: memref.view %arg0[%{{.*}}][] {plan.offset = 192 : i64} : memref<256xi8> to memref<8xf32>
// PLANNED-NEXT: plan.all_gather
// PLANNED: memref.view %arg0[%{{.*}}][] {plan.offset = 192 : i64} : memref<256xi8> to memref<8xf32>
// PLANNED-NEXT: plan.all_gather

// Prefetch: the second gather of w is issued right after the first, runs
// while the first cluster computes (plan.async), and is waited for where it
// stood; its copy then lives from the first gather on.
// PREFETCH: plan.all_gather %[[S:.*]], %[[A:[^ ]*]] on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range
// PREFETCH-NEXT: %[[B:.*]] = memref.alloc() : memref<8xf32>
// PREFETCH-NEXT: plan.all_gather %[[S]], %[[B]] on @dp {{{.*}}plan.async
// PREFETCH-NEXT: plan.kernel "relu_f32" ins(%[[A]] : memref<8xf32>)
// PREFETCH: plan.wait %[[B]] : memref<8xf32>
// PREFETCH-NEXT: plan.kernel "neg_f32" ins(%[[B]] : memref<8xf32>)
// LLVM: llvm.func @dsrt_collective_wait(!llvm.ptr, i32)
// LLVM: %[[C1:.*]] = llvm.mlir.constant(1 : i32) : i32
// LLVM-NEXT: llvm.call @dsrt_collective_at(%{{.*}}, %[[C1]], %{{.*}})
// LLVM: llvm.call @dsrt_collective_wait(%{{.*}}, %{{.*}}) : (!llvm.ptr, i32) -> ()
module {
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<2xf32>
    %t = memref.alloc() : memref<8xf32>
    plan.kernel "relu_f32" ins(%w : memref<8xf32>) outs(%t : memref<8xf32>)
    %u = memref.alloc() : memref<2xf32>
    plan.kernel "relu_f32" ins(%b : memref<2xf32>) outs(%u : memref<2xf32>)
    %v = memref.alloc() : memref<2xf32>
    plan.kernel "relu_f32" ins(%u : memref<2xf32>) outs(%v : memref<2xf32>)
    %x = memref.alloc() : memref<8xf32>
    plan.kernel "neg_f32" ins(%w : memref<8xf32>) outs(%x : memref<8xf32>)
    return
  }
}
