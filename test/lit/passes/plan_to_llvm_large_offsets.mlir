// RUN: ds-opt %s -convert-plan-to-llvm | FileCheck %s
// passes/PlanToLLVMPass.cpp: a buffer placed past 2 GiB into the arena gets
// its whole offset (an i64 index), not one cut to 32 bits.

// CHECK: llvm.func @dsc_step(%{{.*}}: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr)
// CHECK: llvm.getelementptr %[[ARENA]][64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[FAR:.*]] = llvm.mlir.constant(3000000000 : i64) : i64
// CHECK-NEXT: llvm.getelementptr %[[ARENA]][%[[FAR]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
func.func @step(%arena: memref<3000000064xi8> {plan.arena}) attributes {plan.arena_size = 3000000064 : i64, plan.persistent_bytes = 0 : i64} {
  %c64 = arith.constant 64 : index
  %x = memref.view %arena[%c64][] {plan.offset = 64 : i64} : memref<3000000064xi8> to memref<4xf32>
  %c3g = arith.constant 3000000000 : index
  %y = memref.view %arena[%c3g][] {plan.offset = 3000000000 : i64} : memref<3000000064xi8> to memref<4xf32>
  plan.kernel "relu_f32" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
  return
}
