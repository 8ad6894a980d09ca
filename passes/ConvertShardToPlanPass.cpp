//===- ConvertShardToPlanPass.cpp - shard collectives to plan collectives -===//
//
// The partitioning stage speaks upstream `shard` on tensors bridged to the
// step's buffers (ShardCollectives.h gives the forms); the runtime executes
// plan collectives on buffers. This pass reads, for each shard collective,
// the buffers it reads and writes and every rank's piece (the sharding's
// offsets and the per-rank start tables), emits the plan collective in place
// of the write-back, and removes the bridge.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

namespace dsc::passes {
#define GEN_PASS_DEF_CONVERTSHARDTOPLAN
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

class ConvertShardToPlanPass
    : public impl::ConvertShardToPlanBase<ConvertShardToPlanPass> {
public:
  using ConvertShardToPlanBase::ConvertShardToPlanBase;
  void runOnOperation() override;
};

/// Reports that `op` is not in a form this pass lowers.
InFlightDiagnostic unlowerable(Operation *op, const Twine &why) {
  return op->emitOpError("cannot be lowered to a plan collective: ") << why;
}

/// The buffer `value` was read from: through casts and sharding annotations
/// back to `bufferization.to_tensor`; null if it was not read from one.
Value sourceBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto cast = dyn_cast<tensor::CastOp>(def))
      value = cast.getSource();
    else if (auto annotation = dyn_cast<shard::ShardOp>(def))
      value = annotation.getSrc();
    else if (auto read = dyn_cast<bufferization::ToTensorOp>(def))
      return read.getBuffer();
    else
      return {};
  }
  return {};
}

/// The one user of `value` of type T, skipping `tensor.dim`s (which only
/// ask for a piece's size); null if there is none or several.
template <typename T> T soleUser(Value value) {
  T found;
  for (Operation *user : value.getUsers()) {
    if (isa<tensor::DimOp>(user))
      continue;
    auto typed = dyn_cast<T>(user);
    if (!typed || found)
      return {};
    found = typed;
  }
  return found;
}

/// Where a value is written back: through casts and reshapes to the
/// `bufferization.materialize_in_destination` into a buffer.
bufferization::MaterializeInDestinationOp writeBack(Value value) {
  while (true) {
    Operation *user = value.hasOneUse() ? *value.getUsers().begin() : nullptr;
    if (!user)
      return {};
    if (auto write = dyn_cast<bufferization::MaterializeInDestinationOp>(user))
      return isa<MemRefType>(write.getDest().getType()) ? write : nullptr;
    if (isa<tensor::CastOp, tensor::ReshapeOp>(user) &&
        user->getOperand(0) == value)
      value = user->getResult(0);
    else
      return {};
  }
}

/// Every rank's piece, as the 1-D sharding annotating a collective gives it.
struct Pieces {
  SmallVector<int64_t> starts;
  SmallVector<int64_t> counts;
};

/// The pieces of the 1-D sharding (on dim 0, over `grid` of `ranks`)
/// annotating a collective.
FailureOr<Pieces> piecesOf(Operation *collective, shard::ShardOp annotation,
                           FlatSymbolRefAttr grid, int64_t ranks) {
  auto sharding = annotation.getSharding().getDefiningOp<shard::ShardingOp>();
  if (!sharding || !sharding.getDynamicShardedDimsOffsets().empty())
    return unlowerable(collective, "its pieces' sharding is not static");
  ArrayRef<shard::GridAxesAttr> axes = sharding.getSplitAxes().getAxes();
  if (sharding.getGridAttr() != grid || axes.size() != 1 ||
      axes[0].asArrayRef() != ArrayRef<int16_t>{0})
    return unlowerable(collective, "its pieces are not split on dim 0 over ")
           << grid;
  ArrayRef<int64_t> offsets = sharding.getStaticShardedDimsOffsets();
  if (static_cast<int64_t>(offsets.size()) != ranks + 1)
    return unlowerable(collective, "its sharding has ")
           << offsets.size() << " offsets, a grid of " << ranks
           << " ranks needs " << ranks + 1;
  Pieces pieces;
  for (int64_t r = 0; r < ranks; ++r) {
    pieces.starts.push_back(offsets[r]);
    pieces.counts.push_back(offsets[r + 1] - offsets[r]);
  }
  return pieces;
}

