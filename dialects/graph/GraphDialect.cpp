//===- GraphDialect.cpp - the graph dialect -------------------------------===//
#include "dialects/graph/GraphDialect.h"
#include "dialects/graph/GraphOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dsc::graph;

#include "dialects/graph/GraphDialect.cpp.inc"

#include "dialects/graph/GraphEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/graph/GraphAttrs.cpp.inc"

void GraphDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/graph/GraphOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/graph/GraphAttrs.cpp.inc"
      >();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

std::optional<llvm::StringRef> dsc::graph::enumCaseName(Attribute attr) {
  return llvm::TypeSwitch<Attribute, std::optional<llvm::StringRef>>(attr)
      .Case<GeluApproximateAttr, LossReductionAttr, ScatterReductionAttr,
            PadModeAttr>([](auto a) { return stringifyEnum(a.getValue()); })
      .Default([](Attribute) { return std::nullopt; });
}
