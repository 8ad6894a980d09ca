// RUN: ds-opt %s | FileCheck %s
// RUN: ds-opt %s | ds-opt | FileCheck %s
// The plan dialect's ops parse, verify and print back.

// CHECK: plan.group @dp ranks [0, 1, 2, 3]
plan.group @dp ranks [0, 1, 2, 3]
// CHECK: plan.group @pp ranks [0, 4]
plan.group @pp ranks [0, 4]

// CHECK-LABEL: func.func @step
func.func @step(%w: memref<8x8xf32>, %g: memref<1024xf32>, %shard: memref<256xf32>, %act: memref<2x48x96xf32>) {
  // CHECK: plan.kernel "matmul" ins(%{{.*}}, %{{.*}} : memref<8x8xf32>, memref<8x8xf32>) outs(%{{.*}} : memref<8x8xf32>) {transpose_rhs = true}
  plan.kernel "matmul" ins(%w, %w : memref<8x8xf32>, memref<8x8xf32>) outs(%w : memref<8x8xf32>) {transpose_rhs = true}
  // CHECK: plan.kernel "neg" ins(%{{.*}} : memref<1024xf32>) outs(%{{.*}} : memref<1024xf32>)
  plan.kernel "neg" ins(%g : memref<1024xf32>) outs(%g : memref<1024xf32>)
  // CHECK: plan.all_reduce %{{.*}} on @dp : memref<1024xf32>
  plan.all_reduce %g on @dp : memref<1024xf32>
  // CHECK: plan.all_reduce %{{.*}} on @dp {reduction = #plan.reduction<max>} : memref<1024xf32>
  plan.all_reduce %g on @dp {reduction = #plan.reduction<max>} : memref<1024xf32>
  // CHECK: plan.reduce_scatter %{{.*}}, %{{.*}} on @dp : memref<1024xf32>, memref<256xf32>
  plan.reduce_scatter %g, %shard on @dp : memref<1024xf32>, memref<256xf32>
  // Uneven shards, in place (a ZeRO gradient bucket).
  // CHECK: plan.reduce_scatter %{{.*}}, %{{.*}} on @dp {counts = array<i64: 300, 300, 300, 124>} : memref<1024xf32>, memref<1024xf32>
  plan.reduce_scatter %g, %g on @dp {counts = array<i64: 300, 300, 300, 124>} : memref<1024xf32>, memref<1024xf32>
  // CHECK: plan.all_gather %{{.*}}, %{{.*}} on @dp : memref<256xf32>, memref<1024xf32>
  plan.all_gather %shard, %g on @dp : memref<256xf32>, memref<1024xf32>
  // Uneven pieces from each rank's partition (a ZeRO-3 parameter).
  // CHECK: plan.all_gather %{{.*}}, %{{.*}} on @dp {counts = array<i64: 256, 256, 256, 256>, offsets = array<i64: 0, 0, 0, 0>} : memref<256xf32>, memref<1024xf32>
  plan.all_gather %shard, %g on @dp {counts = array<i64: 256, 256, 256, 256>, offsets = array<i64: 0, 0, 0, 0>} : memref<256xf32>, memref<1024xf32>
  // An asynchronous gather returns a token; the wait consumes it.
  // CHECK: %[[T:.*]] = plan.all_gather %{{.*}}, %{{.*}} on @dp : memref<256xf32>, memref<1024xf32> -> !plan.token
  // CHECK-NEXT: plan.wait %[[T]]
  %t = plan.all_gather %shard, %g on @dp : memref<256xf32>, memref<1024xf32> -> !plan.token
  plan.wait %t
  // CHECK: plan.broadcast %{{.*}} on @dp {root = 0 : i64} : memref<1024xf32>
  plan.broadcast %g on @dp {root = 0 : i64} : memref<1024xf32>
  // CHECK: plan.send %{{.*}} on @pp {peer = 1 : i64} : memref<2x48x96xf32>
  plan.send %act on @pp {peer = 1 : i64} : memref<2x48x96xf32>
  // CHECK: plan.recv %{{.*}} on @pp {peer = 1 : i64} : memref<2x48x96xf32>
  plan.recv %act on @pp {peer = 1 : i64} : memref<2x48x96xf32>
  return
}
