//===- RankWeights.h - What each rank loads at start ------------*- C++ -*-===//
//
// OUT/weights/rank_<r>.safetensors holds what rank r owns. With one rank or
// ZeRO stages 0-2 every rank holds every param: rank 0's file has all the
// initializers under their ONNX names and the others are hard links to it.
// With ZeRO-3 a rank's file has the initializers every rank keeps whole and
// its partition of the flat parameter space as one tensor, so no rank reads
// (or, on another node, needs a copy of) the others' params.
// Every file's metadata records each trainable param's initial distribution
// (runtime/io/ParamInit.h); without the params' values (--no-param-weights)
// every rank's file is the same: the frozen initializers and constants.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_DRIVER_RANKWEIGHTS_H
#define DSC_COMPILER_DRIVER_RANKWEIGHTS_H

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/partition/ZeroPartition.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace dsc::driver {

/// Writes the weights file of every rank under `dir` (the output directory
/// being built). `zero` is the data-parallel layout (null for inference).
/// Without `paramValues` the trainable params' values are left out.
llvm::Error writeRankWeights(const std::string &dir,
                             const std::vector<onnx_import::Parameter> &params,
                             const partition::ZeroPlan *zero, int worldSize,
                             bool paramValues = true);

} // namespace dsc::driver

#endif // DSC_COMPILER_DRIVER_RANKWEIGHTS_H
