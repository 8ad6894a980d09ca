// Gradient checks: one function per differentiable graph op (and the
// variants whose rules differ). graph-gradcheck differentiates each with
// graph-autodiff and compares against central finite differences in f64.

func.func @add_broadcast(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.add %a, %b : tensor<2x3xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @sub_broadcast(%a: tensor<2x1xf64> {graph.param = "a"}, %b: tensor<3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.sub %a, %b : tensor<2x1xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @mul_broadcast(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<2x1xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.mul %a, %b : tensor<2x3xf64>, tensor<2x1xf64>
  return %0 : tensor<2x3xf64>
}
func.func @div(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<3xf64> {graph.param = "b", gradcheck.min = 0.5 : f64, gradcheck.max = 2.0 : f64}) -> tensor<2x3xf64> {
  %0 = graph.div %a, %b : tensor<2x3xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @pow(%a: tensor<2x3xf64> {graph.param = "a", gradcheck.min = 0.5 : f64, gradcheck.max = 2.0 : f64}, %b: tensor<3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.pow %a, %b : tensor<2x3xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @pow_constant_exponent(%a: tensor<4xf64> {graph.param = "a"}) -> tensor<4xf64> {
  %e = graph.constant dense<3.0> : tensor<f64>
  %0 = graph.pow %a, %e : tensor<4xf64>, tensor<f64>
  return %0 : tensor<4xf64>
}
func.func @min(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<2x3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.min %a, %b : tensor<2x3xf64>, tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @max(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.max %a, %b : tensor<2x3xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @where(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %c = graph.constant dense<[[true, false, true], [false, false, true]]> : tensor<2x3xi1>
  %0 = graph.where %c, %a, %b : tensor<2x3xi1>, tensor<2x3xf64>, tensor<3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @neg(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.neg %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @abs(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.abs %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @sqrt(%a: tensor<5xf64> {graph.param = "a", gradcheck.min = 0.5 : f64, gradcheck.max = 2.0 : f64}) -> tensor<5xf64> {
  %0 = graph.sqrt %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @reciprocal(%a: tensor<5xf64> {graph.param = "a", gradcheck.min = 0.5 : f64, gradcheck.max = 2.0 : f64}) -> tensor<5xf64> {
  %0 = graph.reciprocal %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @exp(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.exp %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @log(%a: tensor<5xf64> {graph.param = "a", gradcheck.min = 0.5 : f64, gradcheck.max = 2.0 : f64}) -> tensor<5xf64> {
  %0 = graph.log %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @tanh(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.tanh %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @sigmoid(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.sigmoid %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @relu(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.relu %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @erf(%a: tensor<5xf64> {graph.param = "a"}) -> tensor<5xf64> {
  %0 = graph.erf %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @gelu_exact(%a: tensor<5xf64> {graph.param = "a", gradcheck.min = -3.0 : f64, gradcheck.max = 3.0 : f64}) -> tensor<5xf64> {
  %0 = graph.gelu %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @gelu_tanh(%a: tensor<5xf64> {graph.param = "a", gradcheck.min = -3.0 : f64, gradcheck.max = 3.0 : f64}) -> tensor<5xf64> {
  %0 = graph.gelu %a <{approximate = #graph.approximate<tanh>}> : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @softmax(%a: tensor<2x4xf64> {graph.param = "a"}) -> tensor<2x4xf64> {
  %0 = graph.softmax %a <{axis = 1 : i64}> : tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}
func.func @softmax_axis0(%a: tensor<3x2xf64> {graph.param = "a"}) -> tensor<3x2xf64> {
  %0 = graph.softmax %a <{axis = 0 : i64}> : tensor<3x2xf64>
  return %0 : tensor<3x2xf64>
}
func.func @log_softmax(%a: tensor<2x4xf64> {graph.param = "a"}) -> tensor<2x4xf64> {
  %0 = graph.log_softmax %a <{axis = 1 : i64}> : tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}
func.func @layer_norm(%x: tensor<2x3x4xf64> {graph.param = "x"}, %s: tensor<4xf64> {graph.param = "s"}, %b: tensor<4xf64> {graph.param = "b"}) -> tensor<2x3x4xf64> {
  %y, %m, %r = graph.layer_norm %x, %s, %b <{axis = 2 : i64, epsilon = 1.0e-05 : f64}> : (tensor<2x3x4xf64>, tensor<4xf64>, tensor<4xf64>) -> (tensor<2x3x4xf64>, tensor<2x3x1xf64>, tensor<2x3x1xf64>)
  return %y : tensor<2x3x4xf64>
}
func.func @layer_norm_two_axes_no_bias(%x: tensor<2x3x4xf64> {graph.param = "x"}, %s: tensor<3x4xf64> {graph.param = "s"}) -> tensor<2x3x4xf64> {
  %y, %m, %r = graph.layer_norm %x, %s <{axis = 1 : i64, epsilon = 1.0e-05 : f64}> : (tensor<2x3x4xf64>, tensor<3x4xf64>) -> (tensor<2x3x4xf64>, tensor<2x1x1xf64>, tensor<2x1x1xf64>)
  return %y : tensor<2x3x4xf64>
}
func.func @cross_entropy_mean_ignore(%x: tensor<4x5xf64> {graph.param = "x"}) -> tensor<f64> {
  %t = graph.constant dense<[1, -100, 4, 0]> : tensor<4xi64>
  %l, %p = graph.softmax_cross_entropy_loss %x, %t <{ignore_index = -100 : i64}> : (tensor<4x5xf64>, tensor<4xi64>) -> (tensor<f64>, tensor<4x5xf64>)
  return %l : tensor<f64>
}
func.func @cross_entropy_weighted_sum(%x: tensor<2x3x2xf64> {graph.param = "x"}) -> tensor<f64> {
  %t = graph.constant dense<[[0, 2], [1, 1]]> : tensor<2x2xi64>
  %w = graph.constant dense<[0.5, 2.0, 1.5]> : tensor<3xf64>
  %l, %p = graph.softmax_cross_entropy_loss %x, %t, %w <{reduction = #graph.loss_reduction<sum>}> : (tensor<2x3x2xf64>, tensor<2x2xi64>, tensor<3xf64>) -> (tensor<f64>, tensor<2x3x2xf64>)
  return %l : tensor<f64>
}
func.func @cross_entropy_none(%x: tensor<3x4xf64> {graph.param = "x"}) -> tensor<3xf64> {
  %t = graph.constant dense<[3, 0, 2]> : tensor<3xi64>
  %l, %p = graph.softmax_cross_entropy_loss %x, %t <{reduction = #graph.loss_reduction<none>}> : (tensor<3x4xf64>, tensor<3xi64>) -> (tensor<3xf64>, tensor<3x4xf64>)
  return %l : tensor<3xf64>
}
func.func @nll_weighted_mean(%x: tensor<4x3xf64> {graph.param = "x"}) -> tensor<f64> {
  %t = graph.constant dense<[2, 0, 1, 2]> : tensor<4xi64>
  %w = graph.constant dense<[1.0, 3.0, 0.5]> : tensor<3xf64>
  %l = graph.nll_loss %x, %t, %w : (tensor<4x3xf64>, tensor<4xi64>, tensor<3xf64>) -> tensor<f64>
  return %l : tensor<f64>
}
func.func @dropout(%a: tensor<4x4xf64> {graph.param = "a"}) -> tensor<4x4xf64> {
  %y, %m = graph.dropout %a <{ratio = 0.3 : f64, seed = 11 : i64}> : tensor<4x4xf64>
  return %y : tensor<4x4xf64>
}
func.func @matmul(%a: tensor<3x4xf64> {graph.param = "a"}, %b: tensor<4x2xf64> {graph.param = "b"}) -> tensor<3x2xf64> {
  %0 = graph.matmul %a, %b : tensor<3x4xf64>, tensor<4x2xf64>
  return %0 : tensor<3x2xf64>
}
func.func @matmul_batch_broadcast(%a: tensor<2x1x3x4xf64> {graph.param = "a"}, %b: tensor<3x4x2xf64> {graph.param = "b"}) -> tensor<2x3x3x2xf64> {
  %0 = graph.matmul %a, %b : tensor<2x1x3x4xf64>, tensor<3x4x2xf64>
  return %0 : tensor<2x3x3x2xf64>
}
func.func @matmul_vector_lhs(%a: tensor<4xf64> {graph.param = "a"}, %b: tensor<2x4x3xf64> {graph.param = "b"}) -> tensor<2x3xf64> {
  %0 = graph.matmul %a, %b : tensor<4xf64>, tensor<2x4x3xf64>
  return %0 : tensor<2x3xf64>
}
func.func @matmul_vector_rhs(%a: tensor<3x4xf64> {graph.param = "a"}, %b: tensor<4xf64> {graph.param = "b"}) -> tensor<3xf64> {
  %0 = graph.matmul %a, %b : tensor<3x4xf64>, tensor<4xf64>
  return %0 : tensor<3xf64>
}
func.func @conv(%x: tensor<2x3x6x5xf64> {graph.param = "x"}, %w: tensor<4x3x3x2xf64> {graph.param = "w"}, %b: tensor<4xf64> {graph.param = "b"}) -> tensor<2x4x3x4xf64> {
  %0 = graph.conv %x, %w, %b <{dilations = array<i64: 1, 2>, group = 1 : i64, pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 2, 1>}> : (tensor<2x3x6x5xf64>, tensor<4x3x3x2xf64>, tensor<4xf64>) -> tensor<2x4x3x4xf64>
  return %0 : tensor<2x4x3x4xf64>
}
func.func @conv_grouped(%x: tensor<1x4x5x5xf64> {graph.param = "x"}, %w: tensor<6x2x3x3xf64> {graph.param = "w"}) -> tensor<1x6x5x5xf64> {
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}> : (tensor<1x4x5x5xf64>, tensor<6x2x3x3xf64>) -> tensor<1x6x5x5xf64>
  return %0 : tensor<1x6x5x5xf64>
}
func.func @reduce_sum(%a: tensor<2x3x4xf64> {graph.param = "a"}) -> tensor<2x4xf64> {
  %0 = graph.reduce_sum %a <{axes = array<i64: 1>, keepdims = false}> : tensor<2x3x4xf64>
  return %0 : tensor<2x4xf64>
}
func.func @reduce_mean(%a: tensor<2x3x4xf64> {graph.param = "a"}) -> tensor<1x3x1xf64> {
  %0 = graph.reduce_mean %a <{axes = array<i64: 0, 2>, keepdims = true}> : tensor<2x3x4xf64>
  return %0 : tensor<1x3x1xf64>
}
func.func @reduce_max(%a: tensor<2x3x4xf64> {graph.param = "a"}) -> tensor<2x3xf64> {
  %0 = graph.reduce_max %a <{axes = array<i64: 2>, keepdims = false}> : tensor<2x3x4xf64>
  return %0 : tensor<2x3xf64>
}
func.func @reshape(%a: tensor<2x6xf64> {graph.param = "a"}) -> tensor<3x4xf64> {
  %0 = graph.reshape %a : tensor<2x6xf64> -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @transpose(%a: tensor<2x3x4xf64> {graph.param = "a"}) -> tensor<4x2x3xf64> {
  %0 = graph.transpose %a <{perm = array<i64: 2, 0, 1>}> : tensor<2x3x4xf64>
  return %0 : tensor<4x2x3xf64>
}
func.func @slice_negative_step(%a: tensor<4x6xf64> {graph.param = "a"}) -> tensor<2x3xf64> {
  %0 = graph.slice %a <{ends = array<i64: 3, -1>, starts = array<i64: 1, 5>, steps = array<i64: 1, -2>}> : tensor<4x6xf64>
  return %0 : tensor<2x3xf64>
}
func.func @concat(%a: tensor<2x3xf64> {graph.param = "a"}, %b: tensor<2x1xf64> {graph.param = "b"}) -> tensor<2x7xf64> {
  %0 = graph.concat %a, %b, %a <{axis = 1 : i64}> : tensor<2x3xf64>, tensor<2x1xf64>, tensor<2x3xf64>
  return %0 : tensor<2x7xf64>
}
func.func @expand(%a: tensor<3x1xf64> {graph.param = "a"}) -> tensor<2x3x4xf64> {
  %0 = graph.expand %a : tensor<3x1xf64> -> tensor<2x3x4xf64>
  return %0 : tensor<2x3x4xf64>
}
func.func @gather_embedding(%w: tensor<5x3xf64> {graph.param = "w"}) -> tensor<2x3x3xf64> {
  %ids = graph.constant dense<[[0, 4, 0], [-1, 2, 2]]> : tensor<2x3xi64>
  %0 = graph.gather %w, %ids <{axis = 0 : i64}> : tensor<5x3xf64>, tensor<2x3xi64>
  return %0 : tensor<2x3x3xf64>
}
func.func @gather_axis1(%w: tensor<2x4xf64> {graph.param = "w"}) -> tensor<2x3xf64> {
  %ids = graph.constant dense<[3, 0, 3]> : tensor<3xi64>
  %0 = graph.gather %w, %ids <{axis = 1 : i64}> : tensor<2x4xf64>, tensor<3xi64>
  return %0 : tensor<2x3xf64>
}
func.func @gather_elements(%w: tensor<3x4xf64> {graph.param = "w"}) -> tensor<3x2xf64> {
  %ids = graph.constant dense<[[0, 3], [1, 1], [-1, 2]]> : tensor<3x2xi64>
  %0 = graph.gather_elements %w, %ids <{axis = 1 : i64}> : tensor<3x4xf64>, tensor<3x2xi64>
  return %0 : tensor<3x2xf64>
}
func.func @scatter_nd_data(%d: tensor<5x2xf64> {graph.param = "d"}) -> tensor<5x2xf64> {
  %i = graph.constant dense<[[1], [3]]> : tensor<2x1xi64>
  %u = graph.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf64>
  %0 = graph.scatter_nd %d, %i, %u : tensor<5x2xf64>, tensor<2x1xi64>, tensor<2x2xf64>
  return %0 : tensor<5x2xf64>
}
func.func @pad_constant(%a: tensor<2x3xf64> {graph.param = "a"}) -> tensor<3x6xf64> {
  %0 = graph.pad %a <{pads = array<i64: 1, 2, 0, 1>, value = 0.5 : f64}> : tensor<2x3xf64>
  return %0 : tensor<3x6xf64>
}
func.func @pad_reflect(%a: tensor<3x4xf64> {graph.param = "a"}) -> tensor<5x7xf64> {
  %0 = graph.pad %a <{mode = #graph.pad_mode<reflect>, pads = array<i64: 1, 2, 1, 1>}> : tensor<3x4xf64>
  return %0 : tensor<5x7xf64>
}
func.func @pad_edge(%a: tensor<2x3xf64> {graph.param = "a"}) -> tensor<4x6xf64> {
  %0 = graph.pad %a <{mode = #graph.pad_mode<edge>, pads = array<i64: 1, 0, 1, 3>}> : tensor<2x3xf64>
  return %0 : tensor<4x6xf64>
}
func.func @pad_wrap_crop(%a: tensor<3x4xf64> {graph.param = "a"}) -> tensor<4x3xf64> {
  %0 = graph.pad %a <{mode = #graph.pad_mode<wrap>, pads = array<i64: 1, -1, 0, 0>}> : tensor<3x4xf64>
  return %0 : tensor<4x3xf64>
}
func.func @trilu(%a: tensor<2x4x4xf64> {graph.param = "a"}) -> tensor<2x4x4xf64> {
  %k = graph.constant dense<-1> : tensor<i64>
  %0 = graph.trilu %a, %k <{upper = false}> : tensor<2x4x4xf64>, tensor<i64>
  return %0 : tensor<2x4x4xf64>
}
func.func @attention_block(%x: tensor<2x4x6xf64> {graph.param = "x"}, %wq: tensor<6x6xf64> {graph.param = "wq"}, %wk: tensor<6x6xf64> {graph.param = "wk"}) -> tensor<2x4x4xf64> {
  %q = graph.matmul %x, %wq : tensor<2x4x6xf64>, tensor<6x6xf64>
  %k = graph.matmul %x, %wk : tensor<2x4x6xf64>, tensor<6x6xf64>
  %kt = graph.transpose %k <{perm = array<i64: 0, 2, 1>}> : tensor<2x4x6xf64>
  %s = graph.matmul %q, %kt : tensor<2x4x6xf64>, tensor<2x6x4xf64>
  %mask = graph.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %ninf = graph.constant dense<-1.0e9> : tensor<f64>
  %m = graph.where %mask, %s, %ninf : tensor<4x4xi1>, tensor<2x4x4xf64>, tensor<f64>
  %p = graph.softmax %m <{axis = 2 : i64}> : tensor<2x4x4xf64>
  return %p : tensor<2x4x4xf64>
}
func.func @matmul_transposed_operands(%a: tensor<2x4x3xf64> {graph.param = "a"}, %b: tensor<5x4xf64> {graph.param = "b"}) -> tensor<2x3x5xf64> {
  %0 = graph.matmul %a, %b <{transpose_lhs = true, transpose_rhs = true}> : tensor<2x4x3xf64>, tensor<5x4xf64>
  return %0 : tensor<2x3x5xf64>
}
func.func @matmul_transposed_rhs_batch(%a: tensor<2x3x4xf64> {graph.param = "a"}, %b: tensor<2x5x4xf64> {graph.param = "b"}) -> tensor<2x3x5xf64> {
  %0 = graph.matmul %a, %b <{transpose_rhs = true}> : tensor<2x3x4xf64>, tensor<2x5x4xf64>
  return %0 : tensor<2x3x5xf64>
}
// Cast's rule casts the gradient back to the input's type. Through a float32
// product the finite differences need a larger step (gradcheck.eps) and
// float32's tolerance (gradcheck.rtol).
func.func @cast_through_f32(%a: tensor<2x3xf64> {graph.param = "a"}) -> tensor<2x3xf64> attributes {gradcheck.eps = 1.0e-2 : f64, gradcheck.rtol = 1.0e-4 : f64} {
  %0 = graph.cast %a : tensor<2x3xf64> -> tensor<2x3xf32>
  %1 = graph.mul %0, %0 : tensor<2x3xf32>, tensor<2x3xf32>
  %2 = graph.cast %1 : tensor<2x3xf32> -> tensor<2x3xf64>
  return %2 : tensor<2x3xf64>
}
