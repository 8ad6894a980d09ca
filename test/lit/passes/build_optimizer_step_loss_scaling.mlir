// RUN: ds-opt %s -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=sgd momentum=0.9 grad-accum-steps=2 loss-scaling=true})' | FileCheck %s --check-prefix=SCALED
// RUN: not ds-opt %s -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=sgd})' 2>&1 | FileCheck %s --check-prefix=OFF
// passes/BuildOptimizerStepPass.cpp with loss-scaling (fp16).

// fp16's loss scaling: the step's loss adjoint seed (graph-autodiff's
// loss-scale-input, a plan.scalar named loss_scale) gets the scale before
// the micro-steps, and the mean divides by it: 1 / (2 micro-steps) / scale.
// SCALED-LABEL: func.func @train_step_r0
// SCALED-SAME: %[[SCALE:[^:]*]]: f64 {plan.loss_scale}
// SCALED: %[[NARROW:.*]] = arith.truncf %[[SCALE]] : f64 to f32
// SCALED: memref.store %[[NARROW]], %{{.*}}[%{{.*}}] : memref<1xf32>
// SCALED: scf.for
// SCALED: %[[HALF:.*]] = arith.constant 5.000000e-01 : f64
// SCALED: %[[FACTOR:.*]] = arith.divf %[[HALF]], %[[SCALE]] : f64
// SCALED: plan.scale %{{.*}} by %[[FACTOR]] : memref<4xf32>
// With loss scaling the update is guarded against overflow.
// SCALED: scf.if
// SCALED: plan.sgd
func.func @step() {
  %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<4xf32>
  %gw = memref.alloc() {plan.grad = "w", plan.persistent} : memref<4xf32>
  %loss = memref.alloc() {plan.output = "loss", plan.persistent} : memref<f32>
  %seed = memref.alloc() {plan.scalar = "loss_scale", plan.persistent} : memref<1xf32>
  plan.kernel "reduce_sum" ins(%w : memref<4xf32>) outs(%loss : memref<f32>) {axes = array<i64: 0>, keepdims = false}
  plan.kernel "mul" ins(%w, %seed : memref<4xf32>, memref<1xf32>) outs(%gw : memref<4xf32>)
  return
}
// Its seed without loss-scaling would leave the gradients scaled by nothing.
// OFF: error: 'func.func' op has a loss scale, but loss-scaling is off
