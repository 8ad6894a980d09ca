// RUN: ds-opt %s -accumulate-gradients | FileCheck %s
// passes/AccumulateGradientsPass.cpp: what the step did with a gradient
// buffer now uses a temporary, which is added into the gradient buffer
// after its last use, so micro-steps sum up in the buffer. b's gradient is
// written in two parts and read in between.

// CHECK-LABEL: func.func @step
// CHECK: %[[G:.*]] = memref.alloc() {plan.grad = "b", plan.persistent} : memref<4xf32>
// CHECK-NEXT: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: plan.kernel "copy" ins(%{{.*}} : memref<4xf32>) outs(%[[T]] : memref<4xf32>)
// CHECK-NEXT: plan.kernel "relu" ins(%[[T]] : memref<4xf32>) outs(%[[T]] : memref<4xf32>)
// CHECK-NEXT: plan.kernel "add" ins(%[[G]], %[[T]] : memref<4xf32>, memref<4xf32>) outs(%[[G]] : memref<4xf32>)
// CHECK-NEXT: return
module {
  memref.global "private" constant @one : memref<4xf32> = dense<1.0>
  func.func @step() {
    %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
    %c = memref.get_global @one : memref<4xf32>
    %g = memref.alloc() {plan.grad = "b", plan.persistent} : memref<4xf32>
    plan.kernel "copy" ins(%c : memref<4xf32>) outs(%g : memref<4xf32>)
    plan.kernel "relu" ins(%g : memref<4xf32>) outs(%g : memref<4xf32>)
    return
  }
}
