// RUN: ds-opt %s -split-input-file -verify-diagnostics
// Every shape and type rule of the graph dialect, one case each.

func.func @binary_element_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{operands have different element types: f32 and i64}}
  %0 = graph.add %a, %b : tensor<2xf32>, tensor<2xi64>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand shapes are not broadcast-compatible: tensor<2x3xf32> and tensor<4xf32>}}
  %0 = graph.mul %a, %b : tensor<2x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @where_broadcast(%c: tensor<3xi1>, %a: tensor<2xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{operand shapes are not broadcast-compatible}}
  %0 = graph.where %c, %a, %b : tensor<3xi1>, tensor<2xf32>, tensor<2xf32>
  return
}

// -----

func.func @gelu_mode(%a: tensor<2xf32>) {
  // expected-error @+2 {{expected ::dsc::graph::GeluApproximate to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse Graph_GeluApproximateAttr parameter 'value'}}
  %0 = graph.gelu %a <{approximate = #graph.approximate<fast>}> : tensor<2xf32>
  return
}

// -----

// The ONNX spelling alone is not the attribute.
func.func @gelu_mode_string(%a: tensor<2xf32>) {
  // expected-error @+1 {{Invalid attribute `approximate` in property conversion: "tanh"}}
  %0 = graph.gelu %a <{approximate = "tanh"}> : tensor<2xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<2xf32>) {
  // expected-error @+1 {{changes the shape: 'tensor<2xf32>' -> 'tensor<3xi64>'}}
  %0 = graph.cast %a : tensor<2xf32> -> tensor<3xi64>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected 0..1)}}
  %0 = graph.softmax %a <{axis = 2 : i64}> : tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+2 {{scale of type tensor<4xf32> does not broadcast to the normalised shape}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %m, %r = graph.layer_norm %x, %s <{axis = 1 : i64, epsilon = 1.0e-05 : f64}> : (tensor<4x8xf32>, tensor<4xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  return
}

// -----

func.func @layer_norm_result(%x: tensor<4x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x8xf32>', 'tensor<4x1xf32>', 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>', 'tensor<4x8xf32>', 'tensor<4x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %m, %r = graph.layer_norm %x, %s <{axis = 1 : i64, epsilon = 1.0e-05 : f64}> : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x1xf32>)
  return
}

// -----

func.func @loss_target(%x: tensor<4x8xf32>, %t: tensor<5xi64>) {
  // expected-error @+2 {{target tensor<5xi64> does not match input tensor<4x8xf32> (expected the input's shape without axis 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %l, %p = graph.softmax_cross_entropy_loss %x, %t : (tensor<4x8xf32>, tensor<5xi64>) -> (tensor<f32>, tensor<4x8xf32>)
  return
}

// -----

func.func @loss_rank(%x: tensor<8xf32>, %t: tensor<8xi64>) {
  // expected-error @+2 {{input must be [N, C, ...], got tensor<8xf32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %l = graph.nll_loss %x, %t : (tensor<8xf32>, tensor<8xi64>) -> tensor<f32>
  return
}

// -----

func.func @loss_weight(%x: tensor<4x8xf32>, %t: tensor<4xi64>, %w: tensor<4xf32>) {
  // expected-error @+2 {{weight must have shape [C] = [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %l = graph.nll_loss %x, %t, %w : (tensor<4x8xf32>, tensor<4xi64>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @loss_reduction(%x: tensor<4x8xf32>, %t: tensor<4xi64>) {
  // expected-error @+2 {{expected ::dsc::graph::LossReduction to be one of: none, sum, mean}}
  // expected-error @+1 {{failed to parse Graph_LossReductionAttr parameter 'value'}}
  %l = graph.nll_loss %x, %t <{reduction = #graph.loss_reduction<max>}> : (tensor<4x8xf32>, tensor<4xi64>) -> tensor<f32>
  return
}

// -----

func.func @dropout_ratio(%x: tensor<4xf32>) {
  // expected-error @+1 {{ratio must be in [0, 1), got 1.5}}
  %y, %m = graph.dropout %x <{ratio = 1.5 : f64, seed = 0 : i64}> : tensor<4xf32>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contracting dimensions differ: tensor<2x3xf32> and tensor<4x5xf32> (3 vs 4)}}
  %0 = graph.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<5x3x4xf32>) {
  // expected-error @+1 {{batch dimensions are not broadcast-compatible}}
  %0 = graph.matmul %a, %b : tensor<2x4x3xf32>, tensor<5x3x4xf32>
  return
}

