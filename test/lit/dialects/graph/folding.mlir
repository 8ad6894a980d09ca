// RUN: ds-opt %s -canonicalize -split-input-file | FileCheck %s
// Folders evaluate small constants (shape arithmetic) and drop no-ops.

// CHECK-LABEL: func.func @shape_arithmetic
// CHECK-NEXT: %[[C:.*]] = graph.constant dense<[2, 48, 6, 16]> : tensor<4xi64>
// CHECK-NEXT: return %[[C]]
func.func @shape_arithmetic() -> tensor<4xi64> {
  %shape = graph.constant dense<[2, 48, 96]> : tensor<3xi64>
  %i = graph.constant dense<[0, 1]> : tensor<2xi64>
  %lead = graph.gather %shape, %i <{axis = 0 : i64}> : tensor<3xi64>, tensor<2xi64>
  %heads = graph.constant dense<6> : tensor<1xi64>
  %d = graph.constant dense<96> : tensor<1xi64>
  %hd = graph.div %d, %heads : tensor<1xi64>, tensor<1xi64>
  %r = graph.concat %lead, %heads, %hd <{axis = 0 : i64}> : tensor<2xi64>, tensor<1xi64>, tensor<1xi64>
  return %r : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @float_math
// CHECK-NEXT: graph.constant dense<[1.000000e+00, 4.000000e+00]> : tensor<2xf32>
func.func @float_math() -> tensor<2xf32> {
  %a = graph.constant dense<[1.0, 16.0]> : tensor<2xf32>
  %s = graph.sqrt %a : tensor<2xf32>
  %n = graph.neg %s : tensor<2xf32>
  %m = graph.mul %n, %n : tensor<2xf32>, tensor<2xf32>
  %r = graph.sqrt %m : tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @compare_where_cast
// CHECK-NEXT: graph.constant dense<[0, 7, 0]> : tensor<3xi64>
func.func @compare_where_cast() -> tensor<3xi64> {
  %a = graph.constant dense<[-1.5, 7.9, 0.5]> : tensor<3xf32>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %gt = graph.greater %a, %zero : tensor<3xf32>, tensor<f32>
  %w = graph.where %gt, %a, %zero : tensor<3xi1>, tensor<3xf32>, tensor<f32>
  %c = graph.cast %w : tensor<3xf32> -> tensor<3xi64>
  return %c : tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @data_movement
// CHECK-DAG: graph.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-DAG: graph.constant dense<[6, 4, 2]> : tensor<3xi64>
// CHECK-DAG: graph.constant dense<{{\[}}[7, 8], [7, 8]]> : tensor<2x2xi64>
func.func @data_movement() -> (tensor<3x2xi64>, tensor<3xi64>, tensor<2x2xi64>) {
  %a = graph.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %t = graph.transpose %a <{perm = array<i64: 1, 0>}> : tensor<2x3xi64>
  %f = graph.reshape %a : tensor<2x3xi64> -> tensor<6xi64>
  %s = graph.slice %f <{ends = array<i64: -1>, starts = array<i64: 5>, steps = array<i64: -2>}> : tensor<6xi64>
  %row = graph.constant dense<[[7, 8]]> : tensor<1x2xi64>
  %e = graph.expand %row : tensor<1x2xi64> -> tensor<2x2xi64>
  return %t, %s, %e : tensor<3x2xi64>, tensor<3xi64>, tensor<2x2xi64>
}

// -----

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = graph.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %b = graph.transpose %a <{perm = array<i64: 0, 1>}> : tensor<2x3xf32>
  %c = graph.cast %b : tensor<2x3xf32> -> tensor<2x3xf32>
  %d = graph.expand %c : tensor<2x3xf32> -> tensor<2x3xf32>
  %e = graph.slice %d <{ends = array<i64: 2, 3>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}> : tensor<2x3xf32>
  %f = graph.concat %e <{axis = 0 : i64}> : tensor<2x3xf32>
  return %f : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
// CHECK-NEXT: graph.reshape %{{.*}} : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NEXT: return
func.func @reshape_chain(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %a = graph.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %b = graph.reshape %a : tensor<6xf32> -> tensor<3x2xf32>
  return %b : tensor<3x2xf32>
}

// -----

// Division by zero is left for the runtime to report.
// CHECK-LABEL: func.func @no_fold_div_zero
// CHECK: graph.div
func.func @no_fold_div_zero() -> tensor<1xi64> {
  %a = graph.constant dense<4> : tensor<1xi64>
  %z = graph.constant dense<0> : tensor<1xi64>
  %d = graph.div %a, %z : tensor<1xi64>, tensor<1xi64>
  return %d : tensor<1xi64>
}

// -----

// A product with an operand transposed over its last two axes reads the
// operand in place; other permutations stay.
// CHECK-LABEL: func.func @matmul_transposed
// CHECK-NEXT: %[[P:.*]] = graph.matmul %arg0, %arg1 <{transpose_lhs = true, transpose_rhs = true}> : tensor<2x8x4xf32>, tensor<16x8xf32>
// CHECK-NEXT: %[[T:.*]] = graph.transpose %arg2 <{perm = array<i64: 1, 0, 2>}>
// CHECK-NEXT: %[[Q:.*]] = graph.matmul %[[T]], %arg1 <{transpose_rhs = true}>
// CHECK-NEXT: return %[[P]], %[[Q]]
func.func @matmul_transposed(%a: tensor<2x8x4xf32>, %b: tensor<16x8xf32>, %c: tensor<4x2x8xf32>) -> (tensor<2x4x16xf32>, tensor<2x4x16xf32>) {
  %at = graph.transpose %a <{perm = array<i64: 0, 2, 1>}> : tensor<2x8x4xf32>
  %bt = graph.transpose %b <{perm = array<i64: 1, 0>}> : tensor<16x8xf32>
  %0 = graph.matmul %at, %bt : tensor<2x4x8xf32>, tensor<8x16xf32>
  %ct = graph.transpose %c <{perm = array<i64: 1, 0, 2>}> : tensor<4x2x8xf32>
  %1 = graph.matmul %ct, %bt : tensor<2x4x8xf32>, tensor<8x16xf32>
  return %0, %1 : tensor<2x4x16xf32>, tensor<2x4x16xf32>
}
