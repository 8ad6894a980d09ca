//===- RankWeights.cpp - What each rank loads at start --------------------===//

#include "compiler/driver/RankWeights.h"

#include "runtime/io/ParamInit.h"
#include "runtime/io/RankWeightsFormat.h"
#include "runtime/io/Safetensors.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"

#include <cstring>

namespace dsc::driver {
namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

runtime::TensorToWrite tensorOf(const onnx_import::Parameter &p) {
  return {
      p.name, runtime::DType::F32,
      std::vector<int64_t>(p.type.getShape().begin(), p.type.getShape().end()),
      p.data.data()};
}

llvm::Error write(const std::string &path,
                  const std::vector<runtime::TensorToWrite> &tensors,
                  const std::map<std::string, std::string> &metadata = {}) {
  runtime::Status status = runtime::writeSafetensors(path, tensors, metadata);
  if (!status.ok())
    return makeError(status.message());
  return llvm::Error::success();
}

const float *valuesOf(const onnx_import::Parameter &p) {
  return reinterpret_cast<const float *>(p.data.data());
}

} // namespace

llvm::Error writeRankWeights(const std::string &dir,
                             const std::vector<onnx_import::Parameter> &params,
                             const partition::ZeroPlan *zero, int worldSize,
                             bool paramValues) {
  // Every trainable param's initial distribution, for --init-seed.
  llvm::StringMap<bool> trainable;
  std::map<std::string, std::string> metadata;
  if (zero)
    for (const partition::FlatParam &fp : zero->params)
      trainable[fp.name] = true;
  for (const onnx_import::Parameter &p : params)
    if (trainable.count(p.name))
      metadata[std::string(runtime::kParamInitPrefix) + p.name] =
          runtime::formatParamInit(runtime::paramInitOf(
              valuesOf(p), static_cast<int64_t>(p.data.size() / 4)));
  if (!paramValues)
    metadata[std::string(runtime::kParamValuesKey)] = "omitted";
  // The initializers a file holds whole: all, or without the trainable ones.
  auto whole = [&](const onnx_import::Parameter &p) {
    return paramValues || !trainable.count(p.name);
  };

  const bool partitioned =
      zero && zero->stage == 3 && zero->dpSize > 1 &&
      std::any_of(zero->params.begin(), zero->params.end(),
                  [](const partition::FlatParam &p) { return !p.whole; });
  if (!partitioned || !paramValues) {
    std::vector<runtime::TensorToWrite> tensors;
    for (const onnx_import::Parameter &p : params)
      if (whole(p))
        tensors.push_back(tensorOf(p));
    if (llvm::Error err =
            write(dir + "/" + runtime::rankWeightsFile(0), tensors, metadata))
      return err;
    for (int r = 1; r < worldSize; ++r)
      if (std::error_code ec = llvm::sys::fs::create_hard_link(
              dir + "/" + runtime::rankWeightsFile(0),
              dir + "/" + runtime::rankWeightsFile(r)))
        return makeError("cannot link " + dir + "/" +
                         runtime::rankWeightsFile(r) + ": " + ec.message());
    return llvm::Error::success();
  }

  // The flat parameter space, and the initializers every rank keeps.
  llvm::StringMap<const onnx_import::Parameter *> byName;
  for (const onnx_import::Parameter &p : params) {
    if (p.name == runtime::kZeroPartitionTensor)
      return makeError("the model has an initializer named '" + p.name +
                       "', which ds-compile's weights files reserve");
    byName[p.name] = &p;
  }
  // The model's float32 values, whatever the plan's params are (an fp16 /
  // bf16 rank rounds them as it loads them).
  const int64_t elementBytes = sizeof(float);
  std::vector<char> flat(zero->flatElements * elementBytes);
  llvm::StringMap<bool> partitionedName;
  for (const partition::FlatParam &fp : zero->params) {
    const onnx_import::Parameter *p = byName.lookup(fp.name);
    if (!p || static_cast<int64_t>(p->data.size()) != fp.numel * elementBytes)
      return makeError("param '" + fp.name + "' has no initializer of " +
                       llvm::Twine(fp.numel) + " elements to partition");
    std::memcpy(flat.data() + fp.flatOffset * elementBytes, p->data.data(),
                p->data.size());
    if (!fp.whole)
      partitionedName[fp.name] = true;
  }
  std::vector<runtime::TensorToWrite> kept;
  for (const onnx_import::Parameter &p : params)
    if (!partitionedName.count(p.name))
      kept.push_back(tensorOf(p));
  for (int r = 0; r < worldSize; ++r) {
    const partition::FlatRange &part = zero->partitions[r];
    std::vector<runtime::TensorToWrite> tensors = kept;
    tensors.push_back({std::string(runtime::kZeroPartitionTensor),
                       runtime::DType::F32,
                       {part.size()},
                       flat.data() + part.begin * elementBytes});
    std::map<std::string, std::string> rankMetadata = metadata;
    rankMetadata[std::string(runtime::kZeroPartitionTensor)] =
        std::to_string(part.begin) + "," + std::to_string(part.end);
    if (llvm::Error err = write(dir + "/" + runtime::rankWeightsFile(r),
                                tensors, rankMetadata))
      return err;
  }
  return llvm::Error::success();
}

} // namespace dsc::driver
