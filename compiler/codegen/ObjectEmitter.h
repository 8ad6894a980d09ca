//===- ObjectEmitter.h - LLVM dialect -> native object file -----*- C++ -*-===//
#ifndef DSC_COMPILER_CODEGEN_OBJECTEMITTER_H
#define DSC_COMPILER_CODEGEN_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace dsc::codegen {

/// Translates an LLVM-dialect module to LLVM IR and compiles it, in
/// process, to a relocatable object for the host (position independent).
/// `llvmIr`, when given, receives the LLVM IR text (for --dump-ir).
llvm::Expected<std::string> emitObject(mlir::ModuleOp module,
                                       std::string *llvmIr = nullptr);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_OBJECTEMITTER_H
