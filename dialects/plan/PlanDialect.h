//===- PlanDialect.h - the plan dialect -------------------------*- C++ -*-===//
#ifndef DSC_DIALECTS_PLAN_PLANDIALECT_H
#define DSC_DIALECTS_PLAN_PLANDIALECT_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dialect.h"

#include "dialects/plan/PlanDialect.h.inc"

#endif // DSC_DIALECTS_PLAN_PLANDIALECT_H
