// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(zero-boundary-exchange{dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6},convert-shard-to-plan,func.func(plan-memory),build-optimizer-step{dp-size=3 stage=1 optimizer=adamw gradient-clipping=1.0})' | FileCheck %s
// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(zero-boundary-exchange{dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6},convert-shard-to-plan,func.func(plan-memory),build-optimizer-step{dp-size=3 stage=1 optimizer=adamw gradient-clipping=1.0},convert-plan-to-llvm)' | FileCheck %s --check-prefix=LLVM
// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=sgd momentum=0.9 grad-accum-steps=2})' | FileCheck %s --check-prefix=ONE
// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(zero-boundary-exchange{dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6},convert-shard-to-plan,func.func(plan-memory),build-optimizer-step{dp-size=3 stage=1 optimizer=adamw gradient-clipping=1.0 check-overflow=true})' | FileCheck %s --check-prefix=OVF
// RUN: ds-opt %s -split-input-file -pass-pipeline='builtin.module(zero-boundary-exchange{dp-size=3 stage=1 reduce-bucket-elements=8 allgather-bucket-elements=6},convert-shard-to-plan,func.func(plan-memory),build-optimizer-step{dp-size=3 stage=1 optimizer=adamw gradient-clipping=1.0 check-overflow=true},convert-plan-to-llvm)' | FileCheck %s --check-prefix=OVF-LLVM
// RUN: not ds-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(plan-memory),build-optimizer-step{optimizer=rmsprop})' 2>&1 | FileCheck %s --check-prefix=BAD
// passes/BuildOptimizerStepPass.cpp: the rest of a training step, one
// function per rank. Params w (8 elements) and b (4) on 3 ranks, ZeRO-1:
// the flat space [0, 12), the partitions [0, 4), [4, 8), [8, 12). The
// planned step's arena (w, b, their gradients, the loss) ends at 320; the
// update adds the Adam moments of the largest partition (4 elements each, at
// 320 and 384), the staging buffer (the largest bucket, 8 elements, at 448)
// and the norm and loss scalars (512, 576).

// CHECK-LABEL: func.func @step
// CHECK-SAME: memref<640xi8> {plan.arena}
// CHECK-SAME: plan.arena_size = 640 : i64, plan.persistent_bytes = 640 : i64
// CHECK-DAG: {plan.offset = 320 : i64, plan.optimizer_state = "exp_avg", plan.persistent}
// CHECK-DAG: {plan.offset = 384 : i64, plan.optimizer_state = "exp_avg_sq", plan.persistent}
// CHECK-DAG: {plan.offset = 448 : i64, plan.persistent, plan.staging = "collectives"}
// CHECK-DAG: {plan.offset = 512 : i64, plan.persistent, plan.scalar = "grad_norm_squared"}
// CHECK-DAG: {plan.offset = 576 : i64, plan.persistent, plan.scalar = "loss"}
// CHECK-NOT: @boundary

