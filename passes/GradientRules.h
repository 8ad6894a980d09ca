//===- GradientRules.h - adjoints of graph ops ------------------*- C++ -*-===//
//
// The gradient rule of every differentiable graph op: given the adjoints of
// an op's results, build (as graph ops) the adjoints of its operands.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_PASSES_GRADIENTRULES_H
#define DSC_PASSES_GRADIENTRULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

namespace dsc::passes {

/// Builds at `b`'s insertion point the adjoints of `op`'s operands from the
/// adjoints of its results (`resultGrads[i]` is null when result i has
/// none). Returns one value per operand, null for operands that get no
/// gradient (integer operands, or those `needsGrad` rejects). Fails, with a
/// diagnostic on `op`, when the op has no gradient rule for what is asked.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildOperandGradients(mlir::OpBuilder &b, mlir::Operation *op,
                      llvm::ArrayRef<mlir::Value> resultGrads,
                      llvm::function_ref<bool(mlir::Value)> needsGrad);

} // namespace dsc::passes

#endif // DSC_PASSES_GRADIENTRULES_H
