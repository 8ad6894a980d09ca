//===- GraphOps.cpp - verifiers of graph ops ------------------------------===//
//
// Verifiers of ops whose result type is given rather than inferred; the
// inferred ones are checked through GraphShapeInference.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/graph/GraphOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace dsc::graph;

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getResult().getType().getShape())
    return emitOpError("changes the shape: ")
           << getInput().getType() << " -> " << getResult().getType();
  return success();
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio >= 0.0 && ratio < 1.0))
    return emitOpError("ratio must be in [0, 1), got ") << ratio;
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type: ")
           << in.getElementType() << " -> " << out.getElementType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("changes the element count: ")
           << in << " has " << in.getNumElements() << ", " << out << " has "
           << out.getNumElements();
  return success();
}

LogicalResult ExpandOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  SmallVector<int64_t> shape;
  if (in.getElementType() != out.getElementType())
    return emitOpError("changes the element type: ")
           << in.getElementType() << " -> " << out.getElementType();
  if (!broadcastShapes(in.getShape(), out.getShape(), shape) ||
      shape != out.getShape())
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

//===----------------------------------------------------------------------===//
// Gradients whose result type is the forward operand's: the forward shape
// rule applied to the result must give the type of `grad`.
//===----------------------------------------------------------------------===//

/// Checks that the forward op, run on the gradient's result type, would have
/// produced `grad`'s type.
static LogicalResult
checkForward(Operation *op, FailureOr<RankedTensorType> forward, Type grad) {
  if (failed(forward))
    return failure();
  if (*forward != grad)
    return op->emitOpError("grad ")
           << grad << " is not the forward result type " << *forward
           << " of this input";
  return success();
}

LogicalResult ConvGradInputOp::verify() {
  return checkForward(*this,
                      inferConvType(getLoc(), getInputGrad().getType(),
                                    getFilter().getType(), Type(), getStrides(),
                                    getPads(), getDilations(), getGroup()),
                      getGrad().getType());
}

LogicalResult ConvGradFilterOp::verify() {
  return checkForward(*this,
                      inferConvType(getLoc(), getInput().getType(),
                                    getFilterGrad().getType(), Type(),
                                    getStrides(), getPads(), getDilations(),
                                    getGroup()),
                      getGrad().getType());
}

LogicalResult GatherGradOp::verify() {
  return checkForward(*this,
                      inferGatherType(getLoc(), getInputGrad().getType(),
                                      getIndices().getType(), getAxis()),
                      getGrad().getType());
}

LogicalResult GatherElementsGradOp::verify() {
  RankedTensorType input = getInputGrad().getType();
  if (getAxis() < 0 || getAxis() >= input.getRank())
    return emitOpError("axis ") << getAxis() << " is out of range";
  auto expected = RankedTensorType::get(getIndices().getType().getShape(),
                                        input.getElementType());
  return checkForward(*this, expected, getGrad().getType());
}

LogicalResult SliceGradOp::verify() {
  return checkForward(*this,
                      inferSliceType(getLoc(), getInputGrad().getType(),
                                     getStarts(), getEnds(), getSteps()),
                      getGrad().getType());
}

LogicalResult PadGradOp::verify() {
  return checkForward(
      *this, inferPadType(getLoc(), getInputGrad().getType(), getPads()),
      getGrad().getType());
}

LogicalResult NegativeLogLikelihoodLossGradOp::verify() {
  Value weight = getWeight();
  return checkForward(
      *this,
      inferLossType(getLoc(), getInputGrad().getType(), getTarget().getType(),
                    weight ? weight.getType() : Type(), getReduction()),
      getGrad().getType());
}

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.cpp.inc"