/// The table of a per-rank index `tensor.extract %table[%rank]`, %table a
/// constant and %rank `shard.process_linear_index`.
FailureOr<SmallVector<int64_t>> perRankTable(Operation *collective,
                                             OpFoldResult value,
                                             FlatSymbolRefAttr grid,
                                             int64_t ranks) {
  auto extract = dyn_cast_if_present<tensor::ExtractOp>(
      dyn_cast_if_present<Value>(value) ? cast<Value>(value).getDefiningOp()
                                        : nullptr);
  auto rank =
      extract && extract.getIndices().size() == 1
          ? extract.getIndices()[0].getDefiningOp<shard::ProcessLinearIndexOp>()
          : nullptr;
  DenseIntElementsAttr table;
  if (!rank || rank.getGridAttr() != grid ||
      !matchPattern(extract.getTensor(), m_Constant(&table)) ||
      table.getNumElements() != ranks)
    return unlowerable(collective,
                       "a piece's start or size is not a per-rank table");
  return llvm::to_vector(
      llvm::map_range(table.getValues<APInt>(),
                      [](const APInt &v) { return v.getSExtValue(); }));
}

/// Whether a slice is one contiguous 1-D piece (a single unit stride).
bool isContiguousPiece(OffsetSizeAndStrideOpInterface slice) {
  SmallVector<OpFoldResult> strides = slice.getMixedStrides();
  return strides.size() == 1 && isConstantIntValue(strides[0], 1);
}

/// A 1-D grid of known size: what a plan group can be.
bool isPlanGroupGrid(shard::GridOp grid) {
  return grid && grid.getShape().size() == 1 &&
         !ShapedType::isDynamic(grid.getShape()[0]);
}

FailureOr<plan::Reduction> planReduction(Operation *op,
                                         shard::ReductionKind kind) {
  switch (kind) {
  case shard::ReductionKind::Sum:
    return plan::Reduction::Sum;
  case shard::ReductionKind::Max:
    return plan::Reduction::Max;
  case shard::ReductionKind::Min:
    return plan::Reduction::Min;
  case shard::ReductionKind::Average:
    return plan::Reduction::Avg;
  default:
    return unlowerable(op, "the plan reduces by sum, max, min or average only");
  }
}

/// The grid's size, checked to be a 1-D grid of known size on one axis.
FailureOr<int64_t> gridRanks(Operation *op, FlatSymbolRefAttr name,
                             ArrayRef<int16_t> axes) {
  auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(op, name);
  if (!isPlanGroupGrid(grid) || axes.size() != 1 || axes[0] != 0)
    return unlowerable(op, "the plan's groups are 1-D grids of known size");
  return grid.getShape()[0];
}

/// Carries the shard op's own attributes (plan.flat_range ...) over.
void keepAttributes(Operation *from, Operation *to) {
  for (NamedAttribute attr : from->getDiscardableAttrs())
    to->setAttr(attr.getName(), attr.getValue());
}

