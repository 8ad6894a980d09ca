//===- PlanOps.td - operations of the plan dialect -------------*- tablegen -*-===//

#ifndef DSC_PLAN_OPS
#define DSC_PLAN_OPS

include "dialects/plan/PlanDialect.td"
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
  let summary = "calls a runtime kernel on buffers";
  let description = [{
    Calls the kernel `callee` of the runtime's C API with the input buffers
    `ins` (read) and the output buffers `outs` (written). Attributes carry the
    kernel's static parameters (axes, strides ...). Shapes are those of the
    buffer types, so the call is fully static.

    ```mlir
    plan.kernel "matmul_f32" ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
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

// sum, max, min or avg (checked with the group).
def Plan_ReductionAttr : DefaultValuedAttr<StrAttr, "\"sum\"">;

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
    plan.all_reduce %g on @dp {reduction = "sum"} : memref<1024xf32>
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
    plan.reduce_scatter %g, %shard on @dp {reduction = "sum"} : memref<1024xf32>, memref<256xf32>
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

#endif // DSC_PLAN_OPS
