//===- AccumulateGradientsPass.cpp - gradients added into their buffers ---===//
//
// Accumulating micro-steps in the gradient buffers themselves, instead of
// in a second copy of every gradient, keeps the gradients at one copy of
// the parameters (deepspeed.md's model-state table) whatever the number of
// micro-steps.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"

namespace dsc::passes {
#define GEN_PASS_DEF_ACCUMULATEGRADIENTS
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class AccumulateGradientsPass
    : public impl::AccumulateGradientsBase<AccumulateGradientsPass> {
public:
  void runOnOperation() override;
};

void AccumulateGradientsPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  OpBuilder b(module.getContext());
  for (auto grad :
       llvm::to_vector(step.getBody().front().getOps<memref::AllocOp>())) {
    if (!grad->hasAttr("plan.grad"))
      continue;
    // Everything the step did with the gradient now uses a temporary (a
    // gradient may be written in parts and read back, e.g. by a copy of a
    // broadcast); after its last use the temporary is added in.
    Block &body = step.getBody().front();
    b.setInsertionPointAfter(grad);
    auto fresh = memref::AllocOp::create(b, grad.getLoc(), grad.getType());
    grad.getResult().replaceAllUsesWith(fresh.getResult());
    Operation *last = nullptr;
    for (Operation *user : fresh->getUsers()) {
      Operation *top = body.findAncestorOpInBlock(*user);
      if (top && (!last || last->isBeforeInBlock(top)))
        last = top;
    }
    if (!last)
      continue;
    b.setInsertionPointAfter(last);
    plan::KernelOp::create(b, last->getLoc(), b.getStringAttr("add"),
                           ValueRange{grad, fresh}, ValueRange{grad});
  }
}

} // namespace
} // namespace dsc::passes
