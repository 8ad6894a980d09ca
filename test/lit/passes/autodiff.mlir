// RUN: ds-opt %s -split-input-file -graph-autodiff -verify-diagnostics | FileCheck %s
// Reverse-mode differentiation (passes/AutodiffPass.cpp with the rules of
// passes/GradientRules.cpp): rules, accumulation of tied weights,
// unbroadcasting, zeros for unused parameters, and the errors.

// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<f32> {graph.output = "loss"}, tensor<8x8xf32> {graph.grad = "w"}, tensor<8xf32> {graph.grad = "b"}, tensor<3xf32> {graph.grad = "unused"})
// CHECK: %[[LOSS:.*]], %[[LOGP:.*]] = graph.softmax_cross_entropy_loss
// CHECK: %[[SEED:.*]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DLOGITS:.*]] = graph.softmax_cross_entropy_loss_grad %[[LOGP]], %{{.*}}, %[[SEED]]
// The second use of w: dW2 = relu^T . dlogits.
// CHECK: %[[DW2:.*]] = graph.matmul %{{.*}}, %[[DLOGITS]] : tensor<8x4xf32>, tensor<4x8xf32>
// relu: the gradient passes where the input is positive.
// CHECK: %[[POS:.*]] = graph.greater
// CHECK: %[[DH:.*]] = graph.where %[[POS]]
// The bias was broadcast over rows: its gradient sums them.
// CHECK: %[[DBSUM:.*]] = graph.reduce_sum %[[DH]] <{axes = array<i64: 0>, keepdims = true}> : tensor<4x8xf32>
// CHECK: %[[DB:.*]] = graph.reshape %[[DBSUM]] : tensor<1x8xf32> -> tensor<8xf32>
// CHECK: %[[DW1:.*]] = graph.matmul %{{.*}}, %[[DH]] : tensor<8x4xf32>, tensor<4x8xf32>
// w is used twice (tied): the contributions add up.
// CHECK: %[[DW:.*]] = graph.add %[[DW2]], %[[DW1]]
// CHECK: %[[ZERO:.*]] = graph.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: return %[[LOSS]], %[[DW]], %[[DB]], %[[ZERO]]
func.func @main(%x: tensor<4x8xf32> {graph.input = "x"}, %t: tensor<4xi64> {graph.input = "t"}, %w: tensor<8x8xf32> {graph.param = "w"}, %b: tensor<8xf32> {graph.param = "b"}, %unused: tensor<3xf32> {graph.param = "unused"}) -> (tensor<f32> {graph.output = "loss"}) {
  %0 = graph.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %1 = graph.add %0, %b : tensor<4x8xf32>, tensor<8xf32>
  %2 = graph.relu %1 : tensor<4x8xf32>
  %3 = graph.matmul %2, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %l, %p = graph.softmax_cross_entropy_loss %3, %t : (tensor<4x8xf32>, tensor<4xi64>) -> (tensor<f32>, tensor<4x8xf32>)
  return %l : tensor<f32>
}

// -----

// Elementwise rules: tanh' = 1 - y^2, d(p/b)/dp = 1/b, d(p/b)/db = -y/b,
// d(a*b)/da = b; b gets both its contributions.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {graph.grad = "a"}, tensor<4xf32> {graph.grad = "b"})
// CHECK: %[[P:.*]] = graph.mul %arg0, %arg1
// CHECK: %[[Q:.*]] = graph.div %[[P]], %arg1
// CHECK: %[[T:.*]] = graph.tanh %[[Q]]
// CHECK: %[[SQ:.*]] = graph.mul %[[T]], %[[T]]
// CHECK: %[[ONE:.*]] = graph.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DT:.*]] = graph.sub %[[ONE]], %[[SQ]]
// CHECK: %[[DQ:.*]] = graph.mul %{{.*}}, %[[DT]]
// CHECK: %[[YDQ:.*]] = graph.mul %[[DQ]], %[[Q]]
// CHECK: %[[YDQB:.*]] = graph.div %[[YDQ]], %arg1
// CHECK: %[[DBQ:.*]] = graph.neg %[[YDQB]]
// CHECK: %[[DP:.*]] = graph.div %[[DQ]], %arg1
// CHECK: %[[DBP:.*]] = graph.mul %[[DP]], %arg0
// CHECK: %[[DA:.*]] = graph.mul %[[DP]], %arg1
// CHECK: %[[DB:.*]] = graph.add %[[DBQ]], %[[DBP]]
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @main(%a: tensor<4xf32> {graph.param = "a"}, %b: tensor<4xf32> {graph.param = "b"}) -> tensor<f32> {
  %p = graph.mul %a, %b : tensor<4xf32>, tensor<4xf32>
  %q = graph.div %p, %b : tensor<4xf32>, tensor<4xf32>
  %t = graph.tanh %q : tensor<4xf32>
  %l = graph.reduce_sum %t <{axes = array<i64: 0>, keepdims = false}> : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{the loss must be a float scalar, got 'tensor<4xf32>'}}
func.func @main(%a: tensor<4xf32> {graph.param = "a"}) -> tensor<4xf32> {
  %t = graph.tanh %a : tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

func.func @main(%d: tensor<8xf32> {graph.input = "d"}, %i: tensor<2x1xi64> {graph.input = "i"}, %u: tensor<2xf32> {graph.param = "u"}) -> tensor<f32> {
  // expected-error @+1 {{'graph.scatter_nd' op has no gradient rule for its updates}}
  %s = graph.scatter_nd %d, %i, %u : tensor<8xf32>, tensor<2x1xi64>, tensor<2xf32>
  %l = graph.reduce_sum %s <{axes = array<i64: 0>, keepdims = false}> : tensor<8xf32>
  return %l : tensor<f32>
}
