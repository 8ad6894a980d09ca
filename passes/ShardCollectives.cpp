//===- ShardCollectives.cpp - ZeRO's collectives as shard ops -------------===//

#include "passes/ShardCollectives.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace dsc::passes {
namespace {

/// A constant 1-D tensor of indices.
Value indexConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getIndexType());
  SmallVector<APInt> bits;
  for (int64_t v : values)
    bits.push_back(APInt(64, v));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, bits));
}

/// `%table[%rank]`: this rank's entry of a per-rank table of indices.
Value perRankIndex(OpBuilder &b, Location loc, Value rank,
                   ArrayRef<int64_t> table) {
  return tensor::ExtractOp::create(b, loc, indexConstant(b, loc, table),
                                   ValueRange{rank});
}

/// 0 and the running sums of `counts`: where each piece starts, and the
/// end.
SmallVector<int64_t> prefixSums(ArrayRef<int64_t> counts) {
  SmallVector<int64_t> offsets{0};
  for (int64_t c : counts)
    offsets.push_back(offsets.back() + c);
  return offsets;
}

/// The 1-D sharding over @dp whose piece r has `counts[r]` elements.
Value piecesSharding(OpBuilder &b, Location loc, ArrayRef<int64_t> counts) {
  SmallVector<int64_t> offsets = prefixSums(counts);
  auto axes = shard::GridAxesArrayAttr::get(b.getContext(),
                                            {b.getDenseI16ArrayAttr({0})});
  return shard::ShardingOp::create(
      b, loc, FlatSymbolRefAttr::get(b.getContext(), kDataParallelGrid), axes,
      b.getDenseI64ArrayAttr(offsets), ValueRange{},
      /*static_halo_sizes=*/b.getDenseI64ArrayAttr({}), ValueRange{});
}

Value rankOnGrid(OpBuilder &b, Location loc) {
  return shard::ProcessLinearIndexOp::create(b, loc, kDataParallelGrid);
}

Value tensorOf(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
      buffer);
}

void writeInto(OpBuilder &b, Location loc, Value value, Value buffer) {
  bufferization::MaterializeInDestinationOp::create(
      b, loc, /*result=*/Type(), value, buffer, /*restrict=*/false,
      /*writable=*/true);
}

RankedTensorType dynamic1D(Type element) {
  return RankedTensorType::get({ShapedType::kDynamic}, element);
}

} // namespace

LogicalResult ensureDataParallelGrid(ModuleOp module, int64_t dpSize) {
  if (Operation *found = module.lookupSymbol(kDataParallelGrid)) {
    auto grid = dyn_cast<shard::GridOp>(found);
    if (grid && grid.getShape() == ArrayRef<int64_t>{dpSize})
      return success();
    return module.emitError("@")
           << kDataParallelGrid << " is not a grid of " << dpSize << " ranks";
  }
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  shard::GridOp::create(b, module.getLoc(), kDataParallelGrid,
                        ArrayRef<int64_t>{dpSize});
  return success();
}

shard::AllReduceOp createAllReduceInPlace(OpBuilder &b, Location loc,
                                          Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto reduce = shard::AllReduceOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()),
      kDataParallelGrid, ArrayRef<int16_t>{0}, buffer,
      shard::ReductionKind::Sum);
  memref::CopyOp::create(b, loc, reduce.getResult(), buffer);
  return reduce;
}

shard::ReduceScatterOp createReduceScatterInPlace(OpBuilder &b, Location loc,
                                                  Value bucket,
                                                  ArrayRef<int64_t> counts) {
  Type element = cast<MemRefType>(bucket.getType()).getElementType();
  Value rank = rankOnGrid(b, loc);
  Value whole = tensorOf(b, loc, bucket);
  Value any = tensor::CastOp::create(b, loc, dynamic1D(element), whole);
  auto scatter = shard::ReduceScatterOp::create(
      b, loc, dynamic1D(element), kDataParallelGrid, ArrayRef<int16_t>{0}, any,
      shard::ReductionKind::Sum, APInt(64, 0));
  Value mine = shard::ShardOp::create(b, loc, scatter.getResult(),
                                      piecesSharding(b, loc, counts));
  SmallVector<int64_t> starts = prefixSums(counts);
  starts.pop_back();
  Value at = perRankIndex(b, loc, rank, starts);
  Value size = tensor::DimOp::create(b, loc, mine, 0);
  Value updated = tensor::InsertSliceOp::create(
      b, loc, mine, whole, ArrayRef<OpFoldResult>{at},
      ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  writeInto(b, loc, updated, bucket);
  return scatter;
}

shard::AllGatherOp createAllGather(OpBuilder &b, Location loc, Value input,
                                   Value output, ArrayRef<int64_t> counts,
                                   ArrayRef<int64_t> starts) {
  auto outType = cast<MemRefType>(output.getType());
  Type element = outType.getElementType();
  Value rank = rankOnGrid(b, loc);
  Value own = tensorOf(b, loc, input);
  Value at = perRankIndex(b, loc, rank, starts);
  Value size = perRankIndex(b, loc, rank, counts);
  Value piece = tensor::ExtractSliceOp::create(
      b, loc, dynamic1D(element), own, ArrayRef<OpFoldResult>{at},
      ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  Value given =
      shard::ShardOp::create(b, loc, piece, piecesSharding(b, loc, counts),
                             /*annotate_for_users=*/true);
  auto gather =
      shard::AllGatherOp::create(b, loc, dynamic1D(element), kDataParallelGrid,
                                 ArrayRef<int16_t>{0}, given, APInt(64, 0));
  Value flat = tensor::CastOp::create(
      b, loc, RankedTensorType::get({outType.getNumElements()}, element),
      gather.getResult());
  if (outType.getRank() != 1)
    flat = tensor::ReshapeOp::create(
        b, loc, RankedTensorType::get(outType.getShape(), element), flat,
        indexConstant(b, loc, outType.getShape()));
  writeInto(b, loc, flat, output);
  return gather;
}

} // namespace dsc::passes
