// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6" -verify-diagnostics | ds-opt -split-input-file -convert-shard-to-plan | FileCheck %s --check-prefix=PLAN
// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=3 stage=0 reduce-bucket-elements=8" | ds-opt -split-input-file -convert-shard-to-plan | FileCheck %s --check-prefix=STAGE0
// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=1 stage=1" | FileCheck %s --check-prefix=ONE
// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=3 stage=3 allgather-bucket-elements=6" | FileCheck %s --check-prefix=STAGE3
// RUN: ds-opt %s -split-input-file -zero-boundary-exchange="dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6" | not ds-opt -split-input-file -pass-pipeline='builtin.module(convert-shard-to-plan,func.func(plan-memory),convert-plan-to-llvm)' 2>&1 | FileCheck %s --check-prefix=LLVM
// passes/ZeroBoundaryExchangePass.cpp: what 3 ranks exchange around the
// optimizer. Params w (8 elements) and b (4): the flat space [0, 12), the
// partitions [0, 4), [4, 8), [8, 12).

// Stage 1: the gradient buckets of whole params (w, then b) are
// reduce-scattered at the boundary, the norm and the loss all-reduced, and
// the updated params gathered in buckets of 6 elements.
// CHECK: shard.grid @dp(shape = 3)
// CHECK: func.func @boundary(%[[G:.*]]: memref<12xf32> {plan.flat = "gradients"}, %[[P:.*]]: memref<12xf32> {plan.flat = "parameters"}, %[[N:.*]]: memref<1xf64> {plan.flat = "grad_norm_squared"}, %[[L:.*]]: memref<1xf64> {plan.flat = "loss"}) attributes {plan.boundary}
// CHECK: %[[W:.*]] = memref.subview %[[G]][0] [8] [1]
// CHECK: shard.reduce_scatter {{.*}} {plan.phase = "boundary"}
// CHECK: sharded_dims_offsets = [0, 4, 8, 8]
// CHECK: memref.subview %[[G]][8] [4] [1]
// CHECK: %[[R:.*]] = shard.all_reduce %[[N]] on @dp grid_axes = [0] {plan.phase = "boundary"} : memref<1xf64> -> memref<1xf64>
// CHECK-NEXT: memref.copy %[[R]], %[[N]]
// CHECK: shard.all_reduce %[[L]]
// CHECK: memref.subview %[[P]][0] [6] [1]
// CHECK: shard.all_gather {{.*}} {plan.phase = "after_optimizer"}
// CHECK: memref.subview %[[P]][6] [6] [1]

// PLAN: plan.group @dp ranks [0, 1, 2]
// PLAN-LABEL: func.func @boundary
// PLAN: %[[W:.*]] = memref.subview %{{.*}}[0] [8] [1]
// PLAN-NEXT: plan.reduce_scatter %[[W]], %[[W]] on @dp {counts = array<i64: 4, 4, 0>, plan.phase = "boundary"}
// PLAN: %[[B:.*]] = memref.subview %{{.*}}[8] [4] [1]
// PLAN-NEXT: plan.reduce_scatter %[[B]], %[[B]] on @dp {counts = array<i64: 0, 0, 4>, plan.phase = "boundary"}
// PLAN-NEXT: plan.all_reduce %arg2 on @dp {plan.phase = "boundary"} : memref<1xf64>
// PLAN-NEXT: plan.all_reduce %arg3 on @dp {plan.phase = "boundary"} : memref<1xf64>
// Rank 1's part of [6, 12) is [6, 8), 2 elements from the range's start.
// PLAN: %[[Q:.*]] = memref.subview %{{.*}}[6] [6] [1]
// PLAN: plan.all_gather %[[Q]], %[[Q]] on @dp {counts = array<i64: 0, 2, 4>, offsets = array<i64: 0, 0, 2>, plan.phase = "after_optimizer"}
// PLAN-NOT: shard.
// PLAN-NOT: tensor

// Stage 0 all-reduces the gradient buckets and gathers nothing.
// STAGE0-LABEL: func.func @boundary
// STAGE0: plan.all_reduce %{{.*}} on @dp {plan.phase = "boundary"} : memref<8xf32, strided<[1]>>
// STAGE0: plan.all_reduce %{{.*}} on @dp {plan.phase = "boundary"} : memref<4xf32, strided<[1], offset: 8>>
// STAGE0-NOT: plan.all_gather

// One rank exchanges nothing.
// ONE-NOT: @boundary

// @boundary is not code: build-optimizer-step turns it into each rank's
// update (build_optimizer_step.mlir), and the object is refused without.
// LLVM: error: has @boundary: the exchange outside the step becomes the ranks' update functions (run build-optimizer-step first)
module {
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
    return
  }
}

// -----

// Stage 3: the step reduced the gradients; only b, kept whole (it has its
// own buffer beside the partition), is gathered after the optimizer.
// STAGE3: plan.param_shard
// STAGE3: func.func @boundary
// STAGE3-NOT: shard.reduce_scatter
// STAGE3: shard.all_reduce
// STAGE3: shard.all_reduce
// STAGE3: memref.subview %{{.*}}[8] [4] [1]
// STAGE3: shard.all_gather
// STAGE3-NOT: shard.all_gather
module {
  func.func @step() {
    %s = memref.alloc() {plan.param_shard = [{name = "w", type = memref<8xf32>}, {name = "b", type = memref<4xf32>}], plan.persistent} : memref<4xf32>
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
    return
  }
}

