// RUN: ds-opt %s -graph-autodiff=loss=loss | FileCheck %s
// passes/AutodiffPass.cpp and passes/GradientRules.cpp.
// An embedding (gather), layer_norm and softmax use their dedicated grad ops;
// the named loss is differentiated, the other output is kept as it is.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<2x3x4xf32> {graph.output = "probs"}, tensor<f32> {graph.output = "loss"}, tensor<10x4xf32> {graph.grad = "emb"}, tensor<4xf32> {graph.grad = "gamma"}, tensor<4xf32> {graph.grad = "beta"})
// CHECK: %[[Y:.*]] = graph.softmax
// CHECK: graph.softmax_grad %[[Y]], %{{.*}} <{axis = 2 : i64}> : tensor<2x3x4xf32>
// CHECK: %[[DX:.*]], %[[DS:.*]], %[[DB:.*]] = graph.layer_norm_grad
// CHECK: %[[DE:.*]] = graph.gather_grad %{{.*}}, %[[DX]] <{axis = 0 : i64}> : (tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[DE]], %[[DS]], %[[DB]]
func.func @main(%ids: tensor<2x3xi64> {graph.input = "ids"}, %emb: tensor<10x4xf32> {graph.param = "emb"}, %gamma: tensor<4xf32> {graph.param = "gamma"}, %beta: tensor<4xf32> {graph.param = "beta"}) -> (tensor<2x3x4xf32> {graph.output = "probs"}, tensor<f32> {graph.output = "loss"}) {
  %e = graph.gather %emb, %ids <{axis = 0 : i64}> : tensor<10x4xf32>, tensor<2x3xi64>
  %y, %m, %r = graph.layer_norm %e, %gamma, %beta <{axis = 2 : i64, epsilon = 1.0e-05 : f64}> : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
  %s = graph.softmax %y <{axis = 2 : i64}> : tensor<2x3x4xf32>
  %t = graph.tanh %s : tensor<2x3x4xf32>
  %l = graph.reduce_mean %t <{axes = array<i64: 0, 1, 2>, keepdims = false}> : tensor<2x3x4xf32>
  return %s, %l : tensor<2x3x4xf32>, tensor<f32>
}

