//===- ds-ckpt.cpp - checkpoint tools -------------------------------------===//
//
//   ds-ckpt consolidate DIR [--tag T] -o model.safetensors
//       every param of the checkpoint, fp32, by its ONNX initializer name
//       (whatever number of ranks wrote it); an fp16 / bf16 checkpoint's
//       are its float32 master params (as DeepSpeed's zero_to_fp32 reads
//       them), its frozen tables widened to float32;
//   ds-ckpt export-onnx DIR model.onnx [--tag T] -o trained.onnx
//       the trained params written into a copy of the compiled model;
//   ds-ckpt info DIR [--tag T]
//       the step, loss, optimizer and layout of a checkpoint, after checking
//       every file it lists.
// The tag defaults to DIR/latest. Every failure is one "ds-ckpt: error:"
// line and exit code 1 (2 for usage), and writes nothing.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxWeightExport.h"
#include "runtime/checkpoint/CheckpointFormat.h"
#include "runtime/io/FloatConversion.h"
#include "runtime/io/PlanFormat.h"
#include "runtime/io/Safetensors.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

using namespace dsc::runtime;

namespace {

int fail(const std::string &message, int code = 1) {
  std::cerr << "ds-ckpt: error: " << message << "\n";
  return code;
}

/// A checkpoint's params, read and checked against its state.json.
struct LoadedParams {
  std::string tagDir;
  CheckpointMeta meta;
  std::vector<TensorToWrite> tensors;
  /// Keeps the tensors' data mapped.
  std::optional<SafetensorsFile> file;
  /// The transposed tied copies' bytes.
  std::vector<std::vector<char>> transposed;
  /// fp16 / bf16: the float32 master params (the flat space) and the
  /// frozen tables widened to float32.
  std::vector<char> masters;
  std::vector<std::vector<char>> widened;
};

Expected<LoadedParams> loadParams(const std::string &dir,
                                  const std::string &tagOption) {
  std::string tag = tagOption;
  if (tag.empty()) {
    Expected<std::string> latest = latestTag(dir);
    if (!latest)
      return latest.status();
    tag = *latest;
  }
  const std::string tagDir = dir + "/" + tag;
  LoadedParams out;
  out.tagDir = tagDir;
  Expected<CheckpointMeta> meta = readCheckpointMeta(tagDir);
  if (!meta)
    return meta.status();
  out.meta = std::move(meta).value();
  Expected<SafetensorsFile> file =
      SafetensorsFile::open(tagDir + "/model.safetensors");
  if (!file)
    return file.status();
  out.file.emplace(std::move(file).value());
  const CheckpointMeta &m = out.meta;
  const bool hasMasters = std::find(m.stateNames.begin(), m.stateNames.end(),
                                    kMasterParamsState) != m.stateNames.end();
  if (hasMasters) {
    out.masters.resize(static_cast<size_t>(m.flatElements) *
                       dtypeSize(m.stateDtype));
    if (Status s = readStateRange(tagDir, m, kMasterParamsState, 0,
                                  m.flatElements, out.masters.data());
        !s.ok())
      return s;
  }
  for (const CheckpointParam &p : out.meta.params) {
    const SafetensorsTensor *t = out.file->find(p.name);
    if (!t || t->shape != p.shape || t->dtype != p.dtype)
      return Status::error(out.file->path() + ": no " +
                           std::string(dtypeName(p.dtype)) + " tensor '" +
                           p.name + "' of shape " + formatShape(p.shape) +
                           " (as state.json lists it)");
    if (hasMasters)
      out.tensors.push_back(
          {p.name, m.stateDtype, p.shape,
           out.masters.data() + p.flatOffset * dtypeSize(m.stateDtype)});
    else
      out.tensors.push_back({p.name, p.dtype, p.shape, t->data});
  }
  // Then the frozen initializers and the tied copies, as the ranks write
  // them.
  std::vector<TensorToWrite> frozen;
  for (const std::string &name : out.meta.frozen) {
    const SafetensorsTensor *t = out.file->find(name);
    if (!t)
      return Status::error(out.file->path() + ": no tensor '" + name +
                           "' (a frozen initializer state.json lists)");
    if (hasMasters && isFloatDType(t->dtype) && t->dtype != m.stateDtype) {
      std::vector<char> &wide = out.widened.emplace_back(
          static_cast<size_t>(t->numel) * dtypeSize(m.stateDtype));
      convertFloats(t->data, t->dtype, wide.data(), m.stateDtype, t->numel);
      frozen.push_back({name, m.stateDtype, t->shape, wide.data()});
    } else {
      frozen.push_back({name, t->dtype, t->shape, t->data});
    }
  }
  if (Status s = appendFrozenAndTiedCopies(out.tensors, frozen, out.meta.ties,
                                           out.transposed);
      !s.ok())
    return Status::error(tagDir + "/state.json: " + s.message());
  return out;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"ds-ckpt: tools for ds-compile checkpoints", "ds-ckpt"};
  app.require_subcommand(1);
  std::string dir, tag, out, model;

