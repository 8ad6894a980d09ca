//===- ShardCollectives.h - ZeRO's collectives as shard ops ----*- C++ -*-===//
//
// The partitioning stage states every collective it inserts with upstream
// `shard` ops on a 1-D grid `@dp`; convert-shard-to-plan turns them into plan
// collectives on buffers. The two sides agree on the forms written here.
//
// The step works on buffers, shard collectives on tensors: a collective reads
// `bufferization.to_tensor` of its input buffer and its result is written
// back with `bufferization.materialize_in_destination`. ZeRO's pieces are
// uneven (partitions of ceil(P / N) elements cut across params), so the
// rank-local side of a collective has a dynamic size and is annotated with a
// `shard.sharding` whose `sharded_dims_offsets` give every rank's piece; where
// a rank's piece starts inside a buffer is a per-rank table (an index
// constant) read at `shard.process_linear_index`.
//
// In-place all-reduce (the shard op takes buffers):
//
//   %r = shard.all_reduce %buf on @dp grid_axes = [0]
//   memref.copy %r, %buf
//
// In-place reduce-scatter of a gradient bucket (each rank ends with the sums
// of its piece, at the piece's place in the bucket):
//
//   %t = bufferization.to_tensor %bucket : memref<10xf32> to tensor<10xf32>
//   %a = tensor.cast %t : tensor<10xf32> to tensor<?xf32>
//   %r = shard.reduce_scatter %a on @dp grid_axes = [0] scatter_axis = 0
//   %p = shard.shard %r to %pieces : tensor<?xf32>      // offsets [0,4,8,10]
//   %s = tensor.extract %starts[%rank] : tensor<3xindex>  // [0, 4, 8]
//   %n = tensor.dim %p, %c0
//   %u = tensor.insert_slice %p into %t[%s] [%n] [1]
//   bufferization.materialize_in_destination %u in writable %bucket
//
// All-gather of a param from the ranks' partitions (rank r gives
// `counts[r]` elements of its partition starting at `starts[r]`):
//
//   %o = bufferization.to_tensor %partition
//   %s = tensor.extract %starts[%rank]; %n = tensor.extract %counts[%rank]
//   %x = tensor.extract_slice %o[%s] [%n] [1] : tensor<5xf32> to tensor<?xf32>
//   %y = shard.shard %x to %pieces annotate_for_users : tensor<?xf32>
//   %g = shard.all_gather %y on @dp grid_axes = [0] gather_axis = 0
//   %f = tensor.cast %g : tensor<?xf32> to tensor<8xf32>
//   %w = tensor.reshape %f(%shape)                  // the param's shape
//   bufferization.materialize_in_destination %w in writable %param
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PASSES_SHARDCOLLECTIVES_H
#define DSC_PASSES_SHARDCOLLECTIVES_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace dsc::passes {

/// The data-parallel grid's name.
inline constexpr llvm::StringLiteral kDataParallelGrid = "dp";

/// Creates `shard.grid @dp(shape = dpSize)` unless the module has it; fails
/// (with an error on the module) if its @dp has another shape.
mlir::LogicalResult ensureDataParallelGrid(mlir::ModuleOp module,
                                           int64_t dpSize);

/// At `b`'s insertion point: the in-place all-reduce (sum) of `buffer` over
/// @dp: `shard.all_reduce` of the buffer, copied back into it. Returns the
/// shard.all_reduce.
mlir::shard::AllReduceOp createAllReduceInPlace(mlir::OpBuilder &b,
                                                mlir::Location loc,
                                                mlir::Value buffer);

/// At `b`'s insertion point: the in-place reduce-scatter (sum) of the 1-D
/// buffer `bucket` over @dp, rank r keeping the `counts[r]` elements after
/// those of ranks 0 .. r-1. Returns the shard.reduce_scatter.
mlir::shard::ReduceScatterOp
createReduceScatterInPlace(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value bucket, llvm::ArrayRef<int64_t> counts);

/// At `b`'s insertion point: `output` (any static shape) becomes the
/// concatenation over @dp of rank r's `counts[r]` elements of the 1-D buffer
/// `input` starting at `starts[r]`. Returns the shard.all_gather.
mlir::shard::AllGatherOp createAllGather(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::Value input, mlir::Value output,
                                         llvm::ArrayRef<int64_t> counts,
                                         llvm::ArrayRef<int64_t> starts);

} // namespace dsc::passes

#endif // DSC_PASSES_SHARDCOLLECTIVES_H
