//===- GraphShapeInference.cpp - result types of graph ops ----------------===//
//
// The one place where the shape rules of graph ops live: builders use these
// functions to infer result types, and the InferTypeOpInterface verifier uses
// them to check parsed IR, so every rule has one message.
//
//===----------------------------------------------------------------------===//

#include "dialects/graph/GraphOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace dsc::graph;

namespace dsc::graph {

bool broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                     SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    result[i] = da == 1 ? db : da;
  }
  return true;
}

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

} // namespace dsc::graph

namespace {

RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult fail(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Normalises `axis` into [0, rank) or fails naming the op's attribute.
FailureOr<int64_t> checkAxis(std::optional<Location> loc, int64_t axis,
                             int64_t rank, StringRef what = "axis") {
  if (axis < 0 || axis >= rank) {
    (void)fail(loc, what + " " + Twine(axis) + " is out of range for rank " +
                        Twine(rank) + " (expected 0.." + Twine(rank - 1) + ")");
    return failure();
  }
  return axis;
}

/// Broadcasts any number of operands; all must share one element type unless
/// `skipFirstElementCheck` (the condition of `where`).
LogicalResult inferBroadcast(std::optional<Location> loc, ValueRange operands,
                             Type resultElement, bool skipFirstElementCheck,
                             SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape;
  Type element;
  for (auto [i, v] : llvm::enumerate(operands)) {
    RankedTensorType t = tensorOf(v);
    if (!(skipFirstElementCheck && i == 0)) {
      if (!element)
        element = t.getElementType();
      else if (element != t.getElementType())
        return fail(loc, "operands have different element types: " +
                             typeString(element) + " and " +
                             typeString(t.getElementType()));
    }
    SmallVector<int64_t> next;
    if (!broadcastShapes(shape, t.getShape(), next))
      return fail(loc, "operand shapes are not broadcast-compatible: " +
                           typeString(tensorOf(operands[0])) + " and " +
                           typeString(t));
    shape = std::move(next);
  }
  results.push_back(
      RankedTensorType::get(shape, resultElement ? resultElement : element));
  return success();
}

/// A loss's reduction as the adaptor sees it: parsed IR elides the default
/// (mean), and the adaptor does not fill it in.
LossReduction reductionOf(LossReductionAttr attr) {
  return attr ? attr.getValue() : LossReduction::Mean;
}

/// Appends `type` to `results`, or fails.
LogicalResult pushType(FailureOr<RankedTensorType> type,
                       SmallVectorImpl<Type> &results) {
  if (failed(type))
    return failure();
  results.push_back(*type);
  return success();
}

LogicalResult inferSameAsInput(Value input, SmallVectorImpl<Type> &results) {
  results.push_back(input.getType());
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants and elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type || !type.hasStaticShape())
    return fail(loc, "value must be a statically shaped tensor");
  results.push_back(type);
  return success();
}

#define DSC_BINARY_INFER(OP, RESULT_ELEMENT)                                   \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &results) {                                        \
    (void)ctx;                                                                 \
    return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},           \
                          RESULT_ELEMENT, false, results);                     \
  }
DSC_BINARY_INFER(AddOp, Type())
DSC_BINARY_INFER(SubOp, Type())
DSC_BINARY_INFER(MulOp, Type())
DSC_BINARY_INFER(DivOp, Type())
DSC_BINARY_INFER(PowOp, Type())
DSC_BINARY_INFER(MinOp, Type())
DSC_BINARY_INFER(MaxOp, Type())
DSC_BINARY_INFER(EqualOp, IntegerType::get(ctx, 1))
DSC_BINARY_INFER(LessOp, IntegerType::get(ctx, 1))
DSC_BINARY_INFER(LessEqualOp, IntegerType::get(ctx, 1))
DSC_BINARY_INFER(GreaterOp, IntegerType::get(ctx, 1))
DSC_BINARY_INFER(GreaterEqualOp, IntegerType::get(ctx, 1))
#undef DSC_BINARY_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  return inferBroadcast(
      loc, {adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()}, Type(),
      /*skipFirstElementCheck=*/true, results);
}

#define DSC_UNARY_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    return inferSameAsInput(adaptor.getInput(), results);                      \
  }
