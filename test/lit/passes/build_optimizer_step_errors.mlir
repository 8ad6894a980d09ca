// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(build-optimizer-step)' -verify-diagnostics
// passes/BuildOptimizerStepPass.cpp: what the training step needs.

// The step must be planned first.
// expected-error @+1 {{needs the planned @step (run plan-memory first)}}
module {
  func.func @step() {
    return
  }
}

// -----

// A step without a loss output trains nothing.
module {
  // expected-error @+1 {{needs a float32 or float64 loss (its first output)}}
  func.func @step(%arena: memref<128xi8> {plan.arena}) attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 128 : i64} {
    %c0 = arith.constant 0 : index
    %w = memref.view %arena[%c0][] {plan.offset = 0 : i64, plan.param = "w", plan.persistent} : memref<128xi8> to memref<4xf32>
    %c64 = arith.constant 64 : index
    %g = memref.view %arena[%c64][] {plan.offset = 64 : i64, plan.grad = "w", plan.persistent} : memref<128xi8> to memref<4xf32>
    return
  }
}

// -----

// Stages 0 and 1 update each param from its gradient buffer.
module {
  // expected-error @+1 {{has no gradient buffer of param 'w'}}
  func.func @step(%arena: memref<128xi8> {plan.arena}) attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 128 : i64} {
    %c0 = arith.constant 0 : index
    %w = memref.view %arena[%c0][] {plan.offset = 0 : i64, plan.param = "w", plan.persistent} : memref<128xi8> to memref<4xf32>
    %c64 = arith.constant 64 : index
    %l = memref.view %arena[%c64][] {plan.offset = 64 : i64, plan.output = "loss", plan.persistent} : memref<128xi8> to memref<f32>
    return
  }
}

// -----

// The optimizer updates float params (16-bit ones through float32 masters).
module {
  // expected-error @+1 {{the optimizer updates float16, bfloat16, float32 and float64 params, not 'i32'}}
  func.func @step(%arena: memref<128xi8> {plan.arena}) attributes {plan.arena_size = 128 : i64, plan.persistent_bytes = 128 : i64} {
    %c0 = arith.constant 0 : index
    %w = memref.view %arena[%c0][] {plan.offset = 0 : i64, plan.param = "w", plan.persistent} : memref<128xi8> to memref<4xi32>
    return
  }
}
