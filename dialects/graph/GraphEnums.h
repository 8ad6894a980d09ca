//===- GraphEnums.h - enum attributes of the graph dialect ------*- C++ -*-===//
#ifndef DSC_DIALECTS_GRAPH_GRAPHENUMS_H
#define DSC_DIALECTS_GRAPH_GRAPHENUMS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/OpImplementation.h"

#include <optional>

#include "dialects/graph/GraphEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/graph/GraphAttrs.h.inc"

namespace dsc::graph {

/// The case spelling of a graph enum attribute ("tanh", "mean", "reflect" ...),
/// or std::nullopt when `attr` is not one.
std::optional<llvm::StringRef> enumCaseName(mlir::Attribute attr);

} // namespace dsc::graph

#endif // DSC_DIALECTS_GRAPH_GRAPHENUMS_H
