// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1 max-reuse-distance=0" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1 max-reuse-distance=0" | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=PLAN
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=4 cluster-gap=1 max-reuse-distance=0" | ds-opt -pass-pipeline='builtin.module(convert-shard-to-plan,func.func(plan-memory))' | FileCheck %s --check-prefix=PLANNED
// RUN: ds-opt %s -zero-partition-params="dp-size=2 persistence-threshold=2 cluster-gap=1 max-reuse-distance=0" | ds-opt -convert-shard-to-plan | FileCheck %s --check-prefix=SHAPED
// passes/ZeroPartitionParamsPass.cpp: ZeRO-3 keeps each rank's partition of
// the flat parameter space [w (8 elements), b (2)] = [0, 10): rank 0 [0, 5),
// rank 1 [5, 10), in one buffer of 5 elements. w is gathered before each
// cluster of its uses (here: two uses two kernels apart, more than the
// cluster gap of 1, so two gathers); b, below the persistence threshold of 4
// elements, stays whole.

// The gather is stated on the grid @dp: rank 0 gives its 5 elements from
// offset 0 of its partition, rank 1 its first 3 (the pieces' sharding).
// CHECK: shard.grid @dp(shape = 2)
// CHECK-LABEL: func.func @step
// CHECK: %[[SHARD:.*]] = memref.alloc() {plan.param_shard = [{name = "w", type = memref<8xf32>}, {name = "b", type = memref<1x2xf32>}], plan.persistent} : memref<5xf32>
// CHECK-NOT: plan.param = "w"
// CHECK: %[[B:.*]] = memref.alloc() {plan.param = "b", plan.persistent} : memref<1x2xf32>
// CHECK: %[[RANK:.*]] = shard.process_linear_index on @dp : index
// CHECK: %[[OWN:.*]] = bufferization.to_tensor %[[SHARD]] : memref<5xf32> to tensor<5xf32>
// CHECK: %[[STARTS:.*]] = arith.constant dense<0> : tensor<2xindex>
// CHECK: %[[AT:.*]] = tensor.extract %[[STARTS]][%[[RANK]]] : tensor<2xindex>
// CHECK: %[[SIZES:.*]] = arith.constant dense<[5, 3]> : tensor<2xindex>
// CHECK: %[[N:.*]] = tensor.extract %[[SIZES]][%[[RANK]]] : tensor<2xindex>
// CHECK: %[[PIECE:.*]] = tensor.extract_slice %[[OWN]][%[[AT]]] [%[[N]]] [1] : tensor<5xf32> to tensor<?xf32>
// CHECK: %[[PIECES:.*]] = shard.sharding @dp split_axes = {{\[\[}}0]] sharded_dims_offsets = [0, 5, 8] : !shard.sharding
// CHECK: %[[GIVEN:.*]] = shard.shard %[[PIECE]] to %[[PIECES]] annotate_for_users : tensor<?xf32>
// CHECK: %[[ALL:.*]] = shard.all_gather %[[GIVEN]] on @dp grid_axes = [0] gather_axis = 0 {plan.flat_range = array<i64: 0, 8>} : tensor<?xf32> -> tensor<?xf32>
// CHECK: %[[FLAT:.*]] = tensor.cast %[[ALL]] : tensor<?xf32> to tensor<8xf32>
// CHECK: bufferization.materialize_in_destination %[[FLAT]] in writable %[[W1:.*]] : (tensor<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT: plan.kernel "relu" ins(%[[W1]] : memref<8xf32>)
// CHECK: shard.all_gather
// CHECK: plan.kernel "neg"

// Lowered: one plan.all_gather per cluster with the pieces' counts and
// their starts in the partition.
// PLAN: plan.group @dp ranks [0, 1]
// PLAN-LABEL: func.func @step
// PLAN: %[[SHARD:.*]] = memref.alloc() {plan.param_shard = {{.*}}} : memref<5xf32>
// PLAN: plan.all_gather %[[SHARD]], %[[W1:.*]] on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
// PLAN-NEXT: plan.kernel "relu" ins(%[[W1]] : memref<8xf32>)
// PLAN: plan.all_gather %[[SHARD]], %[[W2:[^ ]*]] on @dp
// PLAN-NEXT: plan.kernel "neg" ins(%[[W2]] : memref<8xf32>)
// PLAN-NOT: shard.
// PLAN-NOT: tensor
// The partition and b persist; each gathered copy of w lives only around
// its uses (both take the same bytes).
// PLANNED: {plan.offset = 0 : i64, plan.param_shard = {{.*}}, plan.persistent} : memref<256xi8> to memref<5xf32>
// PLANNED: {plan.offset = 64 : i64, plan.param = "b", plan.persistent}
// PLANNED: memref.view %arg0[%{{.*}}][] {plan.offset = 192 : i64} : memref<256xi8> to memref<8xf32>
// PLANNED-NEXT: plan.all_gather
// PLANNED: memref.view %arg0[%{{.*}}][] {plan.offset = 192 : i64} : memref<256xi8> to memref<8xf32>
// PLANNED-NEXT: plan.all_gather
// b, now partitioned too, lives at [8, 10) of the flat space: all of it in
// rank 1's partition, from offset 3; the gathered elements take b's shape.
// SHAPED: plan.all_gather %{{.*}}, %{{.*}} on @dp {counts = array<i64: 0, 2>, offsets = array<i64: 0, 3>, plan.flat_range = array<i64: 8, 10>} : memref<5xf32>, memref<1x2xf32>
module {
  func.func @step() {
    %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<1x2xf32>
    %t = memref.alloc() : memref<8xf32>
    plan.kernel "relu" ins(%w : memref<8xf32>) outs(%t : memref<8xf32>)
    %u = memref.alloc() : memref<2xf32>
    plan.kernel "relu" ins(%b : memref<1x2xf32>) outs(%u : memref<2xf32>)
    %v = memref.alloc() : memref<2xf32>
    plan.kernel "relu" ins(%u : memref<2xf32>) outs(%v : memref<2xf32>)
    %x = memref.alloc() : memref<8xf32>
    plan.kernel "neg" ins(%w : memref<8xf32>) outs(%x : memref<8xf32>)
    return
  }
}