LogicalResult lowerReduceScatter(shard::ReduceScatterOp op) {
  FailureOr<int64_t> ranks = gridRanks(op, op.getGridAttr(), op.getGridAxes());
  FailureOr<plan::Reduction> reduction = planReduction(op, op.getReduction());
  if (failed(ranks) || failed(reduction))
    return failure();
  Value input = sourceBuffer(op.getInput());
  if (!input || cast<MemRefType>(input.getType()).getRank() != 1 ||
      op.getScatterAxis() != 0)
    return unlowerable(op, "its input is not a 1-D buffer scattered on dim 0");
  auto annotation = soleUser<shard::ShardOp>(op.getResult());
  if (!annotation || annotation.getAnnotateForUsers())
    return unlowerable(op, "its result has no sharding giving the pieces");
  FailureOr<Pieces> pieces = piecesOf(op, annotation, op.getGridAttr(), *ranks);
  if (failed(pieces))
    return failure();
  // In place: each rank's whole piece goes back at its start in the input
  // buffer.
  auto insert = soleUser<tensor::InsertSliceOp>(annotation.getResult());
  auto size =
      insert ? getConstantIntValue(insert.getMixedSizes()[0]) : std::nullopt;
  auto dim =
      insert ? dyn_cast_if_present<Value>(insert.getMixedSizes()[0]) : Value();
  auto dimOp = dim ? dim.getDefiningOp<tensor::DimOp>() : nullptr;
  if (!insert || sourceBuffer(insert.getDest()) != input ||
      !isContiguousPiece(insert) || size ||
      !(dimOp && dimOp.getSource() == annotation.getResult()))
    return unlowerable(op, "its pieces are not written back whole into its "
                           "input");
  FailureOr<SmallVector<int64_t>> starts =
      perRankTable(op, insert.getMixedOffsets()[0], op.getGridAttr(), *ranks);
  if (failed(starts))
    return failure();
  for (int64_t r = 0; r < *ranks; ++r)
    if ((*starts)[r] != pieces->starts[r])
      return unlowerable(op, "rank ")
             << r << "'s piece is written at " << (*starts)[r]
             << ", its sharding puts it at " << pieces->starts[r];
  bufferization::MaterializeInDestinationOp write =
      writeBack(insert.getResult());
  if (!write || write.getDest() != input)
    return unlowerable(op, "its result is not written back into its input");
  OpBuilder b(write);
  auto lowered = plan::ReduceScatterOp::create(
      b, op.getLoc(), input, input, op.getGridAttr(),
      b.getAttr<plan::ReductionAttr>(*reduction),
      b.getDenseI64ArrayAttr(pieces->counts));
  keepAttributes(op, lowered);
  write.erase();
  return success();
}

LogicalResult lowerAllReduce(shard::AllReduceOp op) {
  FailureOr<int64_t> ranks = gridRanks(op, op.getGridAttr(), op.getGridAxes());
  if (failed(ranks))
    return failure();
  FailureOr<plan::Reduction> reduction = planReduction(op, op.getReduction());
  if (failed(reduction))
    return failure();
  // In place: the result is copied back into the buffer reduced.
  Value input = op.getInput();
  auto copy = op.getResult().hasOneUse()
                  ? dyn_cast<memref::CopyOp>(*op.getResult().getUsers().begin())
                  : nullptr;
  if (!isa<MemRefType>(input.getType()) || !copy ||
      copy.getSource() != op.getResult() || copy.getTarget() != input)
    return unlowerable(op, "its result is not copied back into its buffer");
  OpBuilder b(copy);
  auto lowered =
      plan::AllReduceOp::create(b, op.getLoc(), input, op.getGridAttr(),
                                b.getAttr<plan::ReductionAttr>(*reduction));
  keepAttributes(op, lowered);
  copy.erase();
  return success();
}

