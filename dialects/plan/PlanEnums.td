//===- PlanEnums.td - enum attributes of the plan dialect ------*- tablegen -*-===//
//
// A collective's reduction as an enum attribute, so the parser rejects an
// unknown one and passes switch on the value instead of comparing strings.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PLAN_ENUMS
#define DSC_PLAN_ENUMS

include "dialects/plan/PlanDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Plan_Reduction : I32EnumAttr<"Reduction",
    "a collective's reduction", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Max", 1, "max">,
      I32EnumAttrCase<"Min", 2, "min">,
      I32EnumAttrCase<"Avg", 3, "avg">]> {
  let cppNamespace = "::dsc::plan";
  let genSpecializedAttr = 0;
}

// Printed `#plan.reduction<sum>`.
def Plan_ReductionEnumAttr : EnumAttr<Plan_Dialect, Plan_Reduction,
                                      "reduction"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // DSC_PLAN_ENUMS
