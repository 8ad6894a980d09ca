//===- PlanStep.h - What the plan-level passes look up in @step -*- C++ -*-===//
//
// The passes that rewrite the planned step (accumulate-gradients,
// zero-reduce-gradients, zero-partition-params, zero-prefetch-params) find
// it and its params in flat order the same way; one place says how.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PASSES_PLANSTEP_H
#define DSC_PASSES_PLANSTEP_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace dsc::passes {

/// @step with a body; otherwise emits "needs @step (run
/// convert-graph-to-plan first)" on `module` and returns null.
mlir::func::FuncOp lookupPlannedStep(mlir::ModuleOp module);

/// The param buffers (`plan.param` allocs) of `body` in flat order, all of
/// one element type (flatParamLayout's, before partitioning and planning);
/// emits an error on the first of another type and fails.
mlir::FailureOr<llvm::SmallVector<mlir::memref::AllocOp>>
flatParams(mlir::Block &body);

/// The function of the exchange outside the step (zero-boundary-exchange),
/// and the unit attribute that marks it: it works on the flat
/// spaces, not the arena, so plan-memory and the object leave it out.
inline constexpr llvm::StringLiteral kBoundaryFunction = "boundary";
inline constexpr llvm::StringLiteral kBoundaryAttr = "plan.boundary";

/// A param of the flat parameter space.
struct FlatParamInfo {
  llvm::StringRef name;
  mlir::MemRefType type;
  int64_t numel = 0;
  /// Its `plan.param` buffer (an alloc, or a planned view), when the step
  /// holds it whole; null when only the stage-3 partition holds it.
  mlir::Operation *buffer = nullptr;
  bool whole() const { return buffer != nullptr; }
};

/// The params a stage-3 partition buffer lists (`plan.param_shard`, as
/// zero-partition-params writes it), in flat order: name and type.
llvm::SmallVector<std::pair<llvm::StringRef, mlir::MemRefType>>
paramShardEntries(mlir::ArrayAttr list);

/// The params of `body` in flat order: the stage-3 partition's list
/// (`plan.param_shard`) when there is one, else the `plan.param` buffers.
/// Buffers are allocs before plan-memory and views after it; the layout is
/// the same. Params of different element types are an error (emitted).
/// Every pass and the manifest read the flat space through this.
mlir::FailureOr<llvm::SmallVector<FlatParamInfo>>
flatParamLayout(mlir::Block &body);

/// Every buffer of the arena starts at a multiple of this many bytes
/// (plan-memory's placements and the optimizer step's buffers alike).
inline constexpr int64_t kArenaAlignment = 64;
inline int64_t alignToArena(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

/// Each op of `body` by its position.
llvm::DenseMap<mlir::Operation *, int64_t> opPositions(mlir::Block &body);

} // namespace dsc::passes

#endif // DSC_PASSES_PLANSTEP_H