DSC_UNARY_INFER(NegOp)
DSC_UNARY_INFER(AbsOp)
DSC_UNARY_INFER(SqrtOp)
DSC_UNARY_INFER(ReciprocalOp)
DSC_UNARY_INFER(ExpOp)
DSC_UNARY_INFER(LogOp)
DSC_UNARY_INFER(TanhOp)
DSC_UNARY_INFER(SigmoidOp)
DSC_UNARY_INFER(ReluOp)
DSC_UNARY_INFER(ErfOp)
DSC_UNARY_INFER(GeluOp)
#undef DSC_UNARY_INFER

LogicalResult IsNaNOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  results.push_back(RankedTensorType::get(
      tensorOf(adaptor.getInput()).getShape(), IntegerType::get(ctx, 1)));
  return success();
}

//===----------------------------------------------------------------------===//
// Ops over an axis, normalisation, losses
//===----------------------------------------------------------------------===//

static LogicalResult inferAxisOp(std::optional<Location> loc, Value input,
                                 int64_t axis, SmallVectorImpl<Type> &results) {
  if (failed(checkAxis(loc, axis, tensorOf(input).getRank())))
    return failure();
  return inferSameAsInput(input, results);
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferAxisOp(loc, adaptor.getInput(), adaptor.getAxis(), results);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &results) {
  return inferAxisOp(loc, adaptor.getInput(), adaptor.getAxis(), results);
}

/// `operand` must broadcast to the trailing `normalized` shape.
static LogicalResult checkBroadcastsTo(std::optional<Location> loc,
                                       StringRef name, Value operand,
                                       ArrayRef<int64_t> normalized) {
  SmallVector<int64_t> out;
  ArrayRef<int64_t> shape = tensorOf(operand).getShape();
  if (shape.size() > normalized.size() ||
      !broadcastShapes(shape, normalized, out) || out != normalized)
    return fail(loc, name + " of type " + typeString(operand.getType()) +
                         " does not broadcast to the normalised shape");
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType input = tensorOf(adaptor.getInput());
  FailureOr<int64_t> axis = checkAxis(loc, adaptor.getAxis(), input.getRank());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(*axis);
  if (failed(checkBroadcastsTo(loc, "scale", adaptor.getScale(), normalized)))
    return failure();
  if (adaptor.getBias() &&
      failed(checkBroadcastsTo(loc, "bias", adaptor.getBias(), normalized)))
    return failure();
  SmallVector<int64_t> statShape(input.getShape());
  for (int64_t i = *axis; i < input.getRank(); ++i)
    statShape[i] = 1;
  auto stat = RankedTensorType::get(statShape, input.getElementType());
  results.append({input, stat, stat});
  return success();
}

FailureOr<RankedTensorType>
dsc::graph::inferLossType(std::optional<Location> loc, RankedTensorType input,
                          RankedTensorType target, Type weight,
                          LossReduction reduction) {
  auto failed = [&](const Twine &message) -> FailureOr<RankedTensorType> {
    (void)fail(loc, message);
    return failure();
  };
  if (input.getRank() < 2)
    return failed("input must be [N, C, ...], got " + typeString(input));
  SmallVector<int64_t> expected{input.getDimSize(0)};
  llvm::append_range(expected, input.getShape().drop_front(2));
  if (target.getShape() != ArrayRef<int64_t>(expected))
    return failed("target " + typeString(target) + " does not match input " +
                  typeString(input) +
                  " (expected the input's shape without axis 1)");
  if (weight && cast<RankedTensorType>(weight).getShape() !=
                    ArrayRef<int64_t>{input.getDimSize(1)})
    return failed("weight must have shape [C] = [" +
                  Twine(input.getDimSize(1)) + "]");
  Type element = input.getElementType();
  if (reduction == LossReduction::None)
    return RankedTensorType::get(expected, element);
  return RankedTensorType::get({}, element);
}

/// Shared shape rule of the two losses; `logProb` adds the second result.
static LogicalResult inferLoss(std::optional<Location> loc, Value input,
                               Value target, Value weight,
                               LossReduction reduction, bool logProb,
                               SmallVectorImpl<Type> &results) {
  if (failed(
          pushType(inferLossType(loc, tensorOf(input), tensorOf(target),
                                 weight ? weight.getType() : Type(), reduction),
                   results)))
    return failure();
  if (logProb)
    results.push_back(input.getType());
  return success();
}

LogicalResult SoftmaxCrossEntropyLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferLoss(loc, adaptor.getInput(), adaptor.getTarget(),
                   adaptor.getWeight(), reductionOf(adaptor.getReductionAttr()),
                   /*logProb=*/true, results);
}

LogicalResult NegativeLogLikelihoodLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferLoss(loc, adaptor.getInput(), adaptor.getTarget(),
                   adaptor.getWeight(), reductionOf(adaptor.getReductionAttr()),
                   /*logProb=*/false, results);
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  RankedTensorType input = tensorOf(adaptor.getInput());
  results.push_back(input);
  results.push_back(
      RankedTensorType::get(input.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType lhs = tensorOf(adaptor.getLhs());
  RankedTensorType rhs = tensorOf(adaptor.getRhs());
  if (lhs.getElementType() != rhs.getElementType())
    return fail(loc, "operands have different element types: " +
                         typeString(lhs.getElementType()) + " and " +
                         typeString(rhs.getElementType()));
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return fail(loc, "operands must have rank >= 1");
  // Parsed IR elides the defaults, which the adaptor does not fill in.
  auto flag = [](BoolAttr attr) { return attr && attr.getValue(); };
  bool transposeLhs = flag(adaptor.getTransposeLhsAttr());
  bool transposeRhs = flag(adaptor.getTransposeRhsAttr());
  if ((transposeLhs && lhs.getRank() < 2) ||
      (transposeRhs && rhs.getRank() < 2))
    return fail(loc, "a transposed operand must have rank >= 2");
  // Promote 1-D operands to matrices as NumPy does, then drop the added axis.
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  if (transposeLhs)
    std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (transposeRhs)
    std::swap(b[b.size() - 1], b[b.size() - 2]);
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  int64_t k1 = a.back(), k2 = b[b.size() - 2];
  if (k1 != k2)
    return fail(loc, "contracting dimensions differ: " + typeString(lhs) +
                         " and " + typeString(rhs) + " (" + Twine(k1) + " vs " +
                         Twine(k2) + ")");
  SmallVector<int64_t> batch;
  if (!broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2),
                       batch))
    return fail(loc, "batch dimensions are not broadcast-compatible: " +
                         typeString(lhs) + " and " + typeString(rhs));
  if (lhs.getRank() > 1)
    batch.push_back(a[a.size() - 2]);
  if (rhs.getRank() > 1)
    batch.push_back(b.back());
  results.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

FailureOr<RankedTensorType>
dsc::graph::inferConvType(std::optional<Location> loc, RankedTensorType x,
                          RankedTensorType w, Type bias,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          ArrayRef<int64_t> dilations, int64_t group) {
  auto failed = [&](const Twine &message) -> FailureOr<RankedTensorType> {
    (void)fail(loc, message);
    return failure();
  };
  if (x.getRank() != 4 || w.getRank() != 4)
    return failed("input and filter must be 4-D (2-D convolution), got " +
                  typeString(x) + " and " + typeString(w));
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return failed("expected 2 strides, 2 dilations and 4 pads");
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return failed("strides and dilations must be >= 1");
  if (group < 1 || x.getDimSize(1) % group != 0 || w.getDimSize(0) % group)
    return failed("group " + Twine(group) +
                  " must divide the input and output channels");
  if (w.getDimSize(1) * group != x.getDimSize(1))
    return failed("filter has " + Twine(w.getDimSize(1)) +
                  " input channels per group, input has " +
                  Twine(x.getDimSize(1)) + " channels in " + Twine(group) +
                  " groups");
  if (bias && cast<RankedTensorType>(bias).getShape() !=
                  ArrayRef<int64_t>{w.getDimSize(0)})
    return failed("bias must have shape [" + Twine(w.getDimSize(0)) + "]");
  SmallVector<int64_t> shape{x.getDimSize(0), w.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilations[i] * (w.getDimSize(2 + i) - 1) + 1;
    int64_t padded = x.getDimSize(2 + i) + pads[i] + pads[i + 2];
    if (padded < span)
      return failed("filter is larger than the padded input");
    shape.push_back((padded - span) / strides[i] + 1);
  }
  return RankedTensorType::get(shape, x.getElementType());
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  Value bias = adaptor.getBias();
  return pushType(inferConvType(loc, tensorOf(adaptor.getInput()),
                                tensorOf(adaptor.getFilter()),
                                bias ? bias.getType() : Type(),
                                adaptor.getStrides(), adaptor.getPads(),
                                adaptor.getDilations(), adaptor.getGroup()),
                  results);
}

