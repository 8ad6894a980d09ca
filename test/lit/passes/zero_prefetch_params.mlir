// RUN: ds-opt %s -split-input-file -zero-prefetch-params="prefetch-elements=8" -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s -split-input-file -zero-prefetch-params="prefetch-elements=4" | FileCheck %s --check-prefix=SMALL
// RUN: ds-opt %s -split-input-file -zero-prefetch-params="prefetch-elements=8" -verify-diagnostics | ds-opt -pass-pipeline='builtin.module(func.func(plan-memory),convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// passes/ZeroPrefetchParamsPass.cpp: ZeRO-3 prefetch. w is gathered twice
// (two clusters of uses); the second gather is issued right after the first,
// runs while the first cluster computes (it returns a !plan.token), and is
// waited for, on that token, where it stood; its copy then lives from the
// first gather on.

// CHECK-LABEL: func.func @step
// CHECK: plan.all_gather %[[S:.*]], %[[A:[^ ]*]] on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: %[[T:.*]] = plan.all_gather %[[S]], %[[B]] on @dp {{{.*}}plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32> -> !plan.token
// CHECK-NEXT: plan.kernel "relu" ins(%[[A]] : memref<8xf32>)
// CHECK: plan.wait %[[T]]
// CHECK-NEXT: plan.kernel "neg" ins(%[[B]] : memref<8xf32>)
// A gather larger than the prefetch budget stays where it is.
// SMALL-NOT: !plan.token
// SMALL-NOT: plan.wait
// The wait becomes a runtime call on the collective it waits for.
// LLVM: llvm.func @dsrt_collective_wait(!llvm.ptr, i32)
// LLVM: %[[C1:.*]] = llvm.mlir.constant(1 : i32) : i32
// LLVM-NEXT: llvm.call @dsrt_collective_at(%{{.*}}, %[[C1]], %{{.*}})
// LLVM: llvm.call @dsrt_collective_wait(%{{.*}}, %{{.*}}) : (!llvm.ptr, i32) -> ()
module {
  plan.group @dp ranks [0, 1]
  func.func @step() {
    %shard = memref.alloc() {plan.persistent} : memref<5xf32>
    %t = memref.alloc() : memref<8xf32>
    %w1 = memref.alloc() : memref<8xf32>
    plan.all_gather %shard, %w1 on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
    plan.kernel "relu" ins(%w1 : memref<8xf32>) outs(%t : memref<8xf32>)
    %x = memref.alloc() : memref<8xf32>
    %w2 = memref.alloc() : memref<8xf32>
    plan.all_gather %shard, %w2 on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
    plan.kernel "neg" ins(%w2 : memref<8xf32>) outs(%x : memref<8xf32>)
    return
  }
}

// -----

// A gather into a buffer the step did not allocate cannot move.
module {
  plan.group @dp ranks [0, 1]
  func.func @step() {
    %shard = memref.alloc() {plan.persistent} : memref<5xf32>
    %w1 = memref.alloc() : memref<8xf32>
    plan.all_gather %shard, %w1 on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
    %g = memref.get_global @w : memref<8xf32>
    // expected-error @+1 {{gathers into a buffer that is not allocated in the step, so it cannot be issued ahead}}
    plan.all_gather %shard, %g on @dp {counts = array<i64: 5, 3>, offsets = array<i64: 0, 0>, plan.flat_range = array<i64: 0, 8>} : memref<5xf32>, memref<8xf32>
    return
  }
  memref.global "private" @w : memref<8xf32>
}
