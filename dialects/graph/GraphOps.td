//===- GraphOps.td - operations of the graph dialect -----------*- tablegen -*-===//
//
// Each op states its semantics in its description; shapes of results are
// inferred (InferTypeOpInterface) wherever operands and attributes determine
// them, so the verifier checks every shape rule through one function.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_GRAPH_OPS
#define DSC_GRAPH_OPS

include "dialects/graph/GraphDialect.td"
include "dialects/graph/GraphEnums.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Graph_Float : AnyTypeOf<[F16, BF16, F32, F64]>;
def Graph_Int : AnyTypeOf<[I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def Graph_Element : AnyTypeOf<[Graph_Float, Graph_Int, I1]>;

def Graph_Tensor : RankedTensorOf<[Graph_Element]>;
def Graph_FloatTensor : RankedTensorOf<[Graph_Float]>;
def Graph_IndexTensor : RankedTensorOf<[I32, I64]>;
def Graph_BoolTensor : RankedTensorOf<[I1]>;

// The enum attributes as op arguments, defaulting as ONNX does.
def Graph_GeluApproximateArg : DefaultValuedAttr<Graph_GeluApproximateAttr,
    "::dsc::graph::GeluApproximate::None">;
def Graph_LossReductionArg : DefaultValuedAttr<Graph_LossReductionAttr,
    "::dsc::graph::LossReduction::Mean">;
def Graph_ScatterReductionArg : DefaultValuedAttr<Graph_ScatterReductionAttr,
    "::dsc::graph::ScatterReduction::None">;
def Graph_PadModeArg : DefaultValuedAttr<Graph_PadModeAttr,
    "::dsc::graph::PadMode::Constant">;

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, traits>;

// An op whose result types follow from its operands and attributes.
class Graph_InferredOp<string mnemonic, list<Trait> traits = []>
    : Graph_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Graph_ConstantOp : Graph_InferredOp<"constant", [ConstantLike]> {
  let summary = "a constant tensor";
  let description = [{
    Produces the tensor held in `value`; its type is the attribute's type.
    ONNX Constant, ConstantOfShape, Shape and Range, and integer or boolean
    initializers, all import as constants.

    ```mlir
    %0 = graph.constant dense<[2, 48]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise operations
//===----------------------------------------------------------------------===//

class Graph_BinaryOp<string mnemonic, string semantics,
                     list<Trait> traits = []>
    : Graph_InferredOp<mnemonic, traits> {
  let summary = "elementwise " # mnemonic # " with NumPy broadcasting";
  let description = [{
    The result is }] # semantics # [{, computed elementwise after both
    operands are broadcast to a common shape (NumPy rules). The operands have
    the same element type.

    ```mlir
    %2 = graph.}] # mnemonic # [{ %0, %1 : tensor<2x3xf32>, tensor<3xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasFolder = 1;
}

def Graph_AddOp : Graph_BinaryOp<"add", "`lhs + rhs`", [Commutative]>;
def Graph_SubOp : Graph_BinaryOp<"sub", "`lhs - rhs`">;
def Graph_MulOp : Graph_BinaryOp<"mul", "`lhs * rhs`", [Commutative]>;
def Graph_DivOp : Graph_BinaryOp<"div",
    "`lhs / rhs` (integer division truncates toward zero)">;
def Graph_PowOp : Graph_BinaryOp<"pow", "`lhs` raised to the power `rhs`">;
def Graph_MinOp : Graph_BinaryOp<"min", "the smaller of the two", [Commutative]>;
def Graph_MaxOp : Graph_BinaryOp<"max", "the larger of the two", [Commutative]>;

class Graph_CompareOp<string mnemonic, string semantics>
    : Graph_BinaryOp<mnemonic, semantics # " as an `i1` tensor"> {
  let results = (outs Graph_BoolTensor:$result);
}

