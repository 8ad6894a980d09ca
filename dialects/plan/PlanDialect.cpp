//===- PlanDialect.cpp - the plan dialect ---------------------------------===//
#include "dialects/plan/PlanDialect.h"
#include "dialects/plan/PlanOps.h"

using namespace mlir;
using namespace dsc::plan;

#include "dialects/plan/PlanDialect.cpp.inc"

void PlanDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/plan/PlanOps.cpp.inc"
      >();
}
