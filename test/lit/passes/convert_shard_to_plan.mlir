// RUN: ds-opt %s -convert-shard-to-plan | FileCheck %s
// passes/ConvertShardToPlanPass.cpp: the partitioning stage's shard
// collectives (the forms of passes/ShardCollectives.h) become plan
// collectives on the buffers they read and write, the grid a plan group.

// CHECK: plan.group @dp ranks [0, 1, 2]
// CHECK-NOT: shard.grid
// CHECK-LABEL: func.func @step
// A bucket of 10 elements whose pieces are 4, 4 and 2: reduced in place.
// CHECK: %[[BUCKET:.*]] = memref.alloc() : memref<10xf32>
// CHECK-NEXT: plan.reduce_scatter %[[BUCKET]], %[[BUCKET]] on @dp {counts = array<i64: 4, 4, 2>} : memref<10xf32>, memref<10xf32>
// A 2x3 param gathered from 4, 2 and 0 elements of the partitions, starting
// at 1, 0 and 0; the shard op's own attributes carry over.
// CHECK: %[[PART:.*]] = memref.alloc() : memref<5xf32>
// CHECK-NEXT: %[[W:.*]] = memref.alloc() : memref<2x3xf32>
// CHECK-NEXT: plan.all_gather %[[PART]], %[[W]] on @dp {counts = array<i64: 4, 2, 0>, offsets = array<i64: 1, 0, 0>, plan.flat_range = array<i64: 1, 7>} : memref<5xf32>, memref<2x3xf32>
// CHECK-NEXT: return
shard.grid @dp(shape = 3)
func.func @step() {
  %bucket = memref.alloc() : memref<10xf32>
  %rank = shard.process_linear_index on @dp : index
  %t = bufferization.to_tensor %bucket : memref<10xf32> to tensor<10xf32>
  %any = tensor.cast %t : tensor<10xf32> to tensor<?xf32>
  %mine = shard.reduce_scatter %any on @dp grid_axes = [0] scatter_axis = 0 : tensor<?xf32> -> tensor<?xf32>
  %pieces = shard.sharding @dp split_axes = [[0]] sharded_dims_offsets = [0, 4, 8, 10] : !shard.sharding
  %ms = shard.shard %mine to %pieces : tensor<?xf32>
  %starts = arith.constant dense<[0, 4, 8]> : tensor<3xindex>
  %start = tensor.extract %starts[%rank] : tensor<3xindex>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %ms, %c0 : tensor<?xf32>
  %whole = tensor.insert_slice %ms into %t[%start] [%n] [1] : tensor<?xf32> into tensor<10xf32>
  bufferization.materialize_in_destination %whole in writable %bucket : (tensor<10xf32>, memref<10xf32>) -> ()

  %part = memref.alloc() : memref<5xf32>
  %w = memref.alloc() : memref<2x3xf32>
  %o = bufferization.to_tensor %part : memref<5xf32> to tensor<5xf32>
  %st = arith.constant dense<[1, 0, 0]> : tensor<3xindex>
  %sz = arith.constant dense<[4, 2, 0]> : tensor<3xindex>
  %s1 = tensor.extract %st[%rank] : tensor<3xindex>
  %z1 = tensor.extract %sz[%rank] : tensor<3xindex>
  %piece = tensor.extract_slice %o[%s1] [%z1] [1] : tensor<5xf32> to tensor<?xf32>
  %ps = shard.sharding @dp split_axes = [[0]] sharded_dims_offsets = [0, 4, 6, 6] : !shard.sharding
  %given = shard.shard %piece to %ps annotate_for_users : tensor<?xf32>
  %all = shard.all_gather %given on @dp grid_axes = [0] gather_axis = 0 {plan.flat_range = array<i64: 1, 7>} : tensor<?xf32> -> tensor<?xf32>
  %flat = tensor.cast %all : tensor<?xf32> to tensor<6xf32>
  %shape = arith.constant dense<[2, 3]> : tensor<2xindex>
  %shaped = tensor.reshape %flat(%shape) : (tensor<6xf32>, tensor<2xindex>) -> tensor<2x3xf32>
  bufferization.materialize_in_destination %shaped in writable %w : (tensor<2x3xf32>, memref<2x3xf32>) -> ()
  return
}