LogicalResult lowerAllGather(shard::AllGatherOp op) {
  FailureOr<int64_t> ranks = gridRanks(op, op.getGridAttr(), op.getGridAxes());
  if (failed(ranks))
    return failure();
  auto annotation = op.getInput().getDefiningOp<shard::ShardOp>();
  if (!annotation || !annotation.getAnnotateForUsers())
    return unlowerable(op, "its input has no sharding giving the pieces");
  FailureOr<Pieces> pieces = piecesOf(op, annotation, op.getGridAttr(), *ranks);
  if (failed(pieces))
    return failure();
  auto slice = annotation.getSrc().getDefiningOp<tensor::ExtractSliceOp>();
  Value input = slice ? sourceBuffer(slice.getSource()) : Value();
  if (!input || op.getGatherAxis() != 0 ||
      cast<MemRefType>(input.getType()).getRank() != 1 ||
      !isContiguousPiece(slice))
    return unlowerable(op, "its piece is not a slice of a 1-D buffer");
  FailureOr<SmallVector<int64_t>> starts =
      perRankTable(op, slice.getMixedOffsets()[0], op.getGridAttr(), *ranks);
  FailureOr<SmallVector<int64_t>> sizes =
      perRankTable(op, slice.getMixedSizes()[0], op.getGridAttr(), *ranks);
  if (failed(starts) || failed(sizes))
    return failure();
  if (*sizes != pieces->counts)
    return unlowerable(op, "its slices' sizes differ from its sharding's");
  bufferization::MaterializeInDestinationOp write = writeBack(op.getResult());
  if (!write)
    return unlowerable(op, "its result is not written into a buffer");
  OpBuilder b(write);
  auto lowered = plan::AllGatherOp::create(
      b, op.getLoc(), /*token=*/Type(), input, write.getDest(),
      op.getGridAttr(), b.getDenseI64ArrayAttr(pieces->counts),
      b.getDenseI64ArrayAttr(*starts));
  keepAttributes(op, lowered);
  write.erase();
  return success();
}

/// The ops that carry shard collectives over buffers.
bool isBridge(Operation *op) {
  return isa<shard::ShardDialect, tensor::TensorDialect,
             bufferization::BufferizationDialect>(op->getDialect()) &&
         !isa<shard::GridOp>(op);
}

void ConvertShardToPlanPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<Operation *> collectives;
  WalkResult walked = module.walk([&](Operation *op) {
    if (isa<shard::AllReduceOp, shard::ReduceScatterOp, shard::AllGatherOp>(
            op)) {
      collectives.push_back(op);
      return WalkResult::advance();
    }
    if (isa<shard::GridOp, shard::ShardingOp, shard::ShardOp,
            shard::ProcessLinearIndexOp>(op) ||
        !isa<shard::ShardDialect>(op->getDialect()))
      return WalkResult::advance();
    op->emitOpError("has no plan collective to lower to");
    return WalkResult::interrupt();
  });
  if (walked.wasInterrupted())
    return signalPassFailure();

  for (Operation *op : collectives) {
    LogicalResult lowered =
        TypeSwitch<Operation *, LogicalResult>(op)
            .Case([](shard::AllReduceOp o) { return lowerAllReduce(o); })
            .Case(
                [](shard::ReduceScatterOp o) { return lowerReduceScatter(o); })
            .Case([](shard::AllGatherOp o) { return lowerAllGather(o); });
    if (failed(lowered))
      return signalPassFailure();
  }

  // With the write-backs gone the bridges are dead (pure, or reading only)
  // and go, users before what they use; a bridge that stays was not part of
  // a lowered collective.
  module.walk<WalkOrder::PostOrder, ReverseIterator>([](Operation *op) {
    if ((isBridge(op) || isa<arith::ConstantOp>(op)) && isOpTriviallyDead(op))
      op->erase();
  });
  // The last leftover first: a write-back rather than the read it writes.
  WalkResult left =
      module.walk<WalkOrder::PostOrder, ReverseIterator>([](Operation *op) {
        if (!isBridge(op))
          return WalkResult::advance();
        op->emitOpError("is left over: no shard collective lowered to the plan "
                        "explains it");
        return WalkResult::interrupt();
      });
  if (left.wasInterrupted())
    return signalPassFailure();

  // Each grid becomes the plan group of its ranks.
  for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>())) {
    if (!isPlanGroupGrid(grid)) {
      grid.emitOpError("has no plan group: only 1-D grids of known size do");
      return signalPassFailure();
    }
    OpBuilder b(grid);
    SmallVector<int64_t> ranks;
    for (int64_t r = 0; r < grid.getShape()[0]; ++r)
      ranks.push_back(r);
    plan::GroupOp::create(b, grid.getLoc(), grid.getSymName(),
                          b.getDenseI64ArrayAttr(ranks));
    grid.erase();
  }
}

} // namespace
} // namespace dsc::passes
