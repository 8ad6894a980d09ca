// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=0 max-reuse-distance=1" | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=NEAR
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=0" | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=FAR
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=0 max-live-parameters=8" | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=LIVE
// passes/ZeroPartitionParamsPass.cpp: stage3_max_reuse_distance and
// stage3_max_live_parameters. w (8 elements) is used by the first and the
// last kernel, v (4) by the two between; each use is a cluster of its own
// (cluster-gap 0). Between w's uses, v is gathered twice (8 elements);
// between v's uses nothing is.

// A reuse distance of 1 keeps v gathered (0 elements between its uses) but
// gathers w again (8 between).
// NEAR: plan.all_gather {{.*}} plan.flat_range = array<i64: 0, 8>
// NEAR-NEXT: plan.kernel "relu"
// NEAR: plan.all_gather %{{.*}}, %[[V:[^ ]*]] on @dp {{.*}} plan.flat_range = array<i64: 8, 12>
// NEAR-NEXT: plan.kernel "relu" ins(%[[V]] : memref<4xf32>)
// NEAR-NOT: plan.all_gather
// NEAR: plan.kernel "neg" ins(%[[V]] : memref<4xf32>)
// NEAR: plan.all_gather {{.*}} plan.flat_range = array<i64: 0, 8>
// NEAR-NEXT: plan.kernel "neg"
// DeepSpeed's default distance (1e9) keeps both: one gather each.
// FAR: plan.all_gather {{.*}} plan.flat_range = array<i64: 0, 8>
// FAR: plan.all_gather {{.*}} plan.flat_range = array<i64: 8, 12>
// FAR-NOT: plan.all_gather
// With at most 8 gathered elements alive, w (8) cannot stay gathered while v
// (4) is: w is gathered again.
// LIVE-COUNT-2: plan.all_gather {{.*}} plan.flat_range = array<i64: 0, 8>
// LIVE-NOT: plan.all_gather {{.*}} plan.flat_range = array<i64: 0, 8>
module {
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    %v = memref.alloc() {plan.param = "v", plan.persistent} : memref<4xf32>
    %a = memref.alloc() : memref<8xf32>
    plan.kernel "relu" ins(%w : memref<8xf32>) outs(%a : memref<8xf32>)
    %b = memref.alloc() : memref<4xf32>
    plan.kernel "relu" ins(%v : memref<4xf32>) outs(%b : memref<4xf32>)
    %c = memref.alloc() : memref<4xf32>
    plan.kernel "neg" ins(%v : memref<4xf32>) outs(%c : memref<4xf32>)
    %d = memref.alloc() : memref<8xf32>
    plan.kernel "neg" ins(%w : memref<8xf32>) outs(%d : memref<8xf32>)
    return
  }
}
