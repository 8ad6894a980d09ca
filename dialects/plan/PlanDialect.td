//===- PlanDialect.td - the plan dialect -----------------------*- tablegen -*-===//
//
// The `plan` dialect is the per-rank program: kernel calls and collectives on
// buffers (memrefs carved out of one arena), on named communicator groups.
// Printed, a rank's module is its plan.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PLAN_DIALECT
#define DSC_PLAN_DIALECT

include "mlir/IR/OpBase.td"

def Plan_Dialect : Dialect {
  let name = "plan";
  let cppNamespace = "::dsc::plan";
  let summary = "Per-rank programs: kernels and collectives on planned buffers";
  let description = [{
    A rank's step is a straight-line sequence of `plan.kernel` calls and
    collectives on statically shaped memrefs. Buffers start as `memref.alloc`
    and the memory planner places them at static offsets in one arena, so
    the rank's peak memory is known before it runs.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let useDefaultTypePrinterParser = 1;
  // A collective's reduction (PlanEnums.td) prints as `#plan.reduction<sum>`.
  let useDefaultAttributePrinterParser = 1;
  // The plan.* attributes the passes put on memrefs, collectives, functions
  // and arguments (plan.offset, plan.param, plan.flat_range, ...) are
  // declared in PlanAttributes.cpp and checked wherever they appear.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

#endif // DSC_PLAN_DIALECT
