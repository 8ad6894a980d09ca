//===- ZeroReduceGradientsPass.cpp - ZeRO-2 gradient buckets in the step --===//
//
// DeepSpeed's stage 2 reduces gradients in buckets while backward runs and
// keeps only the rank's partition; done here at compile time, so that the
// memory planner sees each bucket die after its reduce-scatter.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/partition/ZeroPartition.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "passes/ShardCollectives.h"

namespace dsc::passes {
#define GEN_PASS_DEF_ZEROREDUCEGRADIENTS
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class ZeroReduceGradientsPass
    : public impl::ZeroReduceGradientsBase<ZeroReduceGradientsPass> {
public:
  using ZeroReduceGradientsBase::ZeroReduceGradientsBase;
  void runOnOperation() override;
};

int64_t byteSize(MemRefType type) {
  return type.getNumElements() *
         std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
}

void ZeroReduceGradientsPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  if (dpSize < 1 || bucketElements < 1) {
    module.emitError("dp-size and bucket-elements must be >= 1");
    return signalPassFailure();
  }
  Block &body = step.getBody().front();

  // The params in flat order, and each one's gradient buffer.
  FailureOr<SmallVector<memref::AllocOp>> params = flatParams(body);
  if (failed(params))
    return signalPassFailure();
  llvm::StringMap<memref::AllocOp> gradByName;
  for (auto alloc : body.getOps<memref::AllocOp>())
    if (auto name = alloc->getAttrOfType<StringAttr>("plan.grad"))
      gradByName[name.getValue()] = alloc;
  SmallVector<memref::AllocOp> grads;
  std::vector<int64_t> numels;
  for (memref::AllocOp param : *params) {
    StringRef name = param->getAttrOfType<StringAttr>("plan.param").getValue();
    memref::AllocOp grad = gradByName.lookup(name);
    if (!grad) {
      param.emitOpError("param '") << name << "' has no gradient";
      return signalPassFailure();
    }
    grads.push_back(grad);
    numels.push_back(grad.getType().getNumElements());
  }
  if (grads.empty())
    return;
  int64_t total = 0;
  for (int64_t n : numels)
    total += n;
  std::vector<partition::FlatRange> partitions =
      partition::partitionsOf(total, dpSize);
  if (failed(ensureDataParallelGrid(module, dpSize)))
    return signalPassFailure();
  OpBuilder b(module.getContext());
  llvm::DenseMap<Operation *, int64_t> pos = opPositions(body);
  Type element = grads.front().getType().getElementType();
  const int64_t elementBytes = element.getIntOrFloatBitWidth() / 8;

  size_t first = 0;
  for (const partition::FlatRange &bucket :
       partition::paramBuckets(numels, bucketElements)) {
    // The params [first, last) of this bucket.
    size_t last = first;
    for (int64_t covered = 0; covered < bucket.size(); ++last)
      covered += numels[last];
    // Where the bucket is first written and last touched.
    Operation *begin = nullptr, *end = nullptr;
    for (size_t i = first; i < last; ++i) {
      Operation *alloc = grads[i];
      if (!begin || pos[alloc] < pos[begin])
        begin = alloc;
      for (Operation *user : grads[i]->getUsers())
        if (Operation *top = body.findAncestorOpInBlock(*user))
          if (!end || pos[top] > pos[end])
            end = top;
    }
    Location loc = grads[first].getLoc();
    b.setInsertionPoint(begin);
    auto bytesType =
        MemRefType::get({bucket.size() * elementBytes}, b.getI8Type());
    auto buffer = memref::AllocOp::create(b, loc, bytesType);
    buffer->setAttr("plan.bucket", b.getI64IntegerAttr(bucket.begin));
    int64_t offset = 0;
    for (size_t i = first; i < last; ++i) {
      memref::AllocOp grad = grads[i];
      b.setInsertionPoint(grad);
      Value shift = arith::ConstantIndexOp::create(b, grad.getLoc(), offset);
      auto view = memref::ViewOp::create(b, grad.getLoc(), grad.getType(),
                                         buffer, shift, ValueRange{});
      grad.replaceAllUsesWith(view.getResult());
      offset += byteSize(grad.getType());
      grad.erase();
    }
    // After the bucket's last writer (or reader): its reduce-scatter.
    b.setInsertionPointAfter(end ? end : begin);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    auto flat = memref::ViewOp::create(
        b, loc, MemRefType::get({bucket.size()}, element), buffer, zero,
        ValueRange{});
    partition::FlatRange range{bucket.begin, bucket.end};
    createReduceScatterInPlace(b, loc, flat,
                               partition::countsIn(range, partitions));
    first = last;
  }
}

} // namespace
} // namespace dsc::passes
