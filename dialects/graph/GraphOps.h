//===- GraphOps.h - operations of the graph dialect -------------*- C++ -*-===//
#ifndef DSC_DIALECTS_GRAPH_GRAPHOPS_H
#define DSC_DIALECTS_GRAPH_GRAPHOPS_H

#include "dialects/graph/GraphDialect.h"
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

} // namespace dsc::graph

#endif // DSC_DIALECTS_GRAPH_GRAPHOPS_H
