// RUN: ds-opt %s | FileCheck %s
// RUN: ds-opt %s | ds-opt | FileCheck %s
// Every graph op parses, verifies and prints back in the same form.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xi1>) -> tensor<2x3xf32> {
  // CHECK: graph.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32>
  %0 = graph.add %a, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.sub
  %1 = graph.sub %0, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.mul
  %2 = graph.mul %1, %a : tensor<2x3xf32>, tensor<2x3xf32>
  // CHECK: graph.div
  %3 = graph.div %2, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.pow
  %4 = graph.pow %3, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.min
  %5 = graph.min %4, %a : tensor<2x3xf32>, tensor<2x3xf32>
  // CHECK: graph.max
  %6 = graph.max %5, %a : tensor<2x3xf32>, tensor<2x3xf32>
  // CHECK: graph.equal
  %7 = graph.equal %6, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.less
  %8 = graph.less %6, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.less_equal
  %9 = graph.less_equal %6, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.greater
  %10 = graph.greater %6, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.greater_equal
  %11 = graph.greater_equal %6, %b : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.where %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>
  %12 = graph.where %11, %6, %b : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>
  // CHECK: graph.neg
  %13 = graph.neg %12 : tensor<2x3xf32>
  // CHECK: graph.abs
  %14 = graph.abs %13 : tensor<2x3xf32>
  // CHECK: graph.sqrt
  %15 = graph.sqrt %14 : tensor<2x3xf32>
  // CHECK: graph.reciprocal
  %16 = graph.reciprocal %15 : tensor<2x3xf32>
  // CHECK: graph.exp
  %17 = graph.exp %16 : tensor<2x3xf32>
  // CHECK: graph.log
  %18 = graph.log %17 : tensor<2x3xf32>
  // CHECK: graph.tanh
  %19 = graph.tanh %18 : tensor<2x3xf32>
  // CHECK: graph.sigmoid
  %20 = graph.sigmoid %19 : tensor<2x3xf32>
  // CHECK: graph.relu
  %21 = graph.relu %20 : tensor<2x3xf32>
  // CHECK: graph.erf
  %22 = graph.erf %21 : tensor<2x3xf32>
  // CHECK: graph.gelu %{{.*}} <{approximate = #graph.approximate<tanh>}> : tensor<2x3xf32>
  %23 = graph.gelu %22 <{approximate = #graph.approximate<tanh>}> : tensor<2x3xf32>
  // CHECK: graph.is_nan %{{.*}} : tensor<2x3xf32>
  %24 = graph.is_nan %23 : tensor<2x3xf32>
  // CHECK: graph.cast %{{.*}} : tensor<2x3xi1> -> tensor<2x3xf32>
  %25 = graph.cast %24 : tensor<2x3xi1> -> tensor<2x3xf32>
  return %25 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @normalisation
func.func @normalisation(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %labels: tensor<4xi64>) -> tensor<f32> {
  // CHECK: graph.softmax %{{.*}} <{axis = 1 : i64}> : tensor<4x8xf32>
  %0 = graph.softmax %x <{axis = 1 : i64}> : tensor<4x8xf32>
  // CHECK: graph.log_softmax
  %1 = graph.log_softmax %0 <{axis = 1 : i64}> : tensor<4x8xf32>
  // CHECK: graph.layer_norm {{.*}} -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  %y, %m, %r = graph.layer_norm %1, %s, %s <{axis = 1 : i64, epsilon = 1.0e-05 : f64}> : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  // CHECK: graph.dropout %{{.*}} <{ratio = 1.000000e-01 : f64, seed = 7 : i64}> : tensor<4x8xf32>
  %d, %mask = graph.dropout %y <{ratio = 0.1 : f64, seed = 7 : i64}> : tensor<4x8xf32>
  // CHECK: graph.softmax_cross_entropy_loss {{.*}} <{ignore_index = -100 : i64}> : (tensor<4x8xf32>, tensor<4xi64>) -> (tensor<f32>, tensor<4x8xf32>)
  %loss, %logp = graph.softmax_cross_entropy_loss %d, %labels <{ignore_index = -100 : i64}> : (tensor<4x8xf32>, tensor<4xi64>) -> (tensor<f32>, tensor<4x8xf32>)
  // CHECK: graph.nll_loss {{.*}} <{reduction = #graph.loss_reduction<sum>}> : (tensor<4x8xf32>, tensor<4xi64>, tensor<8xf32>) -> tensor<f32>
  %nll = graph.nll_loss %logp, %labels, %s <{reduction = #graph.loss_reduction<sum>}> : (tensor<4x8xf32>, tensor<4xi64>, tensor<8xf32>) -> tensor<f32>
  %sum = graph.add %loss, %nll : tensor<f32>, tensor<f32>
  return %sum : tensor<f32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%a: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %v: tensor<8xf32>, %img: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>, %kb: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: graph.matmul %{{.*}} : tensor<2x4x8xf32>, tensor<8x16xf32>
  %0 = graph.matmul %a, %w : tensor<2x4x8xf32>, tensor<8x16xf32>
  // CHECK: graph.matmul %{{.*}} : tensor<2x4x8xf32>, tensor<8xf32>
  %1 = graph.matmul %a, %v : tensor<2x4x8xf32>, tensor<8xf32>
  // CHECK: graph.reduce_sum %{{.*}} <{axes = array<i64: 1>, keepdims = false}> : tensor<2x4x16xf32>
  %2 = graph.reduce_sum %0 <{axes = array<i64: 1>, keepdims = false}> : tensor<2x4x16xf32>
  // CHECK: graph.reduce_mean
  %3 = graph.reduce_mean %0 <{axes = array<i64: 0, 2>, keepdims = true}> : tensor<2x4x16xf32>
  // CHECK: graph.reduce_max
  %4 = graph.reduce_max %1 <{axes = array<i64: 1>, keepdims = true}> : tensor<2x4xf32>
  // CHECK: graph.conv {{.*}} -> tensor<1x4x4x4xf32>
  %5 = graph.conv %img, %k, %kb <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %5 : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %ids: tensor<5xi64>, %table: tensor<10x4xf32>, %idx: tensor<2x1xi64>, %m: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // CHECK: graph.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = graph.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: graph.transpose %{{.*}} <{perm = array<i64: 2, 0, 1>}> : tensor<2x3x4xf32>
  %1 = graph.transpose %x <{perm = array<i64: 2, 0, 1>}> : tensor<2x3x4xf32>
  // CHECK: graph.slice
  %2 = graph.slice %x <{ends = array<i64: 2, 3, -1>, starts = array<i64: 0, 1, 3>, steps = array<i64: 1, 1, -2>}> : tensor<2x3x4xf32>
  // CHECK: graph.concat %{{.*}} <{axis = 0 : i64}> : tensor<6x4xf32>, tensor<10x4xf32>
  %3 = graph.concat %0, %table <{axis = 0 : i64}> : tensor<6x4xf32>, tensor<10x4xf32>
  // CHECK: graph.expand %{{.*}} : tensor<2x1xi64> -> tensor<2x4xi64>
  %4 = graph.expand %idx : tensor<2x1xi64> -> tensor<2x4xi64>
  // CHECK: graph.gather %{{.*}} <{axis = 0 : i64}> : tensor<10x4xf32>, tensor<5xi64>
  %5 = graph.gather %table, %ids <{axis = 0 : i64}> : tensor<10x4xf32>, tensor<5xi64>
  // CHECK: graph.gather_elements
  %6 = graph.gather_elements %m, %idx <{axis = 1 : i64}> : tensor<4x4xf32>, tensor<2x1xi64>
  // CHECK: graph.scatter_nd %{{.*}} <{reduction = #graph.scatter_reduction<add>}> : tensor<10x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>
  %upd = graph.expand %6 : tensor<2x1xf32> -> tensor<2x4xf32>
  %7 = graph.scatter_nd %table, %idx, %upd <{reduction = #graph.scatter_reduction<add>}> : tensor<10x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>
  // CHECK: graph.pad %{{.*}} <{mode = #graph.pad_mode<edge>, pads = array<i64: 0, 1, 0, 1>}> : tensor<4x4xf32>
  %8 = graph.pad %m <{mode = #graph.pad_mode<edge>, pads = array<i64: 0, 1, 0, 1>}> : tensor<4x4xf32>
  // CHECK: graph.trilu %{{.*}} <{upper = false}> : tensor<4x4xf32>
  %t = graph.trilu %m <{upper = false}> : tensor<4x4xf32>
  // CHECK: graph.trilu %{{.*}}, %{{.*}} <{upper = true}> : tensor<4x4xf32>, tensor<i64>
  %k = graph.constant dense<1> : tensor<i64>
  %9 = graph.trilu %t, %k <{upper = true}> : tensor<4x4xf32>, tensor<i64>
  // CHECK: graph.constant dense<1.000000e+00> : tensor<4x4xf32>
  %10 = graph.constant dense<1.0> : tensor<4x4xf32>
  %11 = graph.add %9, %10 : tensor<4x4xf32>, tensor<4x4xf32>
  return %11 : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @gradients
func.func @gradients(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %m: tensor<4x1xf32>, %t: tensor<4xi64>, %img: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>, %dimg: tensor<1x4x4x4xf32>, %ids: tensor<2x3xi64>, %demb: tensor<2x3x8xf32>, %l: tensor<f32>) -> tensor<4x8xf32> {
  // CHECK: graph.softmax_grad %{{.*}}, %{{.*}} <{axis = 1 : i64}> : tensor<4x8xf32>
  %0 = graph.softmax_grad %x, %x <{axis = 1 : i64}> : tensor<4x8xf32>
  // CHECK: graph.log_softmax_grad
  %1 = graph.log_softmax_grad %0, %x <{axis = 1 : i64}> : tensor<4x8xf32>
  // CHECK: graph.layer_norm_grad {{.*}} -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  %dx, %ds, %db = graph.layer_norm_grad %x, %s, %m, %m, %1 <{axis = 1 : i64}> : (tensor<4x8xf32>, tensor<8xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  // CHECK: graph.gelu_grad %{{.*}} <{approximate = #graph.approximate<tanh>}> : tensor<4x8xf32>
  %2 = graph.gelu_grad %x, %dx <{approximate = #graph.approximate<tanh>}> : tensor<4x8xf32>
  // CHECK: graph.conv_grad_input {{.*}} -> tensor<1x3x8x8xf32>
  %3 = graph.conv_grad_input %dimg, %k <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  // CHECK: graph.conv_grad_filter {{.*}} -> tensor<4x3x3x3xf32>
  %4 = graph.conv_grad_filter %img, %dimg <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x3x8x8xf32>, tensor<1x4x4x4xf32>) -> tensor<4x3x3x3xf32>
  // CHECK: graph.gather_grad {{.*}} -> tensor<16x8xf32>
  %5 = graph.gather_grad %ids, %demb <{axis = 0 : i64}> : (tensor<2x3xi64>, tensor<2x3x8xf32>) -> tensor<16x8xf32>
  // CHECK: graph.gather_elements_grad {{.*}} -> tensor<4x8xf32>
  %idx = graph.constant dense<0> : tensor<4x1xi64>
  %col = graph.slice %x <{ends = array<i64: 4, 1>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}> : tensor<4x8xf32>
  %6 = graph.gather_elements_grad %idx, %col <{axis = 1 : i64}> : (tensor<4x1xi64>, tensor<4x1xf32>) -> tensor<4x8xf32>
  // CHECK: graph.slice_grad %{{.*}} : tensor<4x1xf32> -> tensor<4x8xf32>
  %7 = graph.slice_grad %col <{ends = array<i64: 4, 1>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}> : tensor<4x1xf32> -> tensor<4x8xf32>
  // CHECK: graph.pad_grad %{{.*}} <{mode = #graph.pad_mode<reflect>, pads = array<i64: 0, 1, 0, 1>}> : tensor<4x10xf32> -> tensor<4x8xf32>
  %padded = graph.pad %x <{mode = #graph.pad_mode<reflect>, pads = array<i64: 0, 1, 0, 1>}> : tensor<4x8xf32>
  %8 = graph.pad_grad %padded <{mode = #graph.pad_mode<reflect>, pads = array<i64: 0, 1, 0, 1>}> : tensor<4x10xf32> -> tensor<4x8xf32>
  // CHECK: graph.softmax_cross_entropy_loss_grad {{.*}} : (tensor<4x8xf32>, tensor<4xi64>, tensor<f32>) -> tensor<4x8xf32>
  %9 = graph.softmax_cross_entropy_loss_grad %x, %t, %l <{ignore_index = -100 : i64}> : (tensor<4x8xf32>, tensor<4xi64>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: graph.nll_loss_grad {{.*}} <{reduction = #graph.loss_reduction<sum>}> : (tensor<4xi64>, tensor<f32>, tensor<8xf32>) -> tensor<4x8xf32>
  %10 = graph.nll_loss_grad %t, %l, %s <{reduction = #graph.loss_reduction<sum>}> : (tensor<4xi64>, tensor<f32>, tensor<8xf32>) -> tensor<4x8xf32>
  %sum = graph.add %9, %10 : tensor<4x8xf32>, tensor<4x8xf32>
  return %sum : tensor<4x8xf32>
}