// -----

func.func @matmul_types(%a: tensor<2x3xf32>, %b: tensor<3x5xf16>) {
  // expected-error @+1 {{operands have different element types: f32 and f16}}
  %0 = graph.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf16>
  return
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operands must have rank >= 1}}
  %0 = graph.matmul %a, %b : tensor<f32>, tensor<3xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+2 {{input and filter must be 4-D (2-D convolution)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{filter has 2 input channels per group, input has 3 channels in 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+2 {{group 2 must divide the input and output channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_attrs(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{expected 2 strides, 2 dilations and 4 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{strides and dilations must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 0, 1>}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{bias must have shape [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w, %b <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_too_small(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{filter is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv %x, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}> : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{reduction axis 2 is out of range for rank 2 (expected 0..1)}}
  %0 = graph.reduce_sum %x <{axes = array<i64: 2>, keepdims = true}> : tensor<2x3xf32>
  return
}

// -----

func.func @reduce_sorted(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = graph.reduce_mean %x <{axes = array<i64: 1, 0>, keepdims = true}> : tensor<2x3xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{changes the element count: 'tensor<2x3xf32>' has 6, 'tensor<7xf32>' has 7}}
  %0 = graph.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @reshape_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{changes the element type: 'f32' -> 'f16'}}
  %0 = graph.reshape %x : tensor<2x3xf32> -> tensor<6xf16>
  return
}

// -----

func.func @transpose_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm has 3 entries for an input of rank 2}}
  %0 = graph.transpose %x <{perm = array<i64: 0, 1, 2>}> : tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = graph.transpose %x <{perm = array<i64: 1, 1>}> : tensor<2x3xf32>
  return
}

// -----

func.func @slice_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{starts, ends and steps need one entry per axis (2)}}
  %0 = graph.slice %x <{ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>}> : tensor<4x8xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<4xf32>) {
  // expected-error @+1 {{step of axis 0 is zero}}
  %0 = graph.slice %x <{ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 0>}> : tensor<4xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{slice bounds of axis 0 are not clamped to its size 4}}
  %0 = graph.slice %x <{ends = array<i64: 9>, starts = array<i64: 0>, steps = array<i64: 1>}> : tensor<4xf32>
  return
}

// -----

func.func @concat_sizes(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{inputs tensor<2x3xf32> and tensor<2x4xf32> differ in axis 1}}
  %0 = graph.concat %a, %b <{axis = 0 : i64}> : tensor<2x3xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @concat_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{differ in element type or rank}}
  %0 = graph.concat %a, %b <{axis = 0 : i64}> : tensor<2xf32>, tensor<2xi64>
  return
}

// -----

func.func @expand_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot broadcast 'tensor<2x3xf32>' to 'tensor<4x3xf32>'}}
  %0 = graph.expand %x : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @expand_type(%x: tensor<1x3xf32>) {
  // expected-error @+1 {{changes the element type: 'f32' -> 'i64'}}
  %0 = graph.expand %x : tensor<1x3xf32> -> tensor<4x3xi64>
  return
}

// -----

func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = graph.gather %t, %i <{axis = 2 : i64}> : tensor<10x4xf32>, tensor<3xi64>
  return
}

// -----