static LogicalResult inferReduce(std::optional<Location> loc, Value input,
                                 ArrayRef<int64_t> axes, bool keepdims,
                                 SmallVectorImpl<Type> &results) {
  RankedTensorType t = tensorOf(input);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (failed(checkAxis(loc, axis, t.getRank(), "reduction axis")))
      return failure();
    if (i > 0 && axes[i - 1] >= axis)
      return fail(loc, "axes must be sorted and unique");
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(t.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

#define DSC_REDUCE_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferReduce(loc, adaptor.getInput(), adaptor.getAxes(),             \
                       adaptor.getKeepdims(), results);                        \
  }
DSC_REDUCE_INFER(ReduceSumOp)
DSC_REDUCE_INFER(ReduceMeanOp)
DSC_REDUCE_INFER(ReduceMaxOp)
#undef DSC_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType t = tensorOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (static_cast<int64_t>(perm.size()) != t.getRank())
    return fail(loc, "perm has " + Twine(perm.size()) +
                         " entries for an input of rank " + Twine(t.getRank()));
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= t.getRank() || seen[p])
      return fail(loc,
                  "perm is not a permutation of 0.." + Twine(t.getRank() - 1));
    seen[p] = true;
    shape.push_back(t.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

FailureOr<RankedTensorType>
dsc::graph::inferSliceType(std::optional<Location> loc, RankedTensorType t,
                           ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                           ArrayRef<int64_t> steps) {
  auto failed = [&](const Twine &message) -> FailureOr<RankedTensorType> {
    (void)fail(loc, message);
    return failure();
  };
  size_t rank = t.getRank();
  if (starts.size() != rank || ends.size() != rank || steps.size() != rank)
    return failed("starts, ends and steps need one entry per axis (" +
                  Twine(rank) + ")");
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < rank; ++i) {
    int64_t dim = t.getDimSize(i), step = steps[i];
    if (step == 0)
      return failed("step of axis " + Twine(i) + " is zero");
    bool inRange = step > 0 ? (starts[i] >= 0 && starts[i] <= dim &&
                               ends[i] >= 0 && ends[i] <= dim)
                            : (starts[i] >= -1 && starts[i] < dim &&
                               ends[i] >= -1 && ends[i] < dim);
    if (!inRange)
      return failed("slice bounds of axis " + Twine(i) +
                    " are not clamped to its size " + Twine(dim));
    int64_t count = step > 0 ? (ends[i] - starts[i] + step - 1) / step
                             : (starts[i] - ends[i] - step - 1) / -step;
    shape.push_back(std::max<int64_t>(count, 0));
  }
  return RankedTensorType::get(shape, t.getElementType());
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  return pushType(inferSliceType(loc, tensorOf(adaptor.getInput()),
                                 adaptor.getStarts(), adaptor.getEnds(),
                                 adaptor.getSteps()),
                  results);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return fail(loc, "needs at least one input");
  RankedTensorType first = tensorOf(inputs.front());
  FailureOr<int64_t> axis = checkAxis(loc, adaptor.getAxis(), first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (Value v : inputs) {
    RankedTensorType t = tensorOf(v);
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return fail(loc, "inputs " + typeString(first) + " and " + typeString(t) +
                           " differ in element type or rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != first.getDimSize(d))
        return fail(loc, "inputs " + typeString(first) + " and " +
                             typeString(t) + " differ in axis " + Twine(d));
    shape[*axis] += t.getDimSize(*axis);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

FailureOr<RankedTensorType>
dsc::graph::inferGatherType(std::optional<Location> loc, RankedTensorType data,
                            RankedTensorType indices, int64_t axisAttr) {
  FailureOr<int64_t> axis = checkAxis(loc, axisAttr, data.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  return RankedTensorType::get(shape, data.getElementType());
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return pushType(inferGatherType(loc, tensorOf(adaptor.getInput()),
                                  tensorOf(adaptor.getIndices()),
                                  adaptor.getAxis()),
                  results);
}

LogicalResult
GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  RankedTensorType data = tensorOf(adaptor.getInput());
  RankedTensorType indices = tensorOf(adaptor.getIndices());
  if (data.getRank() != indices.getRank())
    return fail(loc,
                "indices must have the input's rank " + Twine(data.getRank()));
  if (failed(checkAxis(loc, adaptor.getAxis(), data.getRank())))
    return failure();
  results.push_back(
      RankedTensorType::get(indices.getShape(), data.getElementType()));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType data = tensorOf(adaptor.getInput());
  RankedTensorType indices = tensorOf(adaptor.getIndices());
  RankedTensorType updates = tensorOf(adaptor.getUpdates());
  if (indices.getRank() < 1 || indices.getShape().back() > data.getRank())
    return fail(loc, "the last axis of indices must be at most the input's "
                     "rank");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected,
                     data.getShape().drop_front(indices.getShape().back()));
  if (updates.getShape() != ArrayRef<int64_t>(expected) ||
      updates.getElementType() != data.getElementType())
    return fail(loc, "updates " + typeString(updates) +
                         " do not match indices and input");
  results.push_back(data);
  return success();
}

FailureOr<RankedTensorType>
dsc::graph::inferPadType(std::optional<Location> loc, RankedTensorType t,
                         ArrayRef<int64_t> pads) {
  auto failed = [&](const Twine &message) -> FailureOr<RankedTensorType> {
    (void)fail(loc, message);
    return failure();
  };
  int64_t rank = t.getRank();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return failed("pads needs 2 * rank = " + Twine(2 * rank) +
                  " entries, got " + Twine(pads.size()));
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t size = t.getDimSize(i) + pads[i] + pads[i + rank];
    if (size < 0)
      return failed("pads make axis " + Twine(i) + " negative");
    shape.push_back(size);
  }
  return RankedTensorType::get(shape, t.getElementType());
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  return pushType(
      inferPadType(loc, tensorOf(adaptor.getInput()), adaptor.getPads()),
      results);
}

LogicalResult TriluOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  if (tensorOf(adaptor.getInput()).getRank() < 2)
    return fail(loc, "input must have rank >= 2");
  return inferSameAsInput(adaptor.getInput(), results);
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

/// `grad` must have the type of the forward value it is the adjoint of.
static LogicalResult checkSameType(std::optional<Location> loc, StringRef what,
                                   Value forward, Value grad) {
  if (forward.getType() != grad.getType())
    return fail(loc, "grad " + typeString(grad.getType()) +
                         " does not match the " + what + " " +
                         typeString(forward.getType()));
  return success();
}

LogicalResult SoftmaxGradOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &results) {
  return inferAxisOp(loc, adaptor.getResult(), adaptor.getAxis(), results);
}

LogicalResult
LogSoftmaxGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  return inferAxisOp(loc, adaptor.getResult(), adaptor.getAxis(), results);
}

