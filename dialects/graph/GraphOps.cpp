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

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be 'none' or 'tanh', got '")
           << getApproximate() << "'";
  return success();
}

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

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.cpp.inc"
