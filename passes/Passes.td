//===- Passes.td - ds-compile passes ---------------------------*- tablegen -*-===//
#ifndef DSC_PASSES
#define DSC_PASSES

include "mlir/Pass/PassBase.td"

def Autodiff : Pass<"graph-autodiff", "mlir::ModuleOp"> {
  let summary = "reverse-mode differentiation of the loss";
  let description = [{
    Appends to the function (`@main` unless `func-name` says otherwise) the
    gradient of its scalar loss result with respect to every float parameter
    (arguments carrying `graph.param`), as `graph` ops, and returns the
    gradients after the original results, one per parameter in argument
    order, each result tagged `graph.grad = "<parameter name>"`. A parameter
    used in several places (tied weights) accumulates its contributions; one
    the loss does not depend on gets zeros. The seed of the loss adjoint is
    1, or with `loss-scale-input` a new last argument tagged
    `graph.loss_scale` (fp16's dynamic loss scale, which the training step
    writes each step: an argument, so no fold can take it for a constant).
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", /*default=*/"\"main\"",
           "the function to differentiate">,
    Option<"lossScaleInput", "loss-scale-input", "bool", /*default=*/"false",
           "seed the loss adjoint with a new argument (fp16 loss scaling)">,
    Option<"lossName", "loss", "std::string", /*default=*/"\"\"",
           "the `graph.output` name of the loss; default: the first result">,
  ];
  let dependentDialects = ["::dsc::graph::GraphDialect"];
}

def MixedPrecision : Pass<"graph-mixed-precision", "mlir::ModuleOp"> {
  let summary = "16-bit params and activations (DeepSpeed's fp16 and bf16)";
  let description = [{
    Makes the forward function (`@main` unless `func-name` says otherwise)
    the 16-bit model of DeepSpeed's fp16 or bf16 mode, before autodiff:
    every float32 param (`graph.param`), frozen initializer
    (`graph.frozen`), constant and activation becomes `type`. The losses
    (cross entropy, NLL) read their logits in float32 and return float32,
    and what follows them stays float32; float32 data inputs and results
    keep their types through casts. Constants round to nearest even and
    saturate to the type's finite range (a -3.4e38 mask becomes the
    type's lowest, not -inf).
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", /*default=*/"\"main\"",
           "the function to convert">,
    Option<"type", "type", "std::string", /*default=*/"\"bf16\"",
           "the 16-bit type: f16 or bf16">,
  ];
  let dependentDialects = ["::dsc::graph::GraphDialect"];
}

def ConvertGraphToPlan : Pass<"convert-graph-to-plan", "mlir::ModuleOp"> {
  let summary = "turns the graph function into a plan step on buffers";
  let description = [{
    Rewrites `@main` (graph ops on tensors) into `@step`, a function without
    arguments or results in which every tensor is a statically shaped
    buffer (`memref.alloc`) and every graph op is one `plan.kernel` call
    named `<op>_<element types>` carrying the op's attributes. Arguments
    become persistent buffers tagged with their role and ONNX name
    (`plan.input`, `plan.param`); results become persistent buffers tagged
    `plan.output` or `plan.grad`, which the runtime reads after the step.
    Constants become `memref.global`s. Reshapes copy (kernel `copy`).
  }];
  let dependentDialects = ["::dsc::plan::PlanDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FuseElementwise : Pass<"plan-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "runs chains of elementwise kernels as one kernel";
  let description = [{
    A float `plan.kernel` of a unary or binary elementwise op
    whose input is a temporary buffer (a `memref.alloc` without `plan.*`
    attributes) that only an earlier unary or binary kernel of the same
    shape writes, and nothing else reads, takes that kernel in: the two
    become one `fused_elementwise` kernel whose `program` computes both per
    element (kernels/cpu/FusedProgram.h), and the temporary is gone. Chains
    and trees of them fuse the same way, up to 8 inputs and 24 ops. A
    producer moves to its consumer only when no op between them writes what
    it reads. Each op rounds as the unfused kernel stores it: the results
    are the unfused ones bit for bit (16-bit ones too), with less memory
    traffic and fewer kernel calls (run before plan-memory).
  }];
}

def PlanMemory : Pass<"plan-memory", "mlir::func::FuncOp"> {
  let summary = "places every buffer at a static offset in one arena";
  let description = [{
    Replaces each statically shaped `memref.alloc` of a rank's step function
    by a `memref.view` at a fixed byte offset into one arena, passed as a new
    first argument (`plan.arena`). Buffers whose live ranges (from the alloc
    to the last use, through views) do not overlap may share bytes; buffers
    marked `plan.persistent` (parameters, gradients, optimizer states) live
    for the whole step and come first. Offsets are 64-byte aligned and
    chosen greedily, largest buffer first. The function records the arena
    size (the rank's exact peak) as `plan.arena_size` and the persistent part
    as `plan.persistent_bytes`; each view carries `plan.offset`. The
    boundary exchange (`plan.boundary`) works on the flat spaces
    and is left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def AccumulateGradients : Pass<"accumulate-gradients", "mlir::ModuleOp"> {
  let summary = "the step adds its gradients into the gradient buffers";
  let description = [{
    For gradient accumulation without a separate sum (ZeRO stages 0 and 1,
    as DeepSpeed's backward accumulates into param.grad): the kernel that
    wrote a `plan.grad` buffer now writes a temporary, and an `add` kernel
    adds that into the gradient buffer in place. The update
    (build-optimizer-step) divides by the number of micro-steps and zeroes
    the gradient buffers for the next optimizer step.
  }];
  let dependentDialects = ["::dsc::plan::PlanDialect",
                           "::mlir::memref::MemRefDialect"];
}
def ZeroReduceGradients : Pass<"zero-reduce-gradients", "mlir::ModuleOp"> {
  let summary = "ZeRO stage 2: reduce-scatter gradient buckets inside the step";
  let description = [{
    On the planned step (after convert-graph-to-plan, before plan-memory):
    the gradients (`plan.grad` buffers, in the order of the params) are
    grouped into buckets of whole consecutive params of at most
    `bucket-elements` elements (compiler/partition's paramBuckets). Each
    bucket becomes one buffer, allocated right before the first kernel that
    writes one of its gradients; the gradients become views into it, and
    after the last kernel that touches them an in-place reduce-scatter hands
    each rank the sums of its piece of the bucket (the bucket's part of the
    rank's partition of the flat parameter space). The reduce-scatter is a
    `shard.reduce_scatter` over `shard.grid @dp` (of `dp-size` ranks,
    created if missing) whose result is sharded with the pieces' offsets
    (passes/ShardCollectives.h); convert-shard-to-plan makes it a
    `plan.reduce_scatter` with counts. The gradients are then no longer step
    outputs: the bucket dies after its collective, and the runtime keeps
    only its partition.
  }];
  let options = [
    Option<"dpSize", "dp-size", "int64_t", "1", "data-parallel ranks">,
    Option<"bucketElements", "bucket-elements", "int64_t", "500000000",
           "reduce_bucket_size: elements of a bucket">
  ];
  let dependentDialects = ["::dsc::plan::PlanDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}
def ZeroPartitionParams : Pass<"zero-partition-params", "mlir::ModuleOp"> {
  let summary = "ZeRO stage 3: params live as partitions, gathered for use";
  let description = [{
    On the planned step (after zero-reduce-gradients, before
    convert-shard-to-plan): every rank keeps only its partition of the flat
    parameter space (the params in order), in one persistent buffer of
    ceil(P / dp-size) elements (`plan.param_shard`, which lists the params'
    names and types). A param of at least `persistence-threshold` elements
    loses its own buffer: each cluster of its uses (uses at most
    `cluster-gap` kernels apart, so its uses in forward and in backward are
    separate clusters) reads a temporary that a `shard.all_gather` over
    `shard.grid @dp` fills right before the cluster, from every rank's piece
    of the param (a slice of its partition, sharded with the pieces'
    offsets; tagged `plan.flat_range`); the memory planner frees it after
    the last cluster it serves. Smaller params stay whole on every rank
    (DeepSpeed's persistence threshold), refreshed by the runtime after
    each optimizer step.

    A param stays gathered from one cluster to its next (one gather serves
    both) when fewer than `max-reuse-distance` elements of other params are
    gathered in between (stage3_max_reuse_distance), closest reuses first,
    as long as the gathered elements alive at any kernel stay within
    `max-live-parameters` (stage3_max_live_parameters).
  }];
  let options = [
    Option<"dpSize", "dp-size", "int64_t", "1", "data-parallel ranks">,
    Option<"persistenceThreshold", "persistence-threshold", "int64_t",
           "100000",
           "stage3_param_persistence_threshold: smaller params stay whole">,
    Option<"clusterGap", "cluster-gap", "int64_t", "4",
           "uses of a param at most this many kernels apart share one gather">,
    Option<"maxReuseDistance", "max-reuse-distance", "int64_t", "1000000000",
           "stage3_max_reuse_distance: keep a param gathered if fewer "
           "elements are gathered before its next use (0: never)">,
    Option<"maxLiveParameters", "max-live-parameters", "int64_t",
           "1000000000",
           "stage3_max_live_parameters: most gathered elements alive at once "
           "when keeping params gathered">
  ];
  let dependentDialects = ["::dsc::plan::PlanDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
}
def ZeroBoundaryExchange : Pass<"zero-boundary-exchange", "mlir::ModuleOp"> {
  let summary = "ZeRO: what the ranks exchange outside the step";
  let description = [{
    On the planned step (after the in-step partitioning passes that run,
    before convert-shard-to-plan), with several ranks: adds
    `@boundary(gradients, parameters, grad_norm_squared, loss)`, the flat
    gradient and parameter spaces and two float64 scalars (arguments
    tagged `plan.flat`), holding in order the collectives the runtime runs
    around the optimizer update (compiler/partition's boundaryExchange):
    the gradient buckets of `reduce-bucket-elements` (stage 0 all-reduce,
    stage 1 reduce-scatter), the all-reduce of the squared norm and of the
    loss, then the params in all-gather buckets (stages 1 and 2) or the
    params stage 3 keeps whole. Each is a shard collective on a subview of
    its space (passes/ShardCollectives.h) tagged `plan.phase`
    (`boundary` or `after_optimizer`). build-optimizer-step turns it into
    each rank's update on the arena.
  }];
  let options = [
    Option<"dpSize", "dp-size", "int64_t", "1", "data-parallel ranks">,
    Option<"stage", "stage", "int64_t", "0", "zero_optimization.stage">,
    Option<"reduceBucketElements", "reduce-bucket-elements", "int64_t",
           "500000000", "reduce_bucket_size">,
    Option<"allgatherBucketElements", "allgather-bucket-elements", "int64_t",
           "500000000", "allgather_bucket_size">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
}
def ConvertShardToPlan : Pass<"convert-shard-to-plan", "mlir::ModuleOp"> {
  let summary = "lowers the partitioning stage's shard collectives to the plan";
  let description = [{
    Each `shard.all_reduce`, `shard.reduce_scatter` and `shard.all_gather`
    in the forms of
    passes/ShardCollectives.h (tensors read from buffers with
    `bufferization.to_tensor`, written back with
    `bufferization.materialize_in_destination`, uneven pieces given by a
    `shard.sharding` with `sharded_dims_offsets` and per-rank start tables)
    becomes the plan collective on those buffers, with the pieces as
    `counts` (and `offsets`), placed where the result was written back; the
    shard op's own attributes carry over. The tensor bridge is removed and
    each 1-D `shard.grid` becomes the `plan.group` of its ranks. A shard op
    of another form, or with no plan counterpart, is an error.
  }];
  let dependentDialects = ["::dsc::plan::PlanDialect"];
}
def ZeroPrefetchParams : Pass<"zero-prefetch-params", "mlir::ModuleOp"> {
  let summary = "ZeRO stage 3 prefetch: parameter gathers issued ahead";
  let description = [{
    On the lowered plan (after convert-shard-to-plan): a parameter gather
    (`plan.all_gather` tagged `plan.flat_range`) of at most
    `prefetch-elements` elements moves up to right after the previous
    gather and becomes asynchronous (it returns a `!plan.token`), with a
    `plan.wait` on the token where it stood, so it runs while the previous
    cluster computes
    (stage3_prefetch_bucket_size; 0 turns prefetch off).
  }];
  let options = [
    Option<"prefetchElements", "prefetch-elements", "int64_t", "50000000",
           "stage3_prefetch_bucket_size: largest gather issued ahead">
  ];
  let dependentDialects = ["::dsc::plan::PlanDialect"];
}
def BuildOptimizerStep : Pass<"build-optimizer-step", "mlir::ModuleOp"> {
  let summary = "the rest of a training step: collectives, norm, optimizer";
  let description = [{
    After plan-memory, for training: adds one function per data-parallel
    rank, `@train_step_r<k>(%arena, %report, %step)`, the whole optimizer
    step on the same arena: the micro-steps (`scf.for` over
    grad-accum-steps: `plan.micro_step` has the runtime feed the
    micro-batch, `@step` runs, its loss / GAS adds up in float64,
    `plan.micro_step_end`), then the boundary collectives of
    `@boundary` (which it replaces) through a staging buffer, the mean of
    the gradients over the ranks (and micro-steps), the squared global norm
    (`plan.sum_squares` of the rank's partition, all-reduced), clipping to
    `gradient-clipping` (`plan.clip_coefficient`, `plan.scale`), the loss
    mean, the learning rate of the 0-based step (`plan.lr_schedule`), the
    optimizer's update of every piece of a param the rank owns
    (`plan.adam`, `plan.sgd`, `plan.lamb`), the gathers of the updated
    params, and the zeroing of the next step's gradient sums. The optimizer
    states of the owned elements, the ZeRO-2/3 gradient accumulator, the
    staging buffer and the norm and loss scalars are added at the end of the
    arena and shown in `@step` as views tagged `plan.optimizer_state`,
    `plan.accumulator`, `plan.staging`, `plan.scalar`. On return `%report`
    holds the global loss, the gradient norm, the learning rate, the betas
    and whether the step overflowed.

    With `loss-scaling` (fp16's dynamic loss scale) the step writes
    `%loss_scale` into the loss adjoint's seed (`plan.scalar =
    "loss_scale"`, graph-autodiff's `loss-scale-input`) before the
    micro-steps, and the mean over ranks and micro-steps divides by it.

    16-bit params (fp16 / bf16, graph-mixed-precision) get float32 master
    copies: the states are float32, the arena adds the owned range's
    master params (`plan.optimizer_state = "master_params"`) and float32
    gradients (`plan.staging = "master_gradients"`); the update casts the
    16-bit gradients into the latter (`plan.kernel "cast"`) before the
    mean, so neither the mean nor the unscaling rounds to 16 bits, updates
    the masters, and casts each back into its 16-bit param. The runtime
    fills the masters from the params on a fresh start.

    `%skipped` counts the steps skipped so far: the schedule and the
    optimizer count `%step - %skipped` steps, as DeepSpeed's do. With
    `check-overflow` (fp16's dynamic loss scaling) clipping and the update
    run only when the all-reduced squared norm is finite: an inf or NaN in
    any rank's gradients makes it so on every rank, so every rank skips the
    same step (the gathers still run, on unchanged params).
  }];
  let options = [
    Option<"dpSize", "dp-size", "int64_t", "1", "data-parallel ranks">,
    Option<"stage", "stage", "int64_t", "0", "zero_optimization.stage">,
    Option<"gradAccumSteps", "grad-accum-steps", "int64_t", "1",
           "gradient_accumulation_steps">,
    Option<"gradientClipping", "gradient-clipping", "double", "0.0",
           "the global norm's limit; 0: off">,
    Option<"checkOverflow", "check-overflow", "bool", "false",
           "skip the update when a gradient is inf or NaN (fp16)">,
    Option<"lossScaling", "loss-scaling", "bool", "false",
           "write %loss_scale into the loss adjoint's seed and divide the "
           "gradients by it (fp16)">,
    Option<"optimizer", "optimizer", "std::string", "\"adam\"",
           "adam, adamw, sgd or lamb">,
    Option<"lr", "lr", "double", "1e-3", "the optimizer's lr">,
    Option<"beta1", "beta1", "double", "0.9", "Adam/Lamb beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam/Lamb beta2">,
    Option<"eps", "eps", "double", "1e-8", "Adam/Lamb eps">,
    Option<"weightDecay", "weight-decay", "double", "0.0", "weight_decay">,
    Option<"adamWMode", "adam-w-mode", "bool", "true",
           "Adam: decoupled weight decay">,
    Option<"biasCorrection", "bias-correction", "bool", "true",
           "Adam/Lamb bias correction">,
    Option<"momentum", "momentum", "double", "0.0", "SGD momentum">,
    Option<"dampening", "dampening", "double", "0.0", "SGD dampening">,
    Option<"nesterov", "nesterov", "bool", "false", "SGD Nesterov momentum">,
    Option<"maxCoeff", "max-coeff", "double", "10.0",
           "Lamb's trust-ratio clamp, above">,
    Option<"minCoeff", "min-coeff", "double", "0.01",
           "Lamb's trust-ratio clamp, below">
  ];
  let dependentDialects = ["::dsc::plan::PlanDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
}
def ConvertPlanToLLVM : Pass<"convert-plan-to-llvm", "mlir::ModuleOp"> {
  let summary = "lowers the planned step to LLVM: address arithmetic and calls";
  let description = [{
    Turns the planned `@step` into `llvm.func @dsc_step(%ctx, %arena)`: for
    each `plan.kernel`, in order, the addresses of its buffers (the arena
    plus the buffer's `plan.offset`, or a constant's global) are stored in a
    stack array and the kernel's entry point for its element types is called
    directly, `dsrt_k_<kernel>_<types>(ctx, addresses, site, location)`: the
    site's shapes and attributes, encoded as kernels/KernelDecls.h lays them
    out, and the ONNX node's name are constant globals. Each collective (`plan.all_reduce`,
    `plan.reduce_scatter`, `plan.all_gather`) likewise becomes
    `dsrt_collective_at(ctx, index, addresses)`, index counting the step's
    collectives (the "in_step" entries of plan.json's collectives), and a
    `plan.wait` on a collective's output becomes
    `dsrt_collective_wait(ctx, index)` of that collective (a token lowers
    to its collective's index). Views of views add their byte shifts.
    Constants become LLVM globals. Each rank's training step
    (build-optimizer-step's `@train_step_r<k>`) becomes
    `llvm.func @dsc_train_step_<k>(%ctx, %arena, %report, %step)`: its
    micro-step loop blocks (upstream's scf -> cf -> llvm patterns), its call
    of the step `dsc_step(ctx, arena)`, `plan.micro_step` and
    `plan.micro_step_end` the runtime's hooks, its collectives
    `dsrt_boundary_collective(ctx, index, buffer)`, its optimizer, norm,
    clipping and schedule ops direct calls of the runtime's typed functions
    (`dsrt_adam_f32`, ..., dsrt.h), copies and zeroing `llvm.intr.memcpy`
    and `llvm.intr.memset`, its scalars upstream's arith and math patterns;
    `dsc_train_step_table` lists them by rank and `dsc_train_step_count`
    counts them. One conversion pattern per op; memrefs become bare
    pointers. Runs after plan-memory and build-optimizer-step (a leftover
    `@boundary` is an error). Groups are plan facts for plan.json and are
    dropped.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::cf::ControlFlowDialect"];
}

#endif // DSC_PASSES
