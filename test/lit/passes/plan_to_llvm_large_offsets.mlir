// RUN: ds-opt %s -convert-plan-to-llvm | FileCheck %s
// passes/PlanToLLVMPass.cpp: a buffer placed far into the arena gets its whole
// offset (an i64 index). A GEP's constant index keeps only 29 bits: 3e9 would
// be cut to 32 bits, and 991088640 (below 2^31, the GPT-2-small-size arena)
// silently became -82653184 there.

// CHECK: llvm.func @dsc_step(%{{.*}}: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr)
// CHECK: llvm.getelementptr %[[ARENA]][64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[MID:.*]] = llvm.mlir.constant(991088640 : i64) : i64
// CHECK-NEXT: llvm.getelementptr %[[ARENA]][%[[MID]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[FAR:.*]] = llvm.mlir.constant(3000000000 : i64) : i64
// CHECK-NEXT: llvm.getelementptr %[[ARENA]][%[[FAR]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
func.func @step(%arena: memref<3000000064xi8> {plan.arena}) attributes {plan.arena_size = 3000000064 : i64, plan.persistent_bytes = 0 : i64} {
  %c64 = arith.constant 64 : index
  %x = memref.view %arena[%c64][] {plan.offset = 64 : i64} : memref<3000000064xi8> to memref<4xf32>
  %c991m = arith.constant 991088640 : index
  %m = memref.view %arena[%c991m][] {plan.offset = 991088640 : i64} : memref<3000000064xi8> to memref<4xf32>
  %c3g = arith.constant 3000000000 : index
  %y = memref.view %arena[%c3g][] {plan.offset = 3000000000 : i64} : memref<3000000064xi8> to memref<4xf32>
  plan.kernel "relu" ins(%x : memref<4xf32>) outs(%m : memref<4xf32>)
  plan.kernel "relu" ins(%m : memref<4xf32>) outs(%y : memref<4xf32>)
  return
}
