// RUN: ds-opt %s -convert-plan-to-llvm | FileCheck %s
// passes/PlanToLLVMPass.cpp.
// The planned step becomes dsc_step(ctx, arena): each kernel's buffer
// addresses (arena + offset, or a constant's global) go into one stack array,
// and the kernel's entry point for its element type is called directly with
// them, its site's constants and its location (kernels/KernelDecls.def).

// Each call site's constants: the buffer counts, the offsets of each
// buffer's record and of the attributes, the records (rank, dims), then the
// attributes (softmax's axis -1, normalised to 0).
// CHECK: llvm.mlir.global internal constant @dsc_site_0(dense<[2, 1, 6, 8, 9, 11, 1, 4, 0, 1, 4]> : tensor<11xi64>)
// CHECK: llvm.mlir.global internal constant @dsc_location_0("mul_node\00")
// CHECK: llvm.mlir.global internal constant @dsc_site_1(dense<[1, 1, 5, 7, 9, 1, 4, 1, 4]> : tensor<9xi64>)
// CHECK: llvm.mlir.global internal constant @dsc_location_1("\00")
// CHECK: llvm.mlir.global internal constant @dsc_site_2(dense<[1, 1, 5, 7, 9, 1, 4, 1, 4, 0]> : tensor<10xi64>)
// The graph op's enum attribute is the kernel's enum value (tanh = 1).
// CHECK: llvm.mlir.global internal constant @dsc_site_3(dense<[1, 1, 5, 7, 9, 1, 4, 1, 4, 1]> : tensor<10xi64>)
// Constants kernels read lie in one section (a GPU rank copies it).
// CHECK: llvm.mlir.global internal constant @cst_0(dense<2.000000e+00> : tensor<1xf32>) {addr_space = 0 : i32, alignment = 64 : i64, section = "dsc_consts"} : !llvm.array<1 x f32>
// CHECK: llvm.mlir.global internal constant @cst_1(dense<[1, 0]> : tensor<2xi8>)
// CHECK: llvm.func @dsrt_k_mul_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK: llvm.func @dsrt_k_relu_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK: llvm.func @dsrt_k_softmax_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK: llvm.func @dsc_step(%[[CTX:.*]]: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr)
// CHECK: %[[N:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK: %[[ADDRS:.*]] = llvm.alloca %[[N]] x !llvm.ptr
// CHECK: %[[X:.*]] = llvm.getelementptr %[[ARENA]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[Y:.*]] = llvm.getelementptr %[[ARENA]][64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[TWO:.*]] = llvm.mlir.addressof @cst_0 : !llvm.ptr
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[ADDRS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %[[X]], %[[S0]]
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[ADDRS]][1]
// CHECK: llvm.store %[[TWO]], %[[S1]]
// CHECK: %[[S2:.*]] = llvm.getelementptr %[[ADDRS]][2]
// CHECK: llvm.store %[[Y]], %[[S2]]
// CHECK: %[[SITE0:.*]] = llvm.mlir.addressof @dsc_site_0 : !llvm.ptr
// CHECK: %[[LOC0:.*]] = llvm.mlir.addressof @dsc_location_0 : !llvm.ptr
// CHECK: llvm.call @dsrt_k_mul_f32(%[[CTX]], %[[ADDRS]], %[[SITE0]], %[[LOC0]])
// CHECK: llvm.call @dsrt_k_relu_f32(%[[CTX]], %[[ADDRS]], %{{.*}}, %{{.*}})
// CHECK: %[[SITE2:.*]] = llvm.mlir.addressof @dsc_site_2 : !llvm.ptr
// CHECK: llvm.call @dsrt_k_softmax_f32(%[[CTX]], %[[ADDRS]], %[[SITE2]], %{{.*}})
// CHECK: llvm.call @dsrt_k_gelu_f32
// CHECK: llvm.return
// CHECK-NOT: plan.
// CHECK-NOT: memref.
memref.global "private" constant @cst_0 : memref<f32> = dense<2.0>
memref.global "private" constant @cst_1 : memref<2xi1> = dense<[true, false]>
func.func @step(%arena: memref<128xi8> {plan.arena}) attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 128 : i64} {
  %c0 = arith.constant 0 : index
  %x = memref.view %arena[%c0][] {plan.offset = 0 : i64} : memref<128xi8> to memref<4xf32>
  %c64 = arith.constant 64 : index
  %y = memref.view %arena[%c64][] {plan.offset = 64 : i64} : memref<128xi8> to memref<4xf32>
  %two = memref.get_global @cst_0 : memref<f32>
  plan.kernel "mul" ins(%x, %two : memref<4xf32>, memref<f32>) outs(%y : memref<4xf32>) loc("mul_node")
  plan.kernel "relu" ins(%y : memref<4xf32>) outs(%x : memref<4xf32>)
  plan.kernel "softmax" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {axis = -1 : i64}
  plan.kernel "gelu" ins(%y : memref<4xf32>) outs(%x : memref<4xf32>) {approximate = #graph.approximate<tanh>}
  return
}
