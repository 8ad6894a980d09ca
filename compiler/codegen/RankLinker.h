//===- RankLinker.h - object + runtime -> rank executable -------*- C++ -*-===//
#ifndef DSC_COMPILER_CODEGEN_RANKLINKER_H
#define DSC_COMPILER_CODEGEN_RANKLINKER_H

#include "llvm/Support/Error.h"

namespace dsc::codegen {

/// Links `objectPath` with the runtime's libraries (built with ds-compile)
/// into the executable `outputPath`, using the system C++ driver (`c++`,
/// or $CXX). The driver's diagnostics are part of the error.
llvm::Error linkRankExecutable(llvm::StringRef objectPath,
                               llvm::StringRef outputPath);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_RANKLINKER_H