LogicalResult
LayerNormGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &results) {
  if (failed(
          checkSameType(loc, "input", adaptor.getInput(), adaptor.getGrad())))
    return failure();
  // The statistics must be shaped as the forward op made them.
  RankedTensorType input = tensorOf(adaptor.getInput());
  FailureOr<int64_t> axis = checkAxis(loc, adaptor.getAxis(), input.getRank());
  if (failed(axis))
    return failure();
  if (failed(checkBroadcastsTo(loc, "scale", adaptor.getScale(),
                               input.getShape().drop_front(*axis))))
    return failure();
  SmallVector<int64_t> statShape(input.getShape());
  for (int64_t i = *axis; i < input.getRank(); ++i)
    statShape[i] = 1;
  auto stat = RankedTensorType::get(statShape, input.getElementType());
  if (adaptor.getMean().getType() != stat ||
      adaptor.getInvStdDev().getType() != stat)
    return fail(loc, "mean and inv_std_dev must have type " + typeString(stat));
  Type scale = adaptor.getScale().getType();
  results.append({input, scale, scale});
  return success();
}

LogicalResult GeluGradOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  return inferSameAsInput(adaptor.getInput(), results);
}

LogicalResult SoftmaxCrossEntropyLossGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  Value weight = adaptor.getWeight();
  FailureOr<RankedTensorType> loss = inferLossType(
      loc, tensorOf(adaptor.getLogProb()), tensorOf(adaptor.getTarget()),
      weight ? weight.getType() : Type(),
      reductionOf(adaptor.getReductionAttr()));
  if (failed(loss))
    return failure();
  if (adaptor.getGrad().getType() != *loss)
    return fail(loc, "grad " + typeString(adaptor.getGrad().getType()) +
                         " does not match the loss " + typeString(*loss));
  return inferSameAsInput(adaptor.getLogProb(), results);
}
