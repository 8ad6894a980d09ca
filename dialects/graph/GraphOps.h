//===- GraphOps.h - operations of the graph dialect -------------*- C++ -*-===//
#ifndef DSC_DIALECTS_GRAPH_GRAPHOPS_H
#define DSC_DIALECTS_GRAPH_GRAPHOPS_H

#include "dialects/graph/GraphDialect.h"
#include "dialects/graph/GraphEnums.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.h.inc"

namespace dsc::graph {

/// NumPy broadcast of two shapes; false when they are incompatible.
bool broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                     llvm::SmallVectorImpl<int64_t> &result);

/// Number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

// Shape rules shared by forward ops and the verifiers of their gradients.
// Each emits its message at `loc` and fails when the operands break a rule.
mlir::FailureOr<mlir::RankedTensorType>
inferConvType(std::optional<mlir::Location> loc, mlir::RankedTensorType input,
              mlir::RankedTensorType filter, mlir::Type bias,
              llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
              llvm::ArrayRef<int64_t> dilations, int64_t group);
mlir::FailureOr<mlir::RankedTensorType>
inferSliceType(std::optional<mlir::Location> loc, mlir::RankedTensorType input,
               llvm::ArrayRef<int64_t> starts, llvm::ArrayRef<int64_t> ends,
               llvm::ArrayRef<int64_t> steps);
mlir::FailureOr<mlir::RankedTensorType>
inferGatherType(std::optional<mlir::Location> loc, mlir::RankedTensorType input,
                mlir::RankedTensorType indices, int64_t axis);
mlir::FailureOr<mlir::RankedTensorType>
inferPadType(std::optional<mlir::Location> loc, mlir::RankedTensorType input,
             llvm::ArrayRef<int64_t> pads);
mlir::FailureOr<mlir::RankedTensorType>
inferLossType(std::optional<mlir::Location> loc, mlir::RankedTensorType input,
              mlir::RankedTensorType target, mlir::Type weight,
              LossReduction reduction);

} // namespace dsc::graph

#endif // DSC_DIALECTS_GRAPH_GRAPHOPS_H