def Graph_EqualOp : Graph_CompareOp<"equal", "`lhs == rhs`">;
def Graph_LessOp : Graph_CompareOp<"less", "`lhs < rhs`">;
def Graph_LessEqualOp : Graph_CompareOp<"less_equal", "`lhs <= rhs`">;
def Graph_GreaterOp : Graph_CompareOp<"greater", "`lhs > rhs`">;
def Graph_GreaterEqualOp : Graph_CompareOp<"greater_equal", "`lhs >= rhs`">;

def Graph_WhereOp : Graph_InferredOp<"where"> {
  let summary = "elementwise select with NumPy broadcasting";
  let description = [{
    `condition ? lhs : rhs` elementwise, all three operands broadcast to a
    common shape.

    ```mlir
    %3 = graph.where %c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Graph_BoolTensor:$condition, Graph_Tensor:$lhs,
                   Graph_Tensor:$rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` type($condition) `,` type($lhs)
    `,` type($rhs)
  }];
  let hasFolder = 1;
}

class Graph_UnaryOp<string mnemonic, string semantics,
                    Type operandType = Graph_Tensor>
    : Graph_InferredOp<mnemonic> {
  let summary = "elementwise " # mnemonic;
  let description = [{
    Each element of the result is }] # semantics # [{ of the matching input
    element; the shape and element type are the input's.

    ```mlir
    %1 = graph.}] # mnemonic # [{ %0 : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins operandType:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Graph_NegOp : Graph_UnaryOp<"neg", "the negation">;
def Graph_AbsOp : Graph_UnaryOp<"abs", "the absolute value">;
def Graph_SqrtOp : Graph_UnaryOp<"sqrt", "the square root", Graph_FloatTensor>;
def Graph_ReciprocalOp
    : Graph_UnaryOp<"reciprocal", "`1 / x`", Graph_FloatTensor>;
def Graph_ExpOp : Graph_UnaryOp<"exp", "`e^x`", Graph_FloatTensor>;
def Graph_LogOp : Graph_UnaryOp<"log", "the natural logarithm", Graph_FloatTensor>;
def Graph_TanhOp : Graph_UnaryOp<"tanh", "the hyperbolic tangent", Graph_FloatTensor>;
def Graph_SigmoidOp
    : Graph_UnaryOp<"sigmoid", "`1 / (1 + e^-x)`", Graph_FloatTensor>;
def Graph_ReluOp : Graph_UnaryOp<"relu", "`max(x, 0)`">;
def Graph_ErfOp : Graph_UnaryOp<"erf", "the error function", Graph_FloatTensor>;

def Graph_GeluOp : Graph_InferredOp<"gelu"> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)` elementwise, where `Phi` is the standard normal CDF. With
    `approximate` `tanh` it is
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.

    ```mlir
    %1 = graph.gelu %0 <{approximate = #graph.approximate<tanh>}> : tensor<8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input,
                   Graph_GeluApproximateArg:$approximate);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
}

def Graph_IsNaNOp : Graph_InferredOp<"is_nan"> {
  let summary = "elementwise test for NaN";
  let description = [{
    `true` where the input element is a NaN.

    ```mlir
    %1 = graph.is_nan %0 : tensor<4xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_CastOp : Graph_Op<"cast", [Pure]> {
  let summary = "elementwise element-type conversion";
  let description = [{
    Converts each element to the result's element type: float to integer
    truncates toward zero, to `i1` is `x != 0`, float narrowing rounds to
    nearest even. The shape is unchanged.

    ```mlir
    %1 = graph.cast %0 : tensor<4xi64> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation, activation over an axis, losses
//===----------------------------------------------------------------------===//

class Graph_AxisOp<string mnemonic, string semantics>
    : Graph_InferredOp<mnemonic> {
  let summary = semantics # " along one axis";
  let description = [{
    Computes }] # semantics # [{ of the input along `axis` (in
    `[0, rank)`); the result has the input's shape and type.

    ```mlir
    %1 = graph.}] # mnemonic # [{ %0 {axis = 1 : i64} : tensor<2x5xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
}

def Graph_SoftmaxOp : Graph_AxisOp<"softmax", "`exp(x) / sum(exp(x))`">;
def Graph_LogSoftmaxOp
    : Graph_AxisOp<"log_softmax", "`x - log(sum(exp(x)))`">;

def Graph_LayerNormOp : Graph_InferredOp<"layer_norm"> {
  let summary = "layer normalisation over the trailing axes";
  let description = [{
    Normalises the input over the axes `[axis, rank)`:
    `y = (x - mean) * inv_std_dev * scale + bias` with
    `inv_std_dev = 1 / sqrt(var + epsilon)` (biased variance). `scale` and
    `bias` broadcast against the normalised axes. `mean` and `inv_std_dev`
    are the statistics, shaped like the input with the normalised axes set to
    1, in the input's element type.

    ```mlir
    %y, %m, %r = graph.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 1.0e-05 : f64}
        : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>)
          -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                   Optional<Graph_FloatTensor>:$bias, I64Attr:$axis,
                   F64Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$result, Graph_FloatTensor:$mean,
                 Graph_FloatTensor:$inv_std_dev);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? prop-dict attr-dict `:` functional-type(operands, results)
  }];
}

class Graph_LossOp<string mnemonic, string semantics>
    : Graph_InferredOp<mnemonic> {
  let description = [{
    }] # semantics # [{ With class axis 1, `input` is `[N, C, d1...]` and
    `target` (integer) is `[N, d1...]`. Targets equal to `ignore_index` (when
    present) contribute nothing. `weight`, when given, is `[C]` and scales
    each sample by the weight of its class. `reduction` is `mean` (divided by
    the total weight of the counted samples), `sum` or `none` (the result
    then has the target's shape).
  }];
  let results = (outs Graph_FloatTensor:$loss);
}

def Graph_SoftmaxCrossEntropyLossOp
    : Graph_LossOp<"softmax_cross_entropy_loss",
                   "`-log_softmax(input)[target]` per sample, reduced."> {
  let summary = "softmax cross-entropy loss";
  let arguments = (ins Graph_FloatTensor:$input, Graph_IndexTensor:$target,
                   Optional<Graph_FloatTensor>:$weight,
                   Graph_LossReductionArg:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Graph_FloatTensor:$loss, Graph_FloatTensor:$log_prob);
  let assemblyFormat = [{
    $input `,` $target (`,` $weight^)? prop-dict attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_NegativeLogLikelihoodLossOp
    : Graph_LossOp<"nll_loss", "`-input[target]` per sample, reduced."> {
  let summary = "negative log-likelihood loss";
  let arguments = (ins Graph_FloatTensor:$input, Graph_IndexTensor:$target,
                   Optional<Graph_FloatTensor>:$weight,
                   Graph_LossReductionArg:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let assemblyFormat = [{
    $input `,` $target (`,` $weight^)? prop-dict attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_DropoutOp : Graph_InferredOp<"dropout"> {
  let summary = "training-mode dropout";
  let description = [{
    Zeroes each element with probability `ratio` and scales the kept ones by
    `1 / (1 - ratio)`; `mask` is `true` where an element was kept. The
    random stream is seeded by `seed` and the step. Dropout in inference mode
    is the identity and is not imported as this op.

    ```mlir
    %y, %m = graph.dropout %x {ratio = 1.0e-01 : f64, seed = 0 : i64} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, F64Attr:$ratio, I64Attr:$seed);
  let results = (outs Graph_FloatTensor:$result, Graph_BoolTensor:$mask);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

def Graph_MatMulOp : Graph_InferredOp<"matmul"> {
  let summary = "matrix product with NumPy semantics";
  let description = [{
    NumPy `matmul`: the last two axes are multiplied, leading (batch) axes
    broadcast; a 1-D `lhs` is a row vector and a 1-D `rhs` a column vector,
    and the added axis is removed from the result. `transpose_lhs` and
    `transpose_rhs` swap the last two axes of that operand first (rank >= 2
    only): the canonical form of a product with a transposed operand, which
    the kernels run without copying.

    ```mlir
    %2 = graph.matmul %0, %1 : tensor<2x4x8xf32>, tensor<8x16xf32>
    %3 = graph.matmul %0, %4 <{transpose_rhs = true}> : tensor<2x4x8xf32>, tensor<16x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$lhs, Graph_Tensor:$rhs,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs prop-dict attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasCanonicalizer = 1;
}

def Graph_ConvOp : Graph_InferredOp<"conv"> {
  let summary = "2-D convolution (cross-correlation)";
  let description = [{
    `input` is `[N, C, H, W]`, `filter` is `[M, C / group, kH, kW]`, `bias`
    (optional) is `[M]`. `pads` is `[top, left, bottom, right]`. The output
    is `[N, M, oH, oW]` with
    `oH = (H + top + bottom - dilation_h (kH - 1) - 1) / stride_h + 1`.

    ```mlir
    %y = graph.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64,
        pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$filter,
                   Optional<Graph_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? prop-dict attr-dict `:` functional-type(operands, results)
  }];
}

class Graph_ReduceOp<string mnemonic, string semantics>
    : Graph_InferredOp<mnemonic> {
  let summary = semantics # " over axes";
  let description = [{
    Reduces the input over `axes` (sorted, unique, in `[0, rank)`) with
    }] # semantics # [{. With `keepdims` the reduced axes stay with size 1,
    otherwise they are removed. Empty `axes` reduce nothing.

    ```mlir
    %1 = graph.}] # mnemonic # [{ %0 {axes = array<i64: 1>, keepdims = true} : tensor<2x5xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
}

def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "the sum">;
def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "the mean">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "the maximum">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Graph_ReshapeOp : Graph_Op<"reshape", [Pure]> {
  let summary = "same elements, new shape";
  let description = [{
    Reinterprets the input, in row-major order, with the result's shape. The
    element count and type are unchanged. Squeeze, Unsqueeze and Flatten
    import as reshapes.

    ```mlir
    %1 = graph.reshape %0 : tensor<2x48xi64> -> tensor<96xi64>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_TransposeOp : Graph_InferredOp<"transpose"> {
  let summary = "permutes axes";
  let description = [{
    Result axis `i` is input axis `perm[i]`.

    ```mlir
    %1 = graph.transpose %0 {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Graph_SliceOp : Graph_InferredOp<"slice"> {
  let summary = "strided slice, one entry per axis";
  let description = [{
    Along each axis `i` takes the elements `starts[i], starts[i] + steps[i],
    ...` up to but excluding `ends[i]` (steps may be negative; then `ends[i]`
    may be -1 to run to the first element). All three arrays have one entry
    per input axis and are already clamped to the axis. Split imports as one
    slice per output.

    ```mlir
    %1 = graph.slice %0 {starts = array<i64: 0, 2>, ends = array<i64: 4, 6>,
        steps = array<i64: 1, 2>} : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Graph_ConcatOp : Graph_InferredOp<"concat"> {
  let summary = "joins tensors along an axis";
  let description = [{
    All inputs have the same rank, element type and sizes except along
    `axis`, where the result's size is the sum.

    ```mlir
    %2 = graph.concat %0, %1 {axis = 0 : i64} : tensor<2xi64>, tensor<1xi64>
    ```
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$inputs prop-dict attr-dict `:` type($inputs)";
  let hasFolder = 1;
}

def Graph_ExpandOp : Graph_Op<"expand", [Pure]> {
  let summary = "broadcasts to a shape";
  let description = [{
    Broadcasts the input to the result's shape under NumPy rules (the result
    shape is the broadcast of the input's shape and the requested one).

    ```mlir
    %1 = graph.expand %0 : tensor<1x4xf32> -> tensor<3x4xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_GatherOp : Graph_InferredOp<"gather"> {
  let summary = "takes slices along an axis by index";
  let description = [{
    `result[i..., j..., k...] = input[i..., indices[j...], k...]` where the
    `i` run over the axes before `axis`. Negative indices count from the end.
    An embedding lookup is a gather on axis 0.

    ```mlir
    %2 = graph.gather %w, %ids {axis = 0 : i64} : tensor<512x96xf32>, tensor<2x48xi64>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices prop-dict attr-dict `:` type($input) `,` type($indices)
  }];
  let hasFolder = 1;
}

def Graph_GatherElementsOp : Graph_InferredOp<"gather_elements"> {
  let summary = "takes elements along an axis by index";
  let description = [{
    The result has the shape of `indices`; along `axis` each element is
    taken from `input` at the index given, the other coordinates unchanged.

    ```mlir
    %2 = graph.gather_elements %x, %i {axis = 1 : i64} : tensor<2x5xf32>, tensor<2x1xi64>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices prop-dict attr-dict `:` type($input) `,` type($indices)
  }];
}

def Graph_ScatterNDOp : Graph_InferredOp<"scatter_nd"> {
  let summary = "writes slices at N-dimensional indices";
  let description = [{
    A copy of `input` where, for each index tuple in `indices` (last axis of
    size `k`), the slice `input[idx]` is replaced by (or, with `reduction`
    `add`/`mul`/`max`/`min`, combined with) the matching slice of `updates`.
    `updates` has shape `indices.shape[:-1] + input.shape[k:]`.

    ```mlir
    %r = graph.scatter_nd %x, %i, %u : tensor<8xf32>, tensor<4x1xi64>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_IndexTensor:$indices,
                   Graph_Tensor:$updates,
                   Graph_ScatterReductionArg:$reduction);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $updates prop-dict attr-dict `:` type($input) `,`
    type($indices) `,` type($updates)
  }];
}

def Graph_PadOp : Graph_InferredOp<"pad"> {
  let summary = "pads each axis at both ends";
  let description = [{
    `pads` holds the amounts to add before each axis, then after each axis
    (`2 * rank` entries; negative amounts crop). `mode` is `constant` (fill
    with `value`), `reflect`, `edge` or `wrap`.

    ```mlir
    %1 = graph.pad %0 <{mode = #graph.pad_mode<constant>, pads = array<i64: 0, 1, 0, 1>, value = 0.0 : f64}> : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$pads,
                   Graph_PadModeArg:$mode,
                   DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = "$input prop-dict attr-dict `:` type($input)";
}

def Graph_TriluOp : Graph_InferredOp<"trilu"> {
  let summary = "keeps the upper or lower triangle";
  let description = [{
    Over the last two axes, keeps the elements on and above (`upper = true`)
    or on and below the `k`-th diagonal and zeroes the rest. `k` is an
    optional scalar `i64` tensor (0 when absent); it may be a runtime value,
    since it does not change the shape.

    ```mlir
    %1 = graph.trilu %0, %k <{upper = true}> : tensor<4x4xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Optional<0DTensorOf<[I64]>>:$k,
                   BoolAttr:$upper);
  let results = (outs Graph_Tensor:$result);
  let assemblyFormat = [{
    $input (`,` $k^)? prop-dict attr-dict `:` type($input) (`,` type($k)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Gradients
//
// Ops the autodiff pass emits where a gradient is not a composition of the
// forward ops above. Each takes the adjoint of the forward result (`grad`)
// and returns the adjoint of a forward operand.
//===----------------------------------------------------------------------===//

class Graph_AxisGradOp<string mnemonic, string forward, string formula>
    : Graph_InferredOp<mnemonic, [AllTypesMatch<["result", "grad"]>]> {
  let summary = "gradient of " # forward;
  let description = [{
    Given the forward result `result` of `graph.}] # forward # [{` along
    `axis` and its adjoint `grad`, returns the input's adjoint
    }] # formula # [{.

    ```mlir
    %dx = graph.}] # mnemonic # [{ %y, %dy <{axis = 1 : i64}> : tensor<2x5xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$result, Graph_FloatTensor:$grad,
                   I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = "$result `,` $grad prop-dict attr-dict `:` type($result)";
}

def Graph_SoftmaxGradOp : Graph_AxisGradOp<"softmax_grad", "softmax",
    "`result * (grad - sum(grad * result, axis))`">;
def Graph_LogSoftmaxGradOp : Graph_AxisGradOp<"log_softmax_grad",
    "log_softmax", "`grad - exp(result) * sum(grad, axis)`">;

def Graph_LayerNormGradOp : Graph_InferredOp<"layer_norm_grad"> {
  let summary = "gradient of layer_norm";
  let description = [{
    From the forward input, scale and statistics of a `graph.layer_norm`
    over `[axis, rank)` and the adjoint `grad` of its result, returns the
    adjoints of the input, the scale and the bias (the last two shaped like
    the scale).

    ```mlir
    %dx, %ds, %db = graph.layer_norm_grad %x, %s, %m, %r, %dy <{axis = 1 : i64}>
        : (tensor<4x8xf32>, tensor<8xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x8xf32>)
          -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>)
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$scale,
                   Graph_FloatTensor:$mean, Graph_FloatTensor:$inv_std_dev,
                   Graph_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$input_grad,
                 Graph_FloatTensor:$scale_grad, Graph_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $input `,` $scale `,` $mean `,` $inv_std_dev `,` $grad prop-dict attr-dict
    `:` functional-type(operands, results)
  }];
}

def Graph_GeluGradOp
    : Graph_InferredOp<"gelu_grad", [AllTypesMatch<["input", "grad"]>]> {
  let summary = "gradient of gelu";
  let description = [{
    `grad * gelu'(input)`, with the derivative of the exact or the tanh form
    as `approximate` says.

    ```mlir
    %dx = graph.gelu_grad %x, %dy <{approximate = #graph.approximate<tanh>}> : tensor<8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$grad,
                   Graph_GeluApproximateArg:$approximate);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = "$input `,` $grad prop-dict attr-dict `:` type($input)";
}

def Graph_ConvGradInputOp : Graph_Op<"conv_grad_input", [Pure]> {
  let summary = "gradient of conv with respect to its input";
  let description = [{
    The adjoint of the input of a `graph.conv` with these attributes, given
    the filter and the adjoint `grad` of the output (a transposed
    convolution). The result type is the forward input's type.

    ```mlir
    %dx = graph.conv_grad_input %dy, %w <{dilations = array<i64: 1, 1>, group = 1 : i64,
        pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}>
        : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x8x8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad, Graph_FloatTensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $grad `,` $filter prop-dict attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_ConvGradFilterOp : Graph_Op<"conv_grad_filter", [Pure]> {
  let summary = "gradient of conv with respect to its filter";
  let description = [{
    The adjoint of the filter of a `graph.conv` with these attributes, given
    the forward input and the adjoint `grad` of the output. The result type
    is the filter's type.

    ```mlir
    %dw = graph.conv_grad_filter %x, %dy <{dilations = array<i64: 1, 1>, group = 1 : i64,
        pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}>
        : (tensor<1x3x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<4x3x3x3xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$grad,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Graph_FloatTensor:$filter_grad);
  let assemblyFormat = [{
    $input `,` $grad prop-dict attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Graph_ScatterGradOp<string mnemonic, string forward, string what>
    : Graph_Op<mnemonic, [Pure]> {
  let summary = "gradient of " # forward;
  let description = [{
    The adjoint of the input of a `graph.}] # forward # [{`: a zero tensor
    of the result type into which }] # what # [{ is added at the positions
    the forward op read.

    ```mlir
    %dw = graph.}] # mnemonic # [{ %ids, %dy <{axis = 0 : i64}>
        : (tensor<2x48xi64>, tensor<2x48x96xf32>) -> tensor<512x96xf32>
    ```
  }];
  let arguments = (ins Graph_IndexTensor:$indices, Graph_FloatTensor:$grad,
                   I64Attr:$axis);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $indices `,` $grad prop-dict attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_GatherGradOp
    : Graph_ScatterGradOp<"gather_grad", "gather", "each slice of `grad`">;
def Graph_GatherElementsGradOp
    : Graph_ScatterGradOp<"gather_elements_grad", "gather_elements",
                          "each element of `grad`">;

def Graph_SliceGradOp : Graph_Op<"slice_grad", [Pure]> {
  let summary = "gradient of slice";
  let description = [{
    A zero tensor of the result type (the forward input's) with `grad`
    written at the elements a `graph.slice` with these bounds read.

    ```mlir
    %dx = graph.slice_grad %dy <{ends = array<i64: 4, 6>, starts = array<i64: 0, 2>,
        steps = array<i64: 1, 2>}> : tensor<4x2xf32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $grad prop-dict attr-dict `:` type($grad) `->` type($input_grad)
  }];
  let hasVerifier = 1;
}

def Graph_PadGradOp : Graph_Op<"pad_grad", [Pure]> {
  let summary = "gradient of pad";
  let description = [{
    The adjoint of the input of a `graph.pad` with these pads and mode: the
    interior of `grad`, plus (for `reflect`, `edge` and `wrap`) the padded
    cells added to the input elements they copy.

    ```mlir
    %dx = graph.pad_grad %dy <{mode = #graph.pad_mode<edge>, pads = array<i64: 0, 1, 0, 1>}>
        : tensor<4x6xf32> -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad, DenseI64ArrayAttr:$pads,
                   Graph_PadModeArg:$mode);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $grad prop-dict attr-dict `:` type($grad) `->` type($input_grad)
  }];
  let hasVerifier = 1;
}

def Graph_SoftmaxCrossEntropyLossGradOp
    : Graph_InferredOp<"softmax_cross_entropy_loss_grad"> {
  let summary = "gradient of softmax_cross_entropy_loss";
  let description = [{
    The adjoint of the scores of a `graph.softmax_cross_entropy_loss`, from
    its `log_prob` result, the targets, the adjoint `grad` of the loss
    (scalar for `mean` and `sum`, target-shaped for `none`) and the optional
    class weights: `(exp(log_prob) - onehot(target)) * w * grad`, divided by
    the total weight for `mean`; ignored targets get zero.

    ```mlir
    %dx = graph.softmax_cross_entropy_loss_grad %logp, %t, %dl <{ignore_index = -100 : i64}>
        : (tensor<4x8xf32>, tensor<4xi64>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$log_prob, Graph_IndexTensor:$target,
                   Graph_FloatTensor:$grad, Optional<Graph_FloatTensor>:$weight,
                   Graph_LossReductionArg:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $log_prob `,` $target `,` $grad (`,` $weight^)? prop-dict attr-dict `:`
    functional-type(operands, results)
  }];
}

def Graph_NegativeLogLikelihoodLossGradOp
    : Graph_Op<"nll_loss_grad", [Pure]> {
  let summary = "gradient of nll_loss";
  let description = [{
    The adjoint of the input of a `graph.nll_loss`: `-w * grad` at each
    sample's target class (divided by the total weight for `mean`), zero
    elsewhere and for ignored targets. The result type is the input's.

    ```mlir
    %dx = graph.nll_loss_grad %t, %dl : (tensor<4xi64>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Graph_IndexTensor:$target, Graph_FloatTensor:$grad,
                   Optional<Graph_FloatTensor>:$weight,
                   Graph_LossReductionArg:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Graph_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $target `,` $grad (`,` $weight^)? prop-dict attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DSC_GRAPH_OPS