func.func @gather_elements_rank(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{indices must have the input's rank 2}}
  %0 = graph.gather_elements %t, %i <{axis = 0 : i64}> : tensor<10x4xf32>, tensor<3xi64>
  return
}

// -----

func.func @scatter_updates(%t: tensor<8xf32>, %i: tensor<4x1xi64>, %u: tensor<3xf32>) {
  // expected-error @+1 {{updates tensor<3xf32> do not match indices and input}}
  %0 = graph.scatter_nd %t, %i, %u : tensor<8xf32>, tensor<4x1xi64>, tensor<3xf32>
  return
}

// -----

func.func @scatter_indices(%t: tensor<8xf32>, %i: tensor<4x2xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{the last axis of indices must be at most the input's rank}}
  %0 = graph.scatter_nd %t, %i, %u : tensor<8xf32>, tensor<4x2xi64>, tensor<4xf32>
  return
}

// -----

func.func @scatter_reduction(%t: tensor<8xf32>, %i: tensor<4x1xi64>, %u: tensor<4xf32>) {
  // expected-error @+2 {{expected ::dsc::graph::ScatterReduction to be one of: none, add, mul, max, min}}
  // expected-error @+1 {{failed to parse Graph_ScatterReductionAttr parameter 'value'}}
  %0 = graph.scatter_nd %t, %i, %u <{reduction = #graph.scatter_reduction<avg>}> : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{pads needs 2 * rank = 4 entries, got 2}}
  %0 = graph.pad %x <{pads = array<i64: 1, 1>}> : tensor<2x3xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{expected ::dsc::graph::PadMode to be one of: constant, reflect, edge, wrap}}
  // expected-error @+1 {{failed to parse Graph_PadModeAttr parameter 'value'}}
  %0 = graph.pad %x <{mode = #graph.pad_mode<mirror>, pads = array<i64: 0, 0, 1, 1>}> : tensor<2x3xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{pads make axis 0 negative}}
  %0 = graph.pad %x <{pads = array<i64: -2, 0, -1, 0>}> : tensor<2x3xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{input must have rank >= 2}}
  %0 = graph.trilu %x <{upper = true}> : tensor<4xf32>
  return
}

// -----

func.func @float_only(%x: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = graph.sqrt %x : tensor<4xi64>
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @softmax_grad_types(%y: tensor<4x8xf32>, %dy: tensor<4x7xf32>) {
  // expected-error @+1 {{use of value '%dy' expects different type than prior uses}}
  %0 = graph.softmax_grad %y, %dy <{axis = 1 : i64}> : tensor<4x8xf32>
  return
}

// -----

func.func @layer_norm_grad_stats(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %m: tensor<4x8xf32>) {
  // expected-error @+2 {{mean and inv_std_dev must have type tensor<4x1xf32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %dx, %ds, %db = graph.layer_norm_grad %x, %s, %m, %m, %x <{axis = 1 : i64}> : (tensor<4x8xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @gather_grad_shape(%ids: tensor<2x3xi64>, %dy: tensor<2x3x4xf32>) {
  // expected-error @+1 {{grad 'tensor<2x3x4xf32>' is not the forward result type 'tensor<2x3x8xf32>' of this input}}
  %0 = graph.gather_grad %ids, %dy <{axis = 0 : i64}> : (tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<16x8xf32>
  return
}

// -----

func.func @conv_grad_input_shape(%dy: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{grad 'tensor<1x4x5x5xf32>' is not the forward result type 'tensor<1x4x4x4xf32>' of this input}}
  %0 = graph.conv_grad_input %dy, %w <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @slice_grad_shape(%dy: tensor<4x2xf32>) {
  // expected-error @+1 {{grad 'tensor<4x2xf32>' is not the forward result type 'tensor<4x1xf32>' of this input}}
  %0 = graph.slice_grad %dy <{ends = array<i64: 4, 1>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}> : tensor<4x2xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @pad_grad_shape(%dy: tensor<4x9xf32>) {
  // expected-error @+1 {{grad 'tensor<4x9xf32>' is not the forward result type 'tensor<4x10xf32>' of this input}}
  %0 = graph.pad_grad %dy <{pads = array<i64: 0, 1, 0, 1>}> : tensor<4x9xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @sce_grad_loss(%x: tensor<4x8xf32>, %t: tensor<4xi64>, %l: tensor<4xf32>) {
  // expected-error @+2 {{grad tensor<4xf32> does not match the loss tensor<f32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.softmax_cross_entropy_loss_grad %x, %t, %l : (tensor<4x8xf32>, tensor<4xi64>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @nll_grad_shape(%t: tensor<5xi64>, %l: tensor<f32>) {
  // expected-error @+1 {{target tensor<5xi64> does not match input tensor<4x8xf32>}}
  %0 = graph.nll_loss_grad %t, %l : (tensor<5xi64>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_transposed_vector(%a: tensor<4xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+1 {{a transposed operand must have rank >= 2}}
  %0 = graph.matmul %a, %b <{transpose_lhs = true}> : tensor<4xf32>, tensor<4x2xf32>
  return
}
