//===- MemoryPlannerPass.cpp - static offsets for every buffer ------------===//
//
// Live ranges are positions in the (straight-line) step body; two buffers
// may overlap in memory only when their ranges do not. Placement is greedy:
// largest first, each at the lowest aligned offset that does not collide
// with an already placed buffer alive at the same time.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/PlanStep.h"

#include "dialects/plan/PlanOps.h"

#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/STLExtras.h"

namespace dsc::passes {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  int64_t start, end; // Positions in the body, inclusive.
  bool persistent;
  int64_t offset = -1;
};

/// The last position at which `value` or a view of it is used.
int64_t lastUse(Value value, const llvm::DenseMap<Operation *, int64_t> &pos) {
  int64_t last = -1;
  for (Operation *user : value.getUsers()) {
    Operation *top = user;
    while (top && !pos.count(top))
      top = top->getParentOp();
    if (!top)
      continue;
    last = std::max(last, pos.lookup(top));
    // Through a view, and through an asynchronous collective's token: its
    // output is written until the plan.wait that consumes the token.
    if (isa<ViewLikeOpInterface>(user) || isa<plan::AllGatherOp>(user))
      for (Value result : user->getResults())
        last = std::max(last, lastUse(result, pos));
  }
  return last;
}

class PlanMemoryPass : public impl::PlanMemoryBase<PlanMemoryPass> {
public:
  void runOnOperation() override;
};

void PlanMemoryPass::runOnOperation() {
  func::FuncOp func = getOperation();
  // The boundary exchange works on the flat spaces, not the arena
  // (build-optimizer-step places it).
  if (func.isExternal() || func->hasAttr(kBoundaryAttr))
    return;
  Block &body = func.getBody().front();
  llvm::DenseMap<Operation *, int64_t> pos = opPositions(body);
  const int64_t n = static_cast<int64_t>(pos.size());

  SmallVector<Buffer> buffers;
  for (auto alloc : body.getOps<memref::AllocOp>()) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
      alloc.emitOpError("needs a static shape and an identity layout to be "
                        "planned");
      return signalPassFailure();
    }
    int64_t bytes = type.getNumElements() *
                    std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    bool persistent = alloc->hasAttr("plan.persistent");
    int64_t start = persistent ? 0 : pos[alloc];
    int64_t end = persistent ? n : std::max(pos[alloc], lastUse(alloc, pos));
    buffers.push_back({alloc, bytes, start, end, persistent});
  }

  // Persistent buffers first (they never share), then the rest by size.
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
    if (a->persistent != b->persistent)
      return a->persistent;
    return a->bytes > b->bytes;
  });
  int64_t arenaSize = 0, persistentBytes = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *b : order) {
    // Collisions with live, placed buffers, by offset.
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (Buffer *p : placed)
      if (p->start <= b->end && b->start <= p->end)
        busy.push_back({p->offset, p->offset + alignToArena(p->bytes)});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + alignToArena(b->bytes) <= lo)
        break;
      offset = std::max(offset, hi);
    }
    b->offset = offset;
    placed.push_back(b);
    arenaSize = std::max(arenaSize, offset + alignToArena(b->bytes));
    if (b->persistent)
      persistentBytes = std::max(persistentBytes, arenaSize);
  }

  OpBuilder builder(func.getContext());
  auto arenaType =
      MemRefType::get({std::max<int64_t>(arenaSize, 1)}, builder.getI8Type());
  if (failed(func.insertArgument(0, arenaType,
                                 builder.getDictionaryAttr(builder.getNamedAttr(
                                     "plan.arena", builder.getUnitAttr())),
                                 func.getLoc())))
    return signalPassFailure();
  Value arena = body.getArgument(0);
  for (Buffer &b : buffers) {
    builder.setInsertionPoint(b.alloc);
    Location loc = b.alloc.getLoc();
    Value offset = arith::ConstantIndexOp::create(builder, loc, b.offset);
    auto view = memref::ViewOp::create(builder, loc, b.alloc.getType(), arena,
                                       offset, ValueRange{});
    // Roles and names (plan.param = "w" ...) stay visible on the view.
    for (NamedAttribute attr : b.alloc->getDiscardableAttrs())
      view->setAttr(attr.getName(), attr.getValue());
    view->setAttr("plan.offset", builder.getI64IntegerAttr(b.offset));
    for (Operation *user : llvm::make_early_inc_range(b.alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    b.alloc.replaceAllUsesWith(view.getResult());
    b.alloc.erase();
  }
  func->setAttr("plan.arena_size", builder.getI64IntegerAttr(arenaSize));
  func->setAttr("plan.persistent_bytes",
                builder.getI64IntegerAttr(persistentBytes));
}

} // namespace
} // namespace dsc::passes
