//===- OnnxWeightExport.h - Trained weights into a copy of a model -*- C++
//-*-===//
//
// `ds-ckpt export-onnx` writes a checkpoint's trained params into a copy of
// the ONNX model that was compiled: each initializer a param came from gets
// the trained values; a merged constant the importer untied (a param named
// "<init>#<k>", see untiedName) becomes an initializer of its own that the
// k-th reader of <init> now reads. The copy is self-contained: every
// initializer's data is stored inline (external data is read in), so it may
// be written anywhere.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_COMPILER_ONNX_ONNXWEIGHTEXPORT_H
#define DSC_COMPILER_ONNX_ONNXWEIGHTEXPORT_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dsc::onnx_import {

/// A trained float32 param, by the name the importer gave it.
struct TrainedTensor {
  std::string name;
  std::vector<int64_t> shape;
  const float *data = nullptr;
};

/// Reads `modelPath`, replaces the params' data and writes `outPath`.
/// Errors: the model cannot be read or parsed, a trained tensor names no
/// initializer of the model or differs in shape or type, the result would
/// exceed protobuf's 2 GB limit, `outPath` cannot be written.
llvm::Error exportTrainedWeights(const std::string &modelPath,
                                 const std::vector<TrainedTensor> &trained,
                                 const std::string &outPath);

} // namespace dsc::onnx_import

#endif // DSC_COMPILER_ONNX_ONNXWEIGHTEXPORT_H