// Rank 1 owns w[4, 8): the gradient at 64 + 16, the param at 0 + 16.
// CHECK-LABEL: func.func @train_step_r1
// CHECK-SAME: (%[[A:.*]]: memref<640xi8> {plan.arena}, %[[R:.*]]: memref<6xf64> {plan.report}, %[[S:.*]]: i64 {plan.step}, %[[SK:.*]]: i64 {plan.skipped}, %{{.*}}: f64 {plan.loss_scale}) attributes {plan.train_step_rank = 1 : i64}
// The micro-steps (one here): the runtime feeds each, the step runs, its
// loss / GAS adds up in float64.
// CHECK: %[[MYLOSS:.*]] = scf.for %[[MI:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[SUM:.*]] = %{{.*}}) -> (f64)
// CHECK-NEXT: plan.micro_step %[[S]], %[[MI]]
// CHECK-NEXT: func.call @step(%[[A]]) : (memref<640xi8>) -> ()
// CHECK: %[[L:.*]] = memref.load %{{.*}} : memref<1xf32>
// CHECK-NEXT: %[[L64:.*]] = arith.extf %[[L]] : f32 to f64
// CHECK-NEXT: %[[SHARE:.*]] = arith.divf %[[L64]]
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[SUM]], %[[SHARE]] : f64
// CHECK-NEXT: plan.micro_step_end %[[MI]]
// CHECK-NEXT: scf.yield %[[NEXT]] : f64
// w's gradient bucket goes through staging; rank 1 keeps its half of it.
// CHECK: %[[GW:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 64 : i64}{{.*}}to memref<8xf32>
// CHECK: %[[ST:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 448 : i64}{{.*}}to memref<8xf32>
// CHECK-NEXT: memref.copy %[[GW]], %[[ST]]
// CHECK: plan.reduce_scatter %{{.*}} on @dp {counts = array<i64: 4, 4, 0>, plan.flat = "gradients", plan.flat_range = array<i64: 0, 8>, plan.phase = "boundary"}
// CHECK: %[[MINE:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 80 : i64}{{.*}}to memref<4xf32>
// CHECK: %[[BACK:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 464 : i64}{{.*}}to memref<4xf32>
// CHECK-NEXT: memref.copy %[[BACK]], %[[MINE]]
// b's bucket belongs to rank 2: nothing comes back here.
// CHECK: plan.reduce_scatter %{{.*}} {counts = array<i64: 0, 0, 4>, plan.flat = "gradients", plan.flat_range = array<i64: 8, 12>
// CHECK-NOT: memref.copy
// The mean over 3 ranks, this partition's squares, the global norm.
// CHECK: %[[THIRD:.*]] = arith.constant 0.33333333333333331 : f64
// CHECK: plan.scale %{{.*}} by %[[THIRD]] : memref<4xf32>
// CHECK: %[[SQ:.*]] = plan.sum_squares
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[SQ]] : f64
// CHECK: memref.store %[[SUM]], %[[NORM:.*]][
// CHECK: plan.all_reduce %[[NORM]] on @dp {plan.flat = "grad_norm_squared", plan.flat_range = array<i64: 0, 1>, plan.phase = "boundary"}
// CHECK: %[[N2:.*]] = memref.load %[[NORM]]
// The schedule's lr for the steps taken (the step less the skipped ones).
// CHECK: %[[TAKEN:.*]] = arith.subi %[[S]], %[[SK]] : i64
// CHECK: %[[LR:.*]], %[[B1:.*]], %[[B2:.*]] = plan.lr_schedule %[[TAKEN]] {base_beta1 = 9.000000e-01 : f64, base_beta2 = 0.99899999999999999 : f64, base_lr = 1.000000e-03 : f64}
// CHECK: %[[COEF:.*]] = plan.clip_coefficient %[[N2]] {max_norm = 1.000000e+00 : f64}
// CHECK: plan.scale %{{.*}} by %[[COEF]]
// No overflow check (fp32): report[5] is 0.
// CHECK-NOT: scf.if
// CHECK: memref.store %{{.*}}, %[[R]][%{{.*}}] : memref<6xf64>
// The loss: this rank's, summed over the ranks, / 3; the norm reported.
// CHECK: memref.store %[[MYLOSS]], %[[LS:.*]][
// CHECK: plan.all_reduce %[[LS]] on @dp {plan.flat = "loss"
// CHECK: arith.divf
// CHECK: math.sqrt %[[N2]]
// AdamW on the owned piece of w, step taken + 1.
// CHECK: %[[T:.*]] = arith.addi %[[TAKEN]], %{{.*}} : i64
// CHECK: %[[P:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 16 : i64}{{.*}}to memref<4xf32>
// CHECK: %[[G:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 80 : i64}{{.*}}to memref<4xf32>
// CHECK: %[[M:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 320 : i64}{{.*}}to memref<4xf32>
// CHECK: %[[V:.*]] = memref.view %[[A]]{{.*}}{plan.offset = 384 : i64}{{.*}}to memref<4xf32>
// CHECK: plan.adam %[[P]], %[[G]], %[[M]], %[[V]] lr %[[LR]] betas %[[B1]], %[[B2]] step %[[T]] {adam_w_mode = true, bias_correction = true, eps = 1.000000e-08 : f64, weight_decay = 0.000000e+00 : f64} : memref<4xf32>
// CHECK-NOT: plan.adam
// The params in buckets of 6: rank 1's w[4, 6) goes to its place in
// staging, then every rank's, then back into w[0, 6).
// CHECK: memref.copy
// CHECK: plan.all_gather {{.*}} {counts = array<i64: 4, 2, 0>, offsets = array<i64: 0, 4, 0>, plan.flat = "parameters", plan.flat_range = array<i64: 0, 6>, plan.phase = "after_optimizer"}
// CHECK: plan.all_gather {{.*}} plan.flat_range = array<i64: 6, 12>
// CHECK: return
// Rank 2 owns b: the optimizer updates b only.
// CHECK-LABEL: func.func @train_step_r2
// CHECK: plan.adam %{{.*}} : memref<4xf32>
// CHECK-NOT: plan.adam
// CHECK: {{//}} {{-----}}

