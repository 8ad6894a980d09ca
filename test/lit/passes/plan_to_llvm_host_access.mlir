// RUN: ds-opt %s -convert-plan-to-llvm | FileCheck %s
// passes/PlanToLLVMPass.cpp: what is not a kernel. A buffer copy and a
// zeroing are runtime calls (on a GPU they run on the kernels' stream), and
// the generated code's own reads and writes of a scalar wait for the
// device first (dsrt_host_sync).

// CHECK: llvm.func @dsc_step(%[[CTX:.*]]: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr)
// CHECK: %[[A:.*]] = llvm.getelementptr %[[ARENA]][0]
// CHECK: %[[B:.*]] = llvm.getelementptr %[[ARENA]][64]
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK: llvm.call @dsrt_copy(%[[CTX]], %[[B]], %[[A]], %[[BYTES]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK: llvm.call @dsrt_zero(%[[CTX]], %[[A]], %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK: llvm.call @dsrt_host_sync(%[[CTX]]) : (!llvm.ptr) -> ()
// CHECK-NEXT: %[[SLOT:.*]] = llvm.getelementptr %[[B]]
// CHECK-NEXT: %[[V:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> f32
// CHECK: llvm.call @dsrt_host_sync(%[[CTX]]) : (!llvm.ptr) -> ()
// CHECK-NEXT: %[[SLOT2:.*]] = llvm.getelementptr %[[A]]
// CHECK-NEXT: llvm.store %[[V]], %[[SLOT2]] : f32, !llvm.ptr
// CHECK-NOT: llvm.intr.mem
// CHECK: llvm.return
func.func @step(%arena: memref<128xi8> {plan.arena}) attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 128 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.view %arena[%c0][] {plan.offset = 0 : i64} : memref<128xi8> to memref<4xf32>
  %c64 = arith.constant 64 : index
  %b = memref.view %arena[%c64][] {plan.offset = 64 : i64} : memref<128xi8> to memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  plan.zero %a : memref<4xf32>
  %c1 = arith.constant 1 : index
  %v = memref.load %b[%c1] : memref<4xf32>
  memref.store %v, %a[%c0] : memref<4xf32>
  return
}
