// RUN: ds-opt %s -split-input-file -verify-diagnostics -graph-mixed-precision="type=bf16" | FileCheck %s
// RUN: ds-opt %s -split-input-file -verify-diagnostics -graph-mixed-precision="type=f16" | FileCheck %s --check-prefix=HALF
// RUN: not ds-opt %s -split-input-file -graph-mixed-precision="type=f8" 2>&1 | FileCheck %s --check-prefix=TYPE
// passes/MixedPrecisionPass.cpp: the 16-bit model of fp16 / bf16.

// Params and frozen tables become 16-bit, the float32 data input is cast,
// the ids stay; a float32 mask constant saturates to the type's lowest
// (f16: -65504, not -inf) and every activation is 16-bit. The loss reads its
// logits in float32 and returns float32.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]*]]: tensor<2xi64> {graph.input = "ids"}
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32> {graph.input = "x"}
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x4xbf16> {graph.param = "w"}
// CHECK-SAME: %[[T:[^:]*]]: tensor<4xbf16> {graph.frozen = "table"}
// CHECK-SAME: -> (tensor<f32> {graph.output = "loss"})
// CHECK: %[[XH:.*]] = graph.cast %[[X]] : tensor<2x4xf32> -> tensor<2x4xbf16>
// CHECK: %[[MASK:.*]] = graph.constant dense<[0.000000e+00, -3.389530e+38, 1.000000e+00, 2.000000e+00]> : tensor<4xbf16>
// CHECK: %[[Y:.*]] = graph.matmul %[[XH]], %[[W]] : tensor<2x4xbf16>, tensor<4x4xbf16>
// CHECK: %[[Z:.*]] = graph.add %[[Y]], %[[MASK]] : tensor<2x4xbf16>, tensor<4xbf16>
// CHECK: %[[ZT:.*]] = graph.add %[[Z]], %[[T]]
// CHECK: %[[WIDE:.*]] = graph.cast %[[ZT]] : tensor<2x4xbf16> -> tensor<2x4xf32>
// CHECK: %[[LOSS:.*]], %{{.*}} = graph.softmax_cross_entropy_loss %[[WIDE]], %[[IDS]] : (tensor<2x4xf32>, tensor<2xi64>) -> (tensor<f32>, tensor<2x4xf32>)
// What follows the loss stays float32, with the constants only it uses.
// CHECK: %[[C:.*]] = graph.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[OUT:.*]] = graph.mul %[[LOSS]], %[[C]] : tensor<f32>, tensor<f32>
// CHECK: return %[[OUT]]
// HALF-LABEL: func.func @main
// HALF-SAME: tensor<4x4xf16> {graph.param = "w"}
// HALF: graph.constant dense<[0.000000e+00, -6.550400e+04, 1.000000e+00, 2.000000e+00]> : tensor<4xf16>
// HALF: graph.softmax_cross_entropy_loss {{.*}} : (tensor<2x4xf32>, tensor<2xi64>) -> (tensor<f32>, tensor<2x4xf32>)
func.func @main(%ids: tensor<2xi64> {graph.input = "ids"},
                %x: tensor<2x4xf32> {graph.input = "x"},
                %w: tensor<4x4xf32> {graph.param = "w"},
                %t: tensor<4xf32> {graph.frozen = "table"})
    -> (tensor<f32> {graph.output = "loss"}) {
  %mask = graph.constant dense<[0.0, -3.40282347e+38, 1.0, 2.0]> : tensor<4xf32>
  %y = graph.matmul %x, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %z = graph.add %y, %mask : tensor<2x4xf32>, tensor<4xf32>
  %zt = graph.add %z, %t : tensor<2x4xf32>, tensor<4xf32>
  %loss, %logp = graph.softmax_cross_entropy_loss %zt, %ids : (tensor<2x4xf32>, tensor<2xi64>) -> (tensor<f32>, tensor<2x4xf32>)
  %half = graph.constant dense<5.000000e-01> : tensor<f32>
  %out = graph.mul %loss, %half : tensor<f32>, tensor<f32>
  return %out : tensor<f32>
}

// -----

// A float32 result other than the loss is cast back to its declared type.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[W:[^:]*]]: tensor<4xbf16> {graph.param = "w"}) -> (tensor<4xf32> {graph.output = "y"})
// CHECK: %[[E:.*]] = graph.exp %[[W]] : tensor<4xbf16>
// CHECK: %[[Y:.*]] = graph.cast %[[E]] : tensor<4xbf16> -> tensor<4xf32>
// CHECK: return %[[Y]]
func.func @main(%w: tensor<4xf32> {graph.param = "w"}) -> (tensor<4xf32> {graph.output = "y"}) {
  %e = graph.exp %w : tensor<4xf32>
  return %e : tensor<4xf32>
}

// TYPE: error: mixed-precision type 'f8': expected f16 or bf16