// With check-overflow (fp16), clipping and the update run only when the
// all-reduced squared norm is finite; report[5] says whether the step was
// skipped; the loss and the gathers run either way, so every rank calls the
// same collectives.
// OVF-LABEL: func.func @train_step_r1
// OVF: plan.all_reduce %{{.*}} on @dp {plan.flat = "grad_norm_squared"
// OVF: %[[N2:.*]] = memref.load
// OVF: plan.lr_schedule
// OVF: %[[INF:.*]] = arith.constant 0x7FF0000000000000 : f64
// OVF: %[[FINITE:.*]] = arith.cmpf olt, %[[N2]], %[[INF]] : f64
// OVF: %[[OVERFLOW:.*]] = arith.select %[[FINITE]], %{{.*}}, %{{.*}} : f64
// OVF: scf.if %[[FINITE]] {
// OVF: plan.clip_coefficient %[[N2]]
// OVF: plan.scale
// OVF: plan.adam
// OVF: }
// OVF: memref.store %[[OVERFLOW]], %{{.*}}[%{{.*}}] : memref<6xf64>
// OVF: plan.all_reduce %{{.*}} on @dp {plan.flat = "loss"
// OVF: plan.all_gather
// OVF: plan.all_gather
// OVF: return
// OVF-LLVM-LABEL: llvm.func @dsc_train_step_1
// OVF-LLVM: %[[FINITE:.*]] = llvm.fcmp "olt" %{{.*}}, %{{.*}} : f64
// OVF-LLVM: llvm.cond_br %[[FINITE]], ^[[UPDATE:.*]], ^[[AFTER:.*]]
// OVF-LLVM: ^[[UPDATE]]:
// OVF-LLVM: llvm.call @dsrt_clip_coefficient
// OVF-LLVM: llvm.call @dsrt_adam_f32
// OVF-LLVM: llvm.br ^[[AFTER]]
// OVF-LLVM: ^[[AFTER]]:
// OVF-LLVM: llvm.call @dsrt_boundary_collective
// OVF: {{//}} {{-----}}
// OVF-LLVM: {{//}} {{-----}}

