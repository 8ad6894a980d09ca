//===- OnnxWeightExport.cpp - Trained weights into a copy of a model ------===//

#include "compiler/onnx/OnnxWeightExport.h"

#include "compiler/onnx/OnnxImporter.h"
#include "compiler/onnx/OnnxTensor.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace dsc::onnx_import {

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Stores `tensor`'s data inline (raw_data), reading external data in.
llvm::Error inlineData(mlir::MLIRContext &context, onnx::TensorProto &tensor,
                       llvm::StringRef baseDir) {
  if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
    return llvm::Error::success();
  llvm::Expected<TensorData> data = decodeTensor(
      context, tensor, baseDir, "initializer '" + tensor.name() + "'");
  if (!data)
    return data.takeError();
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
  tensor.set_raw_data(data->bytes.data(), data->bytes.size());
  return llvm::Error::success();
}

void setFloats(onnx::TensorProto &tensor, const TrainedTensor &t) {
  int64_t n = 1;
  for (int64_t d : t.shape)
    n *= d;
  tensor.clear_float_data();
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
  tensor.set_raw_data(t.data, static_cast<size_t>(n) * sizeof(float));
}

} // namespace

llvm::Error exportTrainedWeights(const std::string &modelPath,
                                 const std::vector<TrainedTensor> &trained,
                                 const std::string &outPath) {
  auto file = llvm::MemoryBuffer::getFile(modelPath, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return makeError(modelPath + ": cannot read: " + file.getError().message());
  llvm::Expected<onnx::ModelProto> model =
      parseOnnxModel((*file)->getBuffer(), modelPath + ": ");
  if (!model)
    return model.takeError();
  llvm::StringRef dir = llvm::sys::path::parent_path(modelPath);
  std::string baseDir = dir.empty() ? "." : dir.str();
  mlir::MLIRContext context;
  onnx::GraphProto &graph = *model->mutable_graph();

  // The uses are counted on the nodes as the importer saw them, before any
  // input is renamed here.
  onnx::GraphProto original;
  *original.mutable_node() = graph.node();
  llvm::StringMap<int> initializers;
  for (int i = 0; i < graph.initializer_size(); ++i) {
    initializers[graph.initializer(i).name()] = i;
    if (llvm::Error err =
            inlineData(context, *graph.mutable_initializer(i), baseDir))
      return err;
  }
  for (const TrainedTensor &t : trained) {
    // "<init>#<k>": the k-th reader of <init> gets an initializer of its own.
    llvm::StringRef name = t.name;
    auto [base, suffix] = name.rsplit('#');
    size_t k = 0;
    bool untied = !suffix.empty() && base != name &&
                  !suffix.getAsInteger(10, k) && k >= 1 &&
                  initializers.count(base) && !initializers.count(name);
    llvm::StringRef source = untied ? base : name;
    auto it = initializers.find(source);
    if (it == initializers.end())
      return makeError(modelPath + ": the checkpoint's param '" + t.name +
                       "' is not an initializer of this model");
    const onnx::TensorProto &init = graph.initializer(it->second);
    std::vector<int64_t> dims(init.dims().begin(), init.dims().end());
    if (dims != t.shape || init.data_type() != onnx::TensorProto::FLOAT)
      return makeError(modelPath + ": initializer '" + source.str() +
                       "' does not have the shape and float32 type of the "
                       "checkpoint's param '" +
                       t.name + "'");
    if (!untied) {
      setFloats(*graph.mutable_initializer(it->second), t);
      continue;
    }
    auto uses = initializerUses(original, base);
    if (k >= uses.size())
      return makeError(modelPath + ": the checkpoint's param '" + t.name +
                       "' names use " + llvm::Twine(k) + " of '" + base +
                       "', which has " + llvm::Twine(uses.size()) + " uses");
    onnx::TensorProto copy = init;
    copy.set_name(t.name);
    setFloats(copy, t);
    *graph.add_initializer() = std::move(copy);
    graph.mutable_node(static_cast<int>(uses[k].first))
        ->set_input(uses[k].second, t.name);
  }
  if (model->ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    return makeError(outPath + ": the model with inline weights exceeds "
                               "protobuf's 2 GB limit");
  std::string bytes;
  if (!model->SerializeToString(&bytes))
    return makeError(outPath + ": cannot serialize the model");
  // Written beside the destination and renamed: no partial output.
  std::string temp = outPath + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(temp, ec);
    if (ec)
      return makeError("cannot write " + outPath + ": " + ec.message());
    out << bytes;
    out.close();
    if (out.has_error()) {
      llvm::sys::fs::remove(temp);
      return makeError("cannot write " + outPath + ": " +
                       out.error().message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, outPath)) {
    llvm::sys::fs::remove(temp);
    return makeError("cannot write " + outPath + ": " + ec.message());
  }
  return llvm::Error::success();
}

} // namespace dsc::onnx_import
