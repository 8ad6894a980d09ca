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

/// The param buffers (`plan.param`) of `body` in flat order, all of one
/// element type; emits an error on the first of another type and fails.
mlir::FailureOr<llvm::SmallVector<mlir::memref::AllocOp>>
flatParams(mlir::Block &body);

/// Each op of `body` by its position.
llvm::DenseMap<mlir::Operation *, int64_t> opPositions(mlir::Block &body);

} // namespace dsc::passes

#endif // DSC_PASSES_PLANSTEP_H
