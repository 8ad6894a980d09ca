// RUN: ds-opt %s -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=adamw gradient-clipping=1.0 loss-scaling=true})' | FileCheck %s
// RUN: ds-opt %s -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=adamw gradient-clipping=1.0 loss-scaling=true},convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// passes/BuildOptimizerStepPass.cpp with 16-bit params (fp16 / bf16): the
// optimizer updates float32 master params with float32 states, from float32
// copies of the gradients, and rounds the masters back into the params.
// One rank: w (4 bf16 at 0), its gradient (at 64), the loss (128), the
// loss scale (192), a float32 copy of w (256); the arena then holds
// exp_avg (320), exp_avg_sq (384), master_params (448), all float32, and
// the float32 gradients (512).

// CHECK-LABEL: func.func @step
// CHECK-DAG: {plan.offset = 320 : i64, plan.optimizer_state = "exp_avg", plan.persistent} : memref<576xi8> to memref<4xf32>
// CHECK-DAG: {plan.offset = 384 : i64, plan.optimizer_state = "exp_avg_sq", plan.persistent} : memref<576xi8> to memref<4xf32>
// CHECK-DAG: {plan.offset = 448 : i64, plan.optimizer_state = "master_params", plan.persistent} : memref<576xi8> to memref<4xf32>
// CHECK-DAG: {plan.offset = 512 : i64, plan.persistent, plan.staging = "master_gradients"} : memref<576xi8> to memref<4xf32>

// CHECK-LABEL: func.func @train_step_r0
// CHECK-SAME: %[[SCALE:[^:]*]]: f64 {plan.loss_scale}
// CHECK: func.call @step
// The bf16 gradient becomes float32 before the unscaling: 1 / scale would
// flush small bf16 values.
// CHECK: %[[G16:.*]] = memref.view {{.*}}{plan.offset = 64 : i64} : memref<576xi8> to memref<4xbf16>
// CHECK: %[[G32:.*]] = memref.view {{.*}}{plan.offset = 512 : i64} : memref<576xi8> to memref<4xf32>
// CHECK: plan.kernel "cast" ins(%[[G16]] : memref<4xbf16>) outs(%[[G32]] : memref<4xf32>)
// CHECK: %[[F:.*]] = arith.divf %{{.*}}, %[[SCALE]] : f64
// CHECK: plan.scale %{{.*}} by %[[F]] : memref<4xf32>
// CHECK: plan.sum_squares %{{.*}} : memref<4xf32>
// CHECK: scf.if
// CHECK: plan.clip_coefficient
// CHECK: plan.scale %{{.*}} : memref<4xf32>
// CHECK: %[[M:.*]] = memref.view {{.*}}{plan.offset = 448 : i64} : memref<576xi8> to memref<4xf32>
// CHECK: %[[G:.*]] = memref.view {{.*}}{plan.offset = 512 : i64} : memref<576xi8> to memref<4xf32>
// CHECK: %[[M1:.*]] = memref.view {{.*}}{plan.offset = 320 : i64} : memref<576xi8> to memref<4xf32>
// CHECK: %[[M2:.*]] = memref.view {{.*}}{plan.offset = 384 : i64} : memref<576xi8> to memref<4xf32>
// CHECK: plan.adam %[[M]], %[[G]], %[[M1]], %[[M2]] {{.*}} : memref<4xf32>
// CHECK: %[[W:.*]] = memref.view {{.*}}{plan.offset = 0 : i64} : memref<576xi8> to memref<4xbf16>
// CHECK: plan.kernel "cast" ins(%[[M]] : memref<4xf32>) outs(%[[W]] : memref<4xbf16>)
// The update and the rounding are inside the overflow guard.
// CHECK-NEXT: }
// LLVM: llvm.call @dsrt_k_cast_bf16_f32(
// LLVM: llvm.call @dsrt_adam_f32(
// LLVM: llvm.call @dsrt_k_cast_f32_bf16(
func.func @step() {
  %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<4xbf16>
  %gw = memref.alloc() {plan.grad = "w", plan.persistent} : memref<4xbf16>
  %loss = memref.alloc() {plan.output = "loss", plan.persistent} : memref<f32>
  %seed = memref.alloc() {plan.scalar = "loss_scale", plan.persistent} : memref<1xf32>
  %wide = memref.alloc() : memref<4xf32>
  plan.kernel "cast" ins(%w : memref<4xbf16>) outs(%wide : memref<4xf32>)
  plan.kernel "reduce_sum" ins(%wide : memref<4xf32>) outs(%loss : memref<f32>) {axes = array<i64: 0>, keepdims = false}
  plan.kernel "cast" ins(%seed : memref<1xf32>) outs(%gw : memref<4xbf16>)
  return
}
