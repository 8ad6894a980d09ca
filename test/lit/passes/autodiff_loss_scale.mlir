// RUN: ds-opt %s -graph-autodiff="loss-scale-input=true" | FileCheck %s
// RUN: ds-opt %s -graph-autodiff="loss-scale-input=true" -convert-graph-to-plan | FileCheck %s --check-prefix=PLAN
// passes/AutodiffPass.cpp with loss-scale-input (fp16's loss scaling): the
// loss adjoint's seed is a new last argument, tagged graph.loss_scale,
// which convert-graph-to-plan makes the step's loss_scale scalar.

// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[SCALE:[^:]*]]: tensor<f32> {graph.loss_scale}) -> (tensor<f32> {graph.output = "loss"}, tensor<8xf32> {graph.grad = "w"})
// CHECK-NOT: graph.constant dense<1.000000e+00>
// CHECK: %[[LOSS:.*]] = graph.reduce_sum
// CHECK: %[[SEED:.*]] = graph.reshape %[[SCALE]]
// CHECK: %[[GRAD:.*]] = graph.expand %[[SEED]]
// CHECK: return %[[LOSS]], %[[GRAD]]
// PLAN: memref.alloc() {plan.persistent, plan.scalar = "loss_scale"} : memref<f32>
func.func @main(%w: tensor<8xf32> {graph.param = "w"}) -> (tensor<f32> {graph.output = "loss"}) {
  %l = graph.reduce_sum %w <{axes = array<i64: 0>, keepdims = false}> : tensor<8xf32>
  return %l : tensor<f32>
}
