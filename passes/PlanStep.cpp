//===- PlanStep.cpp - What the plan-level passes look up in @step ---------===//

#include "passes/PlanStep.h"

using namespace mlir;

namespace dsc::passes {

func::FuncOp lookupPlannedStep(ModuleOp module) {
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.isExternal()) {
    module.emitError("needs @step (run convert-graph-to-plan first)");
    return nullptr;
  }
  return step;
}

FailureOr<SmallVector<memref::AllocOp>> flatParams(Block &body) {
  SmallVector<memref::AllocOp> params;
  for (auto alloc : body.getOps<memref::AllocOp>()) {
    if (!alloc->hasAttr("plan.param"))
      continue;
    if (!params.empty() && alloc.getType().getElementType() !=
                               params.front().getType().getElementType()) {
      alloc.emitOpError("params of different element types cannot share the "
                        "flat parameter space");
      return failure();
    }
    params.push_back(alloc);
  }
  return params;
}

llvm::DenseMap<Operation *, int64_t> opPositions(Block &body) {
  llvm::DenseMap<Operation *, int64_t> pos;
  int64_t n = 0;
  for (Operation &op : body)
    pos[&op] = n++;
  return pos;
}

} // namespace dsc::passes
