//===- GraphDialect.h - the graph dialect -----------------------*- C++ -*-===//
#ifndef DSC_DIALECTS_GRAPH_GRAPHDIALECT_H
#define DSC_DIALECTS_GRAPH_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/graph/GraphDialect.h.inc"

#endif // DSC_DIALECTS_GRAPH_GRAPHDIALECT_H
