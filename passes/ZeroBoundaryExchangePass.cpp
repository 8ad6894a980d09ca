//===- ZeroBoundaryExchangePass.cpp - ZeRO's exchange outside the step ----===//
//
// What the ranks exchange at the accumulation boundary and after the
// optimizer (DeepSpeed's gradient all-reduce or reduce-scatter, the global
// norm and loss, the all-gather of updated params) is decided here, with the
// step's, in the partitioning stage: as shard collectives on the flat
// gradient and parameter spaces in a function @boundary, which
// build-optimizer-step turns into each rank's update on the arena.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/partition/ZeroPartition.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "passes/ShardCollectives.h"

namespace dsc::passes {
#define GEN_PASS_DEF_ZEROBOUNDARYEXCHANGE
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class ZeroBoundaryExchangePass
    : public impl::ZeroBoundaryExchangeBase<ZeroBoundaryExchangePass> {
public:
  using ZeroBoundaryExchangeBase::ZeroBoundaryExchangeBase;
  void runOnOperation() override;
};

void ZeroBoundaryExchangePass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  if (dpSize < 1 || stage < 0 || stage > 3 || reduceBucketElements < 1 ||
      allgatherBucketElements < 1) {
    module.emitError("dp-size and the bucket sizes must be >= 1, stage 0-3");
    return signalPassFailure();
  }
  if (module.lookupSymbol(kBoundaryFunction)) {
    module.emitError("already has @") << kBoundaryFunction;
    return signalPassFailure();
  }
  FailureOr<SmallVector<FlatParamInfo>> layout =
      flatParamLayout(step.getBody().front());
  if (failed(layout))
    return signalPassFailure();
  if (dpSize == 1 || layout->empty())
    return;
  std::vector<int64_t> numels;
  std::vector<partition::FlatRange> whole;
  int64_t total = 0;
  for (const FlatParamInfo &p : *layout) {
    numels.push_back(p.numel);
    if (stage == 3 && p.whole())
      whole.push_back({total, total + p.numel});
    total += p.numel;
  }
  std::vector<partition::ZeroInputs::Outside> exchange =
      partition::boundaryExchange(stage, dpSize, numels, whole,
                                  reduceBucketElements,
                                  allgatherBucketElements);
  std::vector<partition::FlatRange> partitions =
      partition::partitionsOf(total, dpSize);

  // @boundary(gradients, parameters, grad_norm_squared, loss): the flat
  // spaces and the two float64 scalars, each arg named by its payload.
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = step.getLoc();
  Type element = layout->front().type.getElementType();
  auto flat = MemRefType::get({total}, element);
  auto scalar = MemRefType::get({1}, b.getF64Type());
  auto boundary =
      func::FuncOp::create(b, loc, kBoundaryFunction,
                           b.getFunctionType({flat, flat, scalar, scalar}, {}));
  boundary->setAttr(kBoundaryAttr, b.getUnitAttr());
  using runtime::CollectivePayload;
  for (CollectivePayload payload :
       {CollectivePayload::Gradients, CollectivePayload::Parameters,
        CollectivePayload::GradNormSquared, CollectivePayload::Loss})
    boundary.setArgAttr(
        static_cast<unsigned>(payload), "plan.flat",
        b.getStringAttr(runtime::collectivePayloadName(payload)));
  Block *body = boundary.addEntryBlock();
  b.setInsertionPointToStart(body);
  if (failed(ensureDataParallelGrid(module, dpSize)))
    return signalPassFailure();

  for (const partition::ZeroInputs::Outside &c : exchange) {
    Value buffer = body->getArgument(static_cast<unsigned>(c.payload));
    if (c.payload == CollectivePayload::Gradients ||
        c.payload == CollectivePayload::Parameters)
      buffer = memref::SubViewOp::create(
          b, loc, buffer, ArrayRef<int64_t>{c.range.begin},
          ArrayRef<int64_t>{c.range.size()}, ArrayRef<int64_t>{1});
    std::vector<int64_t> counts = partition::countsIn(c.range, partitions);
    Operation *collective = nullptr;
    switch (c.kind) {
    case partition::CollectiveKind::AllReduce:
      collective = createAllReduceInPlace(b, loc, buffer);
      break;
    case partition::CollectiveKind::ReduceScatter:
      collective = createReduceScatterInPlace(b, loc, buffer, counts);
      break;
    case partition::CollectiveKind::AllGather: {
      // Each rank gives its part of the range, which sits at its place.
      collective =
          createAllGather(b, loc, buffer, buffer, counts,
                          partition::pieceStartsInRange(c.range, partitions));
      break;
    }
    }
    collective->setAttr("plan.phase",
                        b.getStringAttr(runtime::collectivePhaseName(c.phase)));
  }
  func::ReturnOp::create(b, loc);
}

} // namespace
} // namespace dsc::passes