  CLI::App *consolidate = app.add_subcommand(
      "consolidate", "write every param (fp32) to one safetensors file");
  consolidate->add_option("dir", dir, "checkpoint directory")->required();
  consolidate->add_option("--tag", tag, "checkpoint tag (default: latest)");
  consolidate->add_option("-o,--output", out, "output .safetensors")
      ->required();

  CLI::App *exportOnnx = app.add_subcommand(
      "export-onnx", "write the trained params into a copy of the model");
  exportOnnx->add_option("dir", dir, "checkpoint directory")->required();
  exportOnnx->add_option("model", model, "the ONNX model that was compiled")
      ->required();
  exportOnnx->add_option("--tag", tag, "checkpoint tag (default: latest)");
  exportOnnx->add_option("-o,--output", out, "output .onnx")->required();

  CLI::App *info = app.add_subcommand("info", "describe a checkpoint");
  info->add_option("dir", dir, "checkpoint directory")->required();
  info->add_option("--tag", tag, "checkpoint tag (default: latest)");

  // CLI11 would only say that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-') {
    std::string word = argv[1];
    if (word != "consolidate" && word != "export-onnx" && word != "info")
      return fail("unknown subcommand '" + word +
                      "'; expected consolidate, export-onnx or info",
                  2);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    return fail(std::string(e.what()) + "; run 'ds-ckpt --help' for usage", 2);
  }

  Expected<LoadedParams> params = loadParams(dir, tag);
  if (!params)
    return fail(params.message());
  const CheckpointMeta &meta = params->meta;

  if (*info) {
    // Every file the checkpoint lists is checked (loadParams has checked
    // model.safetensors): a checkpoint that cannot be resumed is not
    // reported as fine.
    if (Status s = verifyOptimizerShards(params->tagDir, meta); !s.ok())
      return fail(s.message());
    std::cout << "tag " << meta.tag << ": " << meta.globalSteps
              << " optimizer steps, " << meta.globalSamples << " samples, loss "
              << meta.loss << "\n"
              << "optimizer " << meta.optimizer << " (";
    for (size_t i = 0; i < meta.stateNames.size(); ++i)
      std::cout << (i ? ", " : "") << meta.stateNames[i];
    std::cout << "), written by ZeRO stage " << meta.zeroStage << " on "
              << meta.dpSize << " data-parallel rank(s) in "
              << meta.shards.size() << " shard(s)\n"
              << meta.params.size() << " params, " << meta.flatElements << " "
              << dtypeName(meta.dtype) << " elements\n";
    return 0;
  }
  if (*consolidate) {
    if (Status s = writeSafetensors(out, params->tensors, {{"format", "pt"}});
        !s.ok())
      return fail(s.message());
    std::cout << "ds-ckpt: wrote " << out << " (" << params->tensors.size()
              << " tensors of " << meta.tag << ")\n";
    return 0;
  }
  // An fp16 / bf16 checkpoint's params are its float32 masters.
  for (const TensorToWrite &t : params->tensors)
    if (t.dtype != DType::F32)
      return fail("export-onnx writes float32 params; the checkpoint holds " +
                  std::string(dtypeName(t.dtype)));
  std::vector<dsc::onnx_import::TrainedTensor> trained;
  for (const TensorToWrite &t : params->tensors)
    trained.push_back({t.name, t.shape, static_cast<const float *>(t.data)});
  if (llvm::Error err =
          dsc::onnx_import::exportTrainedWeights(model, trained, out))
    return fail(llvm::toString(std::move(err)));
  std::cout << "ds-ckpt: wrote " << out << " (" << model << " with the "
            << params->tensors.size() << " tensors of " << meta.tag << ")\n";
  return 0;
}
