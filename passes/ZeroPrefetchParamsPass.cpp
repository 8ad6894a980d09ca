//===- ZeroPrefetchParamsPass.cpp - ZeRO-3 gathers issued ahead -----------===//
//
// DeepSpeed's stage 3 prefetches the parameters the next modules need while
// the current one computes. Here it is a schedule decision on the lowered
// plan: each gather moves up behind the previous one and runs on the
// communication thread, and its cluster waits for it where it stood.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"

namespace dsc::passes {
#define GEN_PASS_DEF_ZEROPREFETCHPARAMS
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class ZeroPrefetchParamsPass
    : public impl::ZeroPrefetchParamsBase<ZeroPrefetchParamsPass> {
public:
  using ZeroPrefetchParamsBase::ZeroPrefetchParamsBase;
  void runOnOperation() override;
};

void ZeroPrefetchParamsPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  if (prefetchElements <= 0)
    return;
  // The parameter gathers in step order. Each one (from the second on) that
  // fits in the prefetch budget is issued right after the previous gather, so
  // it runs while the previous cluster computes; a plan.wait before its
  // cluster's first use (where it stood) blocks until it is done.
  SmallVector<plan::AllGatherOp> gathers;
  step.walk([&](plan::AllGatherOp g) {
    if (g->hasAttr("plan.flat_range"))
      gathers.push_back(g);
  });
  OpBuilder b(step.getContext());
  for (size_t i = 1; i < gathers.size(); ++i) {
    plan::AllGatherOp g = gathers[i];
    auto type = cast<MemRefType>(g.getOutput().getType());
    if (type.getNumElements() > prefetchElements)
      continue;
    Operation *alloc = g.getOutput().getDefiningOp<memref::AllocOp>();
    if (!alloc || alloc->getBlock() != g->getBlock()) {
      g.emitOpError("gathers into a buffer that is not allocated in the step, "
                    "so it cannot be issued ahead");
      return signalPassFailure();
    }
    // The same gather, asynchronous: it returns a token the wait consumes.
    Operation *use = g->getNextNode();
    alloc->moveAfter(gathers[i - 1]);
    b.setInsertionPointAfter(alloc);
    auto issued = plan::AllGatherOp::create(
        b, g.getLoc(), plan::TokenType::get(b.getContext()), g.getInput(),
        g.getOutput(), g.getGroupAttr(), g.getCountsAttr(), g.getOffsetsAttr());
    issued->setDiscardableAttrs(g->getDiscardableAttrDictionary());
    b.setInsertionPoint(use);
    plan::WaitOp::create(b, g.getLoc(), issued.getToken());
    g.erase();
    gathers[i] = issued; // the next gather is issued after this one
  }
}

} // namespace
} // namespace dsc::passes