// The object: the update of each rank calls the collectives, the norm, the
// schedule and the optimizer directly, and a table lists them by rank.
// LLVM-LABEL: llvm.func @dsc_train_step_1
// LLVM-SAME: (%[[CTX:.*]]: !llvm.ptr, %[[ARENA:.*]]: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[STEP:.*]]: i64, %[[SKIPPED:.*]]: i64, %{{.*}}: f64)
// LLVM: llvm.br ^[[HEAD:.*]](
// LLVM: ^[[HEAD]](%[[I:.*]]: i64, %{{.*}}: f64):
// LLVM: llvm.cond_br %{{.*}}, ^[[BODY:.*]], ^
// LLVM: ^[[BODY]]:
// LLVM-NEXT: llvm.call @dsrt_micro_step(%[[CTX]], %[[STEP]], %[[I]])
// LLVM-NEXT: llvm.call @dsc_step(%[[CTX]], %[[ARENA]])
// The loss is read on the host once the device is done with it.
// LLVM: llvm.call @dsrt_host_sync(%[[CTX]])
// LLVM: llvm.load
// LLVM: llvm.call @dsrt_micro_step_end(%[[CTX]], %[[I]])
// LLVM: llvm.br ^[[HEAD]]
// Gradients into the staging buffer: a runtime copy (a GPU's, on one).
// LLVM: llvm.call @dsrt_copy(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64) -> ()
// LLVM: llvm.call @dsrt_boundary_collective(%[[CTX]], %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, !llvm.ptr) -> ()
// LLVM: llvm.call @dsrt_scale_f32
// LLVM: llvm.call @dsrt_sum_squares_f32
// LLVM: llvm.call @dsrt_boundary_collective
// LLVM: %[[TAKEN:.*]] = llvm.sub %[[STEP]], %[[SKIPPED]] : i64
// LLVM: %[[SCHEDULE:.*]] = llvm.mlir.addressof @dsc_schedule
// LLVM: llvm.call @dsrt_lr_at(%[[SCHEDULE]], {{.*}}, %[[TAKEN]], {{.*}})
// LLVM: llvm.call @dsrt_clip_coefficient
// LLVM: llvm.call @dsrt_boundary_collective
// LLVM: %[[OFF:.*]] = llvm.getelementptr %[[ARENA]][16] : (!llvm.ptr) -> !llvm.ptr, i8
// LLVM: llvm.call @dsrt_adam_f32(%[[OFF]],
// LLVM: llvm.call @dsrt_boundary_collective
// LLVM: llvm.call @dsrt_boundary_collective
// LLVM: llvm.return
// LLVM: llvm.mlir.global external constant @dsc_train_step_table() {{.*}} : !llvm.array<3 x ptr>
// LLVM: llvm.mlir.addressof @dsc_train_step_0
// LLVM: llvm.mlir.addressof @dsc_train_step_1
// LLVM: llvm.mlir.addressof @dsc_train_step_2
// LLVM: llvm.mlir.global external constant @dsc_train_step_count(3 : i64)
// LLVM-NOT: plan.
// LLVM: {{//}} {{-----}}
func.func @step() {
  %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<8xf32>
  %b = memref.alloc() {plan.param = "b", plan.persistent} : memref<4xf32>
  %gw = memref.alloc() {plan.grad = "w", plan.persistent} : memref<8xf32>
  %gb = memref.alloc() {plan.grad = "b", plan.persistent} : memref<4xf32>
  %loss = memref.alloc() {plan.output = "loss", plan.persistent} : memref<f32>
  plan.kernel "reduce_sum" ins(%w : memref<8xf32>) outs(%loss : memref<f32>) {axes = array<i64: 0>, keepdims = false}
  plan.kernel "neg" ins(%w : memref<8xf32>) outs(%gw : memref<8xf32>)
  plan.kernel "neg" ins(%b : memref<4xf32>) outs(%gb : memref<4xf32>)
  return
}

// -----

// One rank, SGD with momentum, 2 micro-steps: no collectives; the mean is
// over the micro-steps; the gradients are zeroed for the next step.
// ONE-LABEL: func.func @train_step_r0
// ONE-NOT: plan.all_reduce
// ONE: arith.constant 5.000000e-01 : f64
// ONE: plan.scale
// ONE: plan.sgd %{{.*}}, %{{.*}} momentum_buffer(%{{.*}} : memref<4xf32>) lr %{{.*}} step %{{.*}} {dampening = 0.000000e+00 : f64, momentum = 9.000000e-01 : f64, nesterov = false, weight_decay = 0.000000e+00 : f64} : memref<4xf32>
// ONE: plan.zero %{{.*}} : memref<4xf32>
// ONE-NEXT: return
// BAD: error: unknown optimizer 'rmsprop'; expected adam, adamw, sgd or lamb
func.func @step() {
  %w = memref.alloc() {plan.param = "w", plan.persistent} : memref<4xf32>
  %gw = memref.alloc() {plan.grad = "w", plan.persistent} : memref<4xf32>
  %loss = memref.alloc() {plan.output = "loss", plan.persistent} : memref<f32>
  plan.kernel "reduce_sum" ins(%w : memref<4xf32>) outs(%loss : memref<f32>) {axes = array<i64: 0>, keepdims = false}
  plan.kernel "neg" ins(%w : memref<4xf32>) outs(%gw : memref<4xf32>)
  return
}
