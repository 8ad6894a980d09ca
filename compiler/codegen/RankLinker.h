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

/// Copies the GPU backend the ranks load (libdsc_cuda.so, runtime/device)
/// into `libDir`, when this build has one: an output runs on a GPU host
/// without the build beside it.
llvm::Error copyCudaBackend(llvm::StringRef libDir);

} // namespace dsc::codegen

#endif // DSC_COMPILER_CODEGEN_RANKLINKER_H
