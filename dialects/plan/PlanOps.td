//===- PlanOps.td - operations of the plan dialect -------------*- tablegen -*-===//

#ifndef DSC_PLAN_OPS
#define DSC_PLAN_OPS

include "dialects/plan/PlanDialect.td"
include "dialects/plan/PlanEnums.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Plan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Plan_Dialect, mnemonic, traits>;

def Plan_Buffer : StaticShapeMemRefOf<[AnyFloat, AnySignlessInteger, AnyUnsignedInteger]>;

def Plan_TokenType : TypeDef<Plan_Dialect, "Token"> {
  let mnemonic = "token";
  let summary = "the completion of a collective issued asynchronously";
  let description = [{
    An asynchronous collective (a ZeRO-3 gather issued ahead of its use)
    returns a token; `plan.wait` consumes it where the result is needed. The
    pairing is an SSA edge, so no pass has to find it through the buffer.
  }];
}

//===----------------------------------------------------------------------===//
// Groups
//===----------------------------------------------------------------------===//

def Plan_GroupOp : Plan_Op<"group", [Symbol]> {
  let summary = "a communicator: an ordered set of global ranks";
  let description = [{
    Declares a communicator created once when the rank starts (a data-,
    tensor- or pipeline-parallel group). Collectives name it; a rank's index
    in the group is its position in `ranks`.

    ```mlir
    plan.group @dp ranks [0, 1, 2, 3]
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, DenseI64ArrayAttr:$ranks);
  let assemblyFormat = "$sym_name `ranks` $ranks attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Plan_KernelOp : Plan_Op<"kernel", [AttrSizedOperandSegments]> {
  let summary = "calls a kernel on buffers";
  let description = [{
    Calls the kernel `callee` (declared in kernels/KernelDecls.def; for a
    graph op, its mnemonic) with the input buffers `ins` (read) and the
    output buffers `outs` (written). The other attributes are the kernel's
    declared ones (axes, strides ...); attributes whose name has a `.` are
    the plan's own. The verifier checks the call against the declaration:
    the buffers' count and element types select one of the kernel's entry
    points, and each attribute has its declared type. Shapes are those of
    the buffer types, so the call is fully static: it lowers to a direct
    call of the entry point with the site's constants.

    ```mlir
    plan.kernel "matmul" ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
        outs(%c : memref<4x16xf32>)
    ```
  }];
  let arguments = (ins StrAttr:$callee,
                   Arg<Variadic<Plan_Buffer>, "", [MemRead]>:$ins,
                   Arg<Variadic<Plan_Buffer>, "", [MemWrite]>:$outs);
  let assemblyFormat = [{
    $callee (`ins` `(` $ins^ `:` type($ins) `)`)?
    `outs` `(` $outs `:` type($outs) `)` attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

def Plan_ReductionAttr : DefaultValuedAttr<Plan_ReductionEnumAttr,
                                           "::dsc::plan::Reduction::Sum">;

class Plan_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : Plan_Op<mnemonic, !listconcat(traits,
        [DeclareOpInterfaceMethods<SymbolUserOpInterface>])> {
  code commonExtraClassDeclaration = [{
    /// The group this collective runs on (verified to exist).
    ::dsc::plan::GroupOp getGroupOp();
  }];
}

def Plan_AllReduceOp : Plan_CollectiveOp<"all_reduce"> {
  let summary = "all-reduce in place";
  let description = [{
    Every rank of `group` ends with the reduction of all ranks' `buffer`.

    ```mlir
    plan.all_reduce %g on @dp {reduction = #plan.reduction<max>} : memref<1024xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_Buffer, "", [MemRead, MemWrite]>:$buffer,
                   FlatSymbolRefAttr:$group, Plan_ReductionAttr:$reduction);
  let assemblyFormat = "$buffer `on` $group attr-dict `:` type($buffer)";
  let extraClassDeclaration = commonExtraClassDeclaration;
}

def Plan_ReduceScatterOp : Plan_CollectiveOp<"reduce_scatter"> {
  let summary = "reduce, then each rank keeps its shard";
  let description = [{
    Reduces `input` over `group`; rank i of the group receives the i-th of
    `size(group)` equal contiguous shards in `output`.

    With `counts` (one per rank of the group, adding up to the input's
    elements) the shards are uneven: rank i receives the `counts[i]`
    elements that follow the first `counts[0] + ... + counts[i-1]`. Its
    `output` then either holds the largest shard or is `input` itself (in
    place: each rank's shard stays at its position in the buffer, as a
    ZeRO gradient bucket reduced onto the partitions' owners).

    ```mlir
    plan.reduce_scatter %g, %shard on @dp {reduction = #plan.reduction<avg>} : memref<1024xf32>, memref<256xf32>
    plan.reduce_scatter %b, %b on @dp {counts = array<i64: 4, 3, 3>} : memref<10xf32>, memref<10xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_Buffer, "", [MemRead]>:$input,
                   Arg<Plan_Buffer, "", [MemWrite]>:$output,
                   FlatSymbolRefAttr:$group, Plan_ReductionAttr:$reduction,
                   OptionalAttr<DenseI64ArrayAttr>:$counts);
  let assemblyFormat = [{
    $input `,` $output `on` $group attr-dict `:` type($input) `,` type($output)
  }];
  let extraClassDeclaration = commonExtraClassDeclaration;
}

def Plan_AllGatherOp : Plan_CollectiveOp<"all_gather"> {
  let summary = "each rank contributes a shard; all get the whole";
  let description = [{
    `output` is the concatenation, in group order, of every rank's `input`.

    With `counts` and `offsets` (one each per rank of the group) the pieces
    are uneven: rank i contributes the `counts[i]` elements of its `input`
    that start at `offsets[i]`, and `output` (the counts' sum of elements)
    is their concatenation: a ZeRO-3 parameter gathered from the ranks'
    partitions of the flat parameter space.

    With a `!plan.token` result the gather is asynchronous: it runs while
    the step goes on, and `output` may be read only after the `plan.wait`
    that consumes the token.

    ```mlir
    plan.all_gather %shard, %full on @dp : memref<256xf32>, memref<1024xf32>
    plan.all_gather %shard, %w on @dp {counts = array<i64: 4, 4>, offsets = array<i64: 0, 0>} : memref<6xf32>, memref<8xf32>
    %t = plan.all_gather %shard, %w on @dp : memref<4xf32>, memref<8xf32> -> !plan.token
    ```
  }];
  let arguments = (ins Arg<Plan_Buffer, "", [MemRead]>:$input,
                   Arg<Plan_Buffer, "", [MemWrite]>:$output,
                   FlatSymbolRefAttr:$group,
                   OptionalAttr<DenseI64ArrayAttr>:$counts,
                   OptionalAttr<DenseI64ArrayAttr>:$offsets);
  let results = (outs Optional<Plan_TokenType>:$token);
  let assemblyFormat = [{
    $input `,` $output `on` $group attr-dict `:` type($input) `,` type($output)
    (`->` type($token)^)?
  }];
  let extraClassDeclaration = commonExtraClassDeclaration;
}

// Waiting makes the collective's output readable: a write as far as the
// ops around it are concerned.
def Plan_WaitOp : Plan_Op<"wait", [MemoryEffects<[MemWrite]>]> {
  let summary = "waits until an asynchronous collective is done";
  let description = [{
    An asynchronous collective (a ZeRO-3 parameter gather issued ahead of its
    use: prefetch) runs while the step goes on; `plan.wait` on its token,
    placed before the first use of its output, blocks until it has finished.
    The collective's output is what the wait makes readable.

    ```mlir
    %t = plan.all_gather %shard, %w on @dp : memref<4xf32>, memref<8xf32> -> !plan.token
    plan.wait %t
    ```
  }];
  let arguments = (ins Plan_TokenType:$token);
  let assemblyFormat = "$token attr-dict";
  let extraClassDeclaration = [{
    /// The collective whose completion this waits for.
    AllGatherOp getCollective();
  }];
  let hasVerifier = 1;
}

def Plan_BroadcastOp : Plan_CollectiveOp<"broadcast"> {
  let summary = "copies the root's buffer to every rank";
  let description = [{
    `root` is an index into the group's ranks.

    ```mlir
    plan.broadcast %w on @dp {root = 0 : i64} : memref<1024xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_Buffer, "", [MemRead, MemWrite]>:$buffer,
                   FlatSymbolRefAttr:$group, I64Attr:$root);
  let assemblyFormat = "$buffer `on` $group attr-dict `:` type($buffer)";
  let extraClassDeclaration = commonExtraClassDeclaration;
}

class Plan_PointToPointOp<string mnemonic, string what>
    : Plan_CollectiveOp<mnemonic> {
  let summary = what # " a buffer to or from one peer";
  let description = [{
    }] # what # [{ `buffer` to or from the rank at index `peer` of
    `group` (pipeline stages exchange activations this way).

    ```mlir
    plan.}] # mnemonic # [{ %act on @pp {peer = 1 : i64} : memref<2x48x96xf32>
    ```
  }];
  // Conservatively both: a send reads, a receive writes.
  let arguments = (ins Arg<Plan_Buffer, "", [MemRead, MemWrite]>:$buffer,
                   FlatSymbolRefAttr:$group, I64Attr:$peer);
  let assemblyFormat = "$buffer `on` $group attr-dict `:` type($buffer)";
  let extraClassDeclaration = commonExtraClassDeclaration;
}

def Plan_SendOp : Plan_PointToPointOp<"send", "sends">;
def Plan_RecvOp : Plan_PointToPointOp<"recv", "receives">;

//===----------------------------------------------------------------------===//
// The optimizer step
//===----------------------------------------------------------------------===//

// Float32 or float64 buffers: what the optimizer kernels update.
def Plan_FloatBuffer : StaticShapeMemRefOf<[F32, F64]>;

def Plan_ScaleOp : Plan_Op<"scale"> {
  let summary = "multiplies a buffer by a scalar in place";
  let description = [{
    `buffer[i] *= factor`, the factor rounded to the buffer's element type
    first. A factor of exactly 1 leaves the buffer untouched, so a clip
    coefficient that does not clip costs nothing.

    ```mlir
    plan.scale %g by %mean : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$buffer,
                   F64:$factor);
  let assemblyFormat = "$buffer `by` $factor attr-dict `:` type($buffer)";
}

def Plan_SumSquaresOp : Plan_Op<"sum_squares"> {
  let summary = "the sum of a buffer's squares, in float64";
  let description = [{
    ```mlir
    %s = plan.sum_squares %g : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_FloatBuffer, "", [MemRead]>:$buffer);
  let results = (outs F64:$result);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
}

def Plan_ClipCoefficientOp : Plan_Op<"clip_coefficient", [Pure]> {
  let summary = "DeepSpeed's gradient_clipping factor for a global norm";
  let description = [{
    With `norm = sqrt(norm_squared)`: `max_norm / (norm + 1e-6)` when that
    is below 1, else 1 (torch.nn.utils.clip_grad_norm_), computed in
    float32 as the runtime's kernel does.

    ```mlir
    %c = plan.clip_coefficient %n {max_norm = 1.0 : f64}
    ```
  }];
  let arguments = (ins F64:$norm_squared, F64Attr:$max_norm);
  let results = (outs F64:$result);
  let assemblyFormat = "$norm_squared attr-dict";
}

def Plan_LrScheduleOp : Plan_Op<"lr_schedule", [Pure]> {
  let summary = "the learning rate and betas of optimizer step `step`";
  let description = [{
    The value of the ds_config scheduler (the object's constant
    `dsc_schedule`) at the 0-based optimizer step `step`, from the
    optimizer's own `base_lr` and betas: the learning rate, and the betas a
    momentum-cycling schedule (OneCycle) sets, else the base ones.

    ```mlir
    %lr, %b1, %b2 = plan.lr_schedule %step {base_lr = 1.0e-3 : f64, base_beta1 = 0.9 : f64, base_beta2 = 0.999 : f64}
    ```
  }];
  let arguments = (ins I64:$step, F64Attr:$base_lr, F64Attr:$base_beta1,
                   F64Attr:$base_beta2);
  let results = (outs F64:$lr, F64:$beta1, F64:$beta2);
  let assemblyFormat = "$step attr-dict";
}

def Plan_AdamOp : Plan_Op<"adam", [AllTypesMatch<["param", "grad", "exp_avg",
                                                 "exp_avg_sq"]>]> {
  let summary = "one Adam or AdamW update in place";
  let description = [{
    DeepSpeed's FusedAdam on `param` from `grad`, with the moments `exp_avg`
    and `exp_avg_sq`; `step` is the 1-based optimizer step (bias
    correction). `adam_w_mode` decouples the weight decay.

    ```mlir
    plan.adam %p, %g, %m, %v lr %lr betas %b1, %b2 step %t {eps = 1.0e-8 : f64, weight_decay = 0.0 : f64, adam_w_mode = true, bias_correction = true} : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$param,
                   Arg<Plan_FloatBuffer, "", [MemRead]>:$grad,
                   Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$exp_avg,
                   Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$exp_avg_sq,
                   F64:$lr, F64:$beta1, F64:$beta2, I64:$step, F64Attr:$eps,
                   F64Attr:$weight_decay, BoolAttr:$adam_w_mode,
                   BoolAttr:$bias_correction);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `lr` $lr `betas` $beta1 `,`
    $beta2 `step` $step attr-dict `:` type($param)
  }];
}

def Plan_SgdOp : Plan_Op<"sgd", [AllTypesMatch<["param", "grad"]>]> {
  let summary = "one torch.optim.SGD update in place";
  let description = [{
    With `momentum` non-zero, `momentum_buffer` holds the velocity.

    ```mlir
    plan.sgd %p, %g momentum_buffer(%b : memref<8xf32>) lr %lr step %t {momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false} : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$param,
                   Arg<Plan_FloatBuffer, "", [MemRead]>:$grad,
                   Arg<Optional<Plan_FloatBuffer>, "",
                       [MemRead, MemWrite]>:$momentum_buffer,
                   F64:$lr, I64:$step, F64Attr:$momentum, F64Attr:$dampening,
                   F64Attr:$weight_decay, BoolAttr:$nesterov);
  let assemblyFormat = [{
    $param `,` $grad (`momentum_buffer` `(` $momentum_buffer^ `:`
    type($momentum_buffer) `)`)? `lr` $lr `step` $step attr-dict `:`
    type($param)
  }];
  let hasVerifier = 1;
}

def Plan_LambOp : Plan_Op<"lamb", [AllTypesMatch<["param", "grad", "exp_avg",
                                                 "exp_avg_sq"]>]> {
  let summary = "one Lamb update in place, its trust ratio over the buffer";
  let description = [{
    DeepSpeed's FusedLamb on `param`: the moments' update, scaled by the
    trust ratio `||param|| / ||update||` clamped to [min_coeff, max_coeff].
    The gradient's storage holds the update, so `grad` is clobbered.

    ```mlir
    plan.lamb %p, %g, %m, %v lr %lr betas %b1, %b2 step %t {eps = 1.0e-6 : f64, weight_decay = 0.0 : f64, bias_correction = true, max_coeff = 10.0 : f64, min_coeff = 0.01 : f64} : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$param,
                   Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$grad,
                   Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$exp_avg,
                   Arg<Plan_FloatBuffer, "", [MemRead, MemWrite]>:$exp_avg_sq,
                   F64:$lr, F64:$beta1, F64:$beta2, I64:$step, F64Attr:$eps,
                   F64Attr:$weight_decay, BoolAttr:$bias_correction,
                   F64Attr:$max_coeff, F64Attr:$min_coeff);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `lr` $lr `betas` $beta1 `,`
    $beta2 `step` $step attr-dict `:` type($param)
  }];
}

def Plan_ZeroOp : Plan_Op<"zero"> {
  let summary = "sets a buffer to zero";
  let description = [{
    Starts the next optimizer step's gradient sums at zero.

    ```mlir
    plan.zero %acc : memref<8xf32>
    ```
  }];
  let arguments = (ins Arg<Plan_Buffer, "", [MemWrite]>:$buffer);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
}

def Plan_MicroStepOp : Plan_Op<"micro_step", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "begins micro-step `micro` of optimizer step `step`";
  let description = [{
    The runtime copies the micro-batch (step, micro) of this rank into the
    input buffers and sets the dropout stream of the micro-step; the
    collectives the step then calls are those the plan lists for `micro`.

    ```mlir
    plan.micro_step %step, %micro
    ```
  }];
  let arguments = (ins I64:$step, Index:$micro);
  let assemblyFormat = "$step `,` $micro attr-dict";
}

def Plan_MicroStepEndOp : Plan_Op<"micro_step_end",
                                  [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "ends micro-step `micro`";
  let description = [{
    The runtime checks that the step called every collective the plan lists
    for the micro-step (and waited for every one it started ahead).

    ```mlir
    plan.micro_step_end %micro
    ```
  }];
  let arguments = (ins Index:$micro);
  let assemblyFormat = "$micro attr-dict";
}

#endif // DSC_PLAN_OPS
