//===- CompileDriver.cpp - the ds-compile pipeline ------------------------===//

#include "compiler/driver/CompileDriver.h"

#include "compiler/driver/RankWeights.h"

#include "compiler/config/DsConfig.h"
#include "compiler/onnx/OnnxImporter.h"
#include "compiler/topology/Hostfile.h"
#include "compiler/topology/World.h"

#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/codegen/PlanManifest.h"
#include "compiler/codegen/RankConstants.h"
#include "compiler/codegen/RankLinker.h"
#include "compiler/partition/ZeroPartition.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"
#include "runtime/io/DType.h"
#include "runtime/io/PlanFormat.h"
#include "runtime/io/Safetensors.h"
#include "runtime/main/OptimizerAbi.h"
#include "runtime/main/PlanCodec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

using llvm::Error;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace dsc::driver {

namespace {

Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// One line per stage: what was decided.
void printSummary(llvm::raw_ostream &log, const topology::World &world,
                  int64_t dpSize, const config::BatchSizes &batch,
                  onnx_import::ImportedModel &model) {
  int64_t elements = 0, trained = 0;
  for (const onnx_import::Parameter &p : model.parameters)
    if (p.frozen.empty()) {
      elements += p.type.getNumElements();
      ++trained;
    }
  size_t ops = 0;
  model.module->walk([&](mlir::Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "graph")
      ++ops;
  });
  log << "ds-compile: world: " << world.worldSize() << " rank(s) on "
      << world.numNodes() << " node(s), master " << world.masterAddr << "\n"
      << "ds-compile: batch: train_batch_size " << batch.trainBatchSize
      << " = micro-batch " << batch.microBatchSize << " x accumulation "
      << batch.gradAccumSteps << " x data-parallel " << dpSize << "\n"
      << "ds-compile: graph: " << ops << " ops, " << trained << " parameters ("
      << elements << " elements)\n";
  for (const onnx_import::Parameter &p : model.parameters)
    if (!p.frozen.empty())
      log << "ds-compile: frozen: '" << p.name << "' "
          << p.type.getNumElements() << " elements, not trained: " << p.frozen
          << "\n";
  for (const runtime::TiedCopy &tie : model.ties)
    log << "ds-compile: tied: '" << tie.name
        << "' = " << (tie.transposed ? "transpose('" : "'") << tie.source
        << (tie.transposed ? "')" : "'") << "\n";
}

/// Training differentiates the model's first output, which must be a float
/// scalar (the loss).
Error checkTrainable(mlir::ModuleOp module) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  auto type =
      main.getNumResults()
          ? llvm::dyn_cast<mlir::RankedTensorType>(main.getResultTypes()[0])
          : mlir::RankedTensorType();
  if (type && llvm::isa<mlir::FloatType>(type.getElementType()) &&
      type.getNumElements() == 1)
    return Error::success();
  std::string what = "there is no output";
  if (main.getNumResults()) {
    auto name = main.getResultAttrOfType<mlir::StringAttr>(0, "graph.output");
    llvm::raw_string_ostream os(what);
    what.clear();
    os << "'" << (name ? name.getValue() : "0") << "' is "
       << main.getResultTypes()[0];
  }
  return makeError("the config has an optimizer, so ds-compile builds a "
                   "training step, which needs a float scalar loss as the "
                   "model's first output; " +
                   what + " (remove the optimizer to compile for inference)");
}

/// What this ds-compile can partition: data parallelism (ZeRO 0-2) for
/// training on any number of ranks; inference on one rank.
Error checkParallelism(const config::DsConfig &config,
                       const topology::World &world, int64_t dpSize,
                       bool training) {
  int ranks = world.worldSize();
  if (dpSize != ranks)
    return makeError("tensor or pipeline parallelism (" + llvm::Twine(ranks) +
                     " ranks, data-parallel size " + llvm::Twine(dpSize) +
                     ") is not implemented yet; remove "
                     "tensor_parallel.autotp_size / pipeline.stages");
  if (!training && ranks > 1)
    return makeError("inference runs on one rank (tensor-parallel inference "
                     "is not implemented yet); compile with --num_gpus 1");
  if (!training)
    return Error::success();
  const config::ZeroConfig &zero = config.zero;
  if (zero.offloadOptimizer.device != config::OffloadDevice::None ||
      zero.offloadParam.device != config::OffloadDevice::None)
    return makeError("zero_optimization.offload_optimizer / offload_param is "
                     "not implemented yet; remove the offload block");
  if (ranks > 1 && zero.stage >= 1 && config.optimizer &&
      config.optimizer->type == config::OptimizerType::Lamb)
    return makeError("Lamb with ZeRO stage " + llvm::Twine(zero.stage) +
                     " on " + llvm::Twine(ranks) +
                     " ranks is not implemented yet (its trust ratio needs "
                     "whole tensors); use stage 0 or Adam");
  return Error::success();
}

/// Runs `pm` on `module`; a failure is one message, `stage` first, with
/// the diagnostics the passes emitted.
Error runStage(mlir::PassManager &pm, mlir::ModuleOp module, StringRef stage) {
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(
      module.getContext(), [&](mlir::Diagnostic &diag) {
        diagnostics += (diagnostics.empty() ? "" : "; ") + diag.str();
        return mlir::success();
      });
  if (mlir::failed(pm.run(module)))
    return makeError(stage + " failed: " + diagnostics);
  return Error::success();
}

/// The planned step as LLVM dialect: address arithmetic and runtime calls.
Error lowerToLLVM(mlir::ModuleOp module) {
  mlir::PassManager pm(module.getContext());
  passes::buildToLLVMPipeline(pm);
  return runStage(pm, module, "code generation");
}

/// The temporary output directory while it exists, for the signal handler
/// (static storage: a handler must not allocate).
char gTempDir[4096];

/// Removes the entries of directory `dir` (an open descriptor) and what is
/// below them, with system calls only: a signal may arrive inside malloc, so
/// the handler must not allocate (opendir does). Directories are recognised
/// by unlinkat's EISDIR, not by d_type, which some file systems leave unset.
void removeEntriesOnSignal(int dir) {
  alignas(8) char entries[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (n <= 0)
      return;
    bool removed = false;
    for (long at = 0; at < n;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
      unsigned short length;
      std::memcpy(&length, entries + at + 16, sizeof length);
      const char *name = entries + at + 19;
      at += length;
      if (!std::strcmp(name, ".") || !std::strcmp(name, ".."))
        continue;
      if (::unlinkat(dir, name, 0) == 0) {
        removed = true;
        continue;
      }
      if (errno != EISDIR)
        continue;
      int child = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (child < 0)
        continue;
      removeEntriesOnSignal(child);
      ::close(child);
      removed |= ::unlinkat(dir, name, AT_REMOVEDIR) == 0;
    }
    // Removing entries shifts the directory's offsets: read it again from
    // the start, as long as each pass removes something.
    if (!removed)
      return;
    ::lseek(dir, 0, SEEK_SET);
  }
}

/// Ctrl-C, kill and crashes: the temporary directory goes, then the signal
/// does what it would have done.
void onFatalSignal(int sig) {
  if (gTempDir[0]) {
    int dir = ::open(gTempDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      removeEntriesOnSignal(dir);
      ::close(dir);
    }
    ::rmdir(gTempDir);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// What ds-compile writes into an output directory.
constexpr StringRef kOutputEntries[] = {
    "bin", "lib", "weights", "mlir", "plan.json", "plan.txt", "launch.json"};

/// Builds the output directory under a temporary name next to it and
/// renames it into place at the end, so a failed compile leaves nothing.
class OutputWriter {
public:
  OutputWriter(StringRef dir, bool dumpIr) : dir(dir.str()), dumpIr(dumpIr) {
    temp = this->dir + ".tmp-" +
           std::to_string(llvm::sys::Process::getProcessId());
  }
  ~OutputWriter() {
    gTempDir[0] = '\0';
    if (!committed)
      llvm::sys::fs::remove_directories(temp);
  }

  /// Only a directory is ever replaced, and only a ds-compile output or an
  /// empty one: -o naming the model, the config or any other file would
  /// destroy it.
  static Error checkReplaceable(StringRef dir) {
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(dir, status) &&
        status.type() != llvm::sys::fs::file_type::directory_file)
      return makeError(dir + " exists and is not a directory; refusing to "
                             "replace it (-o names the output directory)");
    if (!llvm::sys::fs::exists(dir) || isEmptyDir(dir))
      return Error::success();
    // A ds-compile output holds only what ds-compile writes, and its
    // plan.json says so; anything else in it would be lost.
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec)) {
      StringRef name = llvm::sys::path::filename(it->path());
      if (!llvm::is_contained(kOutputEntries, name))
        return makeError(dir +
                         " exists and is not a ds-compile output (it "
                         "holds '" +
                         name + "'); refusing to overwrite it");
    }
    auto plan = llvm::MemoryBuffer::getFile(dir + "/plan.json");
    auto json = plan ? nlohmann::json::parse((*plan)->getBuffer(), nullptr,
                                             /*allow_exceptions=*/false)
                     : nlohmann::json();
    auto format = json.is_object() ? json.find("format") : json.end();
    if (!json.is_object() || format == json.end() ||
        *format != runtime::kPlanFormat)
      return makeError(dir + " exists and is not a ds-compile output (no "
                             "ds-compile plan.json in it); refusing to "
                             "overwrite it");
    return Error::success();
  }

  Error begin() {
    if (Error err = checkReplaceable(dir))
      return err;
    // Every exit path removes the temporary directory: errors and running
    // out of memory through the destructor, signals through the handler.
    if (temp.size() < sizeof gTempDir) {
      std::memcpy(gTempDir, temp.c_str(), temp.size() + 1);
      for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
                      SIGABRT, SIGFPE, SIGILL})
        ::signal(sig, onFatalSignal);
    }
    for (const char *sub : {"", "/bin", "/weights"})
      if (std::error_code ec = llvm::sys::fs::create_directories(temp + sub))
        return makeError("cannot create " + temp + sub + ": " + ec.message());
    return Error::success();
  }

  void dump(StringRef name, mlir::ModuleOp module) {
    if (!dumpIr)
      return;
    std::string text;
    llvm::raw_string_ostream os(text);
    // With the locations (the ONNX nodes' names), which the kernels' call
    // sites carry into the object for messages: a replay keeps them.
    module.print(os, mlir::OpPrintingFlags().enableDebugInfo());
    dumpText(name, text);
  }

  void dumpText(StringRef name, StringRef text) {
    if (!dumpIr)
      return;
    llvm::sys::fs::create_directories(temp + "/mlir");
    (void)writeFile(temp + "/mlir/" + name.str(), text);
  }

  /// Writes rank 0's executable and weights and the plan files. The
  /// data-parallel ranks run the same program on the same initial weights:
  /// bin/rank_<r> are hard links to bin/rank_0.
  Error writeRank(StringRef object, StringRef planJson, StringRef planText,
                  StringRef launchJson,
                  const std::vector<onnx_import::Parameter> &params,
                  const partition::ZeroPlan *zero, int worldSize,
                  bool paramValues) {
    std::string objectPath = temp + "/rank_0.o";
    for (auto [name, text] : {std::pair{objectPath, object},
                              {temp + "/plan.json", planJson},
                              {temp + "/plan.txt", planText},
                              {temp + "/launch.json", launchJson}})
      if (Error err = writeFile(name, text))
        return err;
    if (Error err =
            writeRankWeights(temp, params, zero, worldSize, paramValues))
      return err;
    if (Error err =
            codegen::linkRankExecutable(objectPath, temp + "/bin/rank_0"))
      return err;
    if (Error err = codegen::copyCudaBackend(temp + "/lib"))
      return err;
    llvm::sys::fs::remove(objectPath);
    for (int r = 1; r < worldSize; ++r)
      if (std::error_code ec = llvm::sys::fs::create_hard_link(
              temp + "/bin/rank_0", temp + "/bin/rank_" + std::to_string(r)))
        return makeError("cannot link " + temp + "/bin/rank_" +
                         std::to_string(r) + ": " + ec.message());
    return Error::success();
  }

  Error commit() {
    if (llvm::sys::fs::exists(dir))
      if (std::error_code ec = llvm::sys::fs::remove_directories(dir))
        return makeError("cannot replace " + dir + ": " + ec.message());
    if (std::error_code ec = llvm::sys::fs::rename(temp, dir))
      return makeError("cannot create " + dir + ": " + ec.message());
    gTempDir[0] = '\0';
    committed = true;
    return Error::success();
  }

private:
  static bool isEmptyDir(StringRef path) {
    std::error_code ec;
    return llvm::sys::fs::directory_iterator(path, ec) ==
           llvm::sys::fs::directory_iterator();
  }

  static Error writeFile(StringRef path, StringRef text) {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    if (ec)
      return makeError("cannot write " + path + ": " + ec.message());
    out << text;
    return Error::success();
  }

  std::string dir, temp;
  bool dumpIr;
  bool committed = false;
};

/// The step pipelines' options from ds_config and the world (options are
/// not copyable: filled in place).
void fillStepOptions(passes::StepPipelineOptions &options, bool training,
                     const config::DsConfig &config, int64_t dpSize,
                     int64_t gradAccumSteps) {
  options.training = training;
  options.dpSize = dpSize;
  options.gradAccumSteps = gradAccumSteps;
  options.zeroStage = config.zero.stage;
  options.reduceBucketElements = config.zero.reduceBucketSize.value;
  options.allgatherBucketElements = config.zero.allgatherBucketSize;
  options.persistenceThreshold =
      config.zero.stage3ParamPersistenceThreshold.value;
  options.maxReuseDistance = config.zero.stage3MaxReuseDistance;
  options.maxLiveParameters = config.zero.stage3MaxLiveParameters;
  options.prefetchElements = config.zero.stage3PrefetchBucketSize.value;
  // The optimizer as the object's constant resolves it (DeepSpeed's
  // defaults applied once): the update is built from the same values.
  const dsrt_optimizer o = codegen::optimizerConstant(config);
  // The kind as the rank reads it from its constant (dsrt.h's numbering);
  // an unknown one is left empty, which build-optimizer-step refuses.
  runtime::Expected<runtime::PlanOptimizer> kind = runtime::optimizerFromAbi(o);
  options.optimizer =
      kind ? std::string(runtime::optimizerKindName(kind->kind)) : "";
  options.gradientClipping = o.gradient_clipping;
  // fp16: DeepSpeed's dynamic (or static) loss scaling in the step.
  options.lossScaling = o.loss_scaling != 0;
  // fp16 / bf16: the 16-bit model, float32 master weights.
  if (config.fp16.enabled.value && !config.fp16.enabled.isAuto)
    options.mixedPrecision = "f16";
  else if (config.bf16.enabled.value && !config.bf16.enabled.isAuto)
    options.mixedPrecision = "bf16";
  options.lr = o.lr;
  options.beta1 = o.beta1;
  options.beta2 = o.beta2;
  options.eps = o.eps;
  options.weightDecay = o.weight_decay;
  options.adamWMode = o.adam_w_mode != 0;
  options.biasCorrection = o.bias_correction != 0;
  options.momentum = o.momentum;
  options.dampening = o.dampening;
  options.nesterov = o.nesterov != 0;
  options.maxCoeff = o.max_coeff;
  options.minCoeff = o.min_coeff;
}

/// The stages from the imported graph to the planned rank program
/// (passes/Pipelines.h): the partitioning stage (`afterPartition` sees the
/// module then), then the plan collectives and the buffers' placement.
Error buildPlan(mlir::ModuleOp module, bool training,
                const config::DsConfig &config, int64_t dpSize,
                int64_t gradAccumSteps, bool fuseElementwise,
                llvm::function_ref<void(mlir::ModuleOp)> afterPartition = {}) {
  passes::StepPipelineOptions options;
  fillStepOptions(options, training, config, dpSize, gradAccumSteps);
  options.fuseElementwise = fuseElementwise;
  mlir::PassManager partition(module.getContext());
  passes::buildPartitionPipeline(partition, options);
  if (Error err = runStage(partition, module, "partitioning"))
    return err;
  if (afterPartition)
    afterPartition(module);
  mlir::PassManager planning(module.getContext());
  passes::buildPlanningPipeline(planning, options);
  return runStage(planning, module, "planning");
}

} // namespace

Expected<std::pair<std::string, SmallVector<int64_t>>>
parseInputShape(StringRef text) {
  auto [name, dims] = text.split('=');
  auto bad = [&] {
    return makeError("--input-shape '" + text +
                     "': expected NAME=DIMS such as ids=2x48");
  };
  if (name.empty() || dims.empty())
    return bad();
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 1)
      return bad();
    shape.push_back(d);
  }
  return std::make_pair(name.str(), shape);
}

namespace {

/// The whole pipeline; warnings go to `log` at once, the progress lines to
/// `progress`, which the caller prints only when everything succeeded (a
/// failure is one error line).
Error compileStages(const CompileRequest &request, llvm::raw_ostream &out,
                    llvm::raw_ostream &log, llvm::raw_ostream &progress) {
  // A mistaken -o is refused before any work (and again when writing).
  if (request.outputDir && request.emit == EmitKind::Executables)
    if (Error err = OutputWriter::checkReplaceable(*request.outputDir))
      return err;
  Expected<config::ParsedConfig> parsed =
      config::parseConfigFile(request.configPath);
  if (!parsed)
    return parsed.takeError();
  for (const std::string &warning : parsed->warnings)
    log << "warning: " << warning << "\n";

  std::optional<topology::Hostfile> hostfile;
  if (request.hostfilePath) {
    Expected<topology::Hostfile> h =
        topology::parseHostfileFile(*request.hostfilePath);
    if (!h)
      return h.takeError();
    hostfile = std::move(*h);
  }
  Expected<topology::World> world =
      topology::buildWorld(hostfile ? &*hostfile : nullptr, request.resources);
  if (!world)
    return world.takeError();

  Expected<int64_t> dpSize =
      config::dataParallelSize(parsed->config, world->worldSize());
  if (!dpSize)
    return dpSize.takeError();
  Expected<config::BatchSizes> batch =
      config::resolveBatch(parsed->config, *dpSize);
  if (!batch)
    return batch.takeError();

  onnx_import::ImportOptions options;
  options.batchSize = batch->microBatchSize;
  options.batchedInputs = parsed->config.optimizer.has_value();
  options.keepCopies = request.keepCopies;
  options.freeze = request.freeze;
  for (const std::string &text : request.inputShapes) {
    auto shape = parseInputShape(text);
    if (!shape)
      return shape.takeError();
    if (!options.inputShapes.try_emplace(shape->first, shape->second).second)
      return makeError("--input-shape names '" + shape->first + "' twice");
  }

  mlir::MLIRContext context;
  context.disableMultithreading();
  Expected<onnx_import::ImportedModel> model =
      onnx_import::importOnnxFile(context, request.modelPath, options);
  if (!model)
    return model.takeError();
  printSummary(progress, *world, *dpSize, *batch, *model);

  if (request.emit == EmitKind::Graph) {
    model->module->print(out);
    out << "\n";
    return Error::success();
  }
  if (request.emit == EmitKind::Plan) {
    bool training = parsed->config.optimizer.has_value();
    if (training)
      if (Error err = checkTrainable(*model->module))
        return err;
    if (Error err = buildPlan(*model->module, training, parsed->config, *dpSize,
                              batch->gradAccumSteps, request.fuseElementwise))
      return err;
    auto step = model->module->lookupSymbol<mlir::func::FuncOp>("step");
    auto arena = step->getAttrOfType<mlir::IntegerAttr>("plan.arena_size");
    auto persistent =
        step->getAttrOfType<mlir::IntegerAttr>("plan.persistent_bytes");
    progress << "ds-compile: plan: " << (training ? "training" : "inference")
             << " step, arena " << arena.getInt() << " bytes ("
             << persistent.getInt() << " persistent)\n";
    model->module->print(out);
    out << "\n";
    return Error::success();
  }
  if (!request.outputDir)
    return makeError("-o DIR is required to write the rank executables (or "
                     "use --emit graph or --emit plan)");
  bool training = parsed->config.optimizer.has_value();
  if (Error err = checkParallelism(parsed->config, *world, *dpSize, training))
    return err;
  if (!training && !request.paramWeights)
    return makeError("--no-param-weights: an inference plan (the config has "
                     "no optimizer) has no params to draw from a seed; its "
                     "weights are the model's");
  if (training)
    if (Error err = checkTrainable(*model->module))
      return err;
  OutputWriter writer(*request.outputDir, request.dumpIr);
  if (Error err = writer.begin())
    return err;
  writer.dump("01-graph.mlir", *model->module);
  // plan.txt opens with the summary of the imported graph.
  std::string summary;
  {
    llvm::raw_string_ostream os(summary);
    printSummary(os, *world, *dpSize, *batch, *model);
  }
  if (Error err = buildPlan(
          *model->module, training, parsed->config, *dpSize,
          batch->gradAccumSteps, request.fuseElementwise,
          [&](mlir::ModuleOp m) { writer.dump("02-partition.mlir", m); }))
    return err;
  writer.dump("03-plan.mlir", *model->module);
  std::optional<partition::ZeroPlan> zero;
  if (training) {
    Expected<partition::ZeroInputs> zeroInputs =
        codegen::zeroInputsFor(*model->module, parsed->config, *batch, *dpSize);
    if (!zeroInputs)
      return zeroInputs.takeError();
    Expected<partition::ZeroPlan> planned = partition::planZero(*zeroInputs);
    if (!planned)
      return planned.takeError();
    zero = std::move(*planned);
  }
  codegen::ManifestInputs inputs{parsed->config,
                                 *batch,
                                 *dpSize,
                                 0,
                                 world->worldSize(),
                                 training,
                                 zero ? &*zero : nullptr,
                                 model->ties};
  Expected<nlohmann::ordered_json> manifest =
      codegen::buildPlanManifest(*model->module, inputs);
  if (!manifest)
    return manifest.takeError();
  // The rank's own checks, run here on the plan it will carry: a plan the
  // runtime would refuse is a compiler bug, found before anything is written.
  runtime::Expected<runtime::Plan> checked =
      runtime::parsePlan(manifest->dump(), "plan.json");
  if (!checked)
    return makeError("the rank runtime cannot run this plan: " +
                     checked.message());
  if (zero && zero->dpSize > 1)
    progress << "ds-compile: zero: stage " << zero->stage << ", "
             << zero->collectives.size() << " collectives ("
             << zero->bytesPerStep() << " bytes) per step and rank\n";
  std::string planText = summary;
  {
    llvm::raw_string_ostream os(planText);
    if (zero)
      partition::printZeroPlan(os, *zero);
    model->module->print(os);
  }
  if (Error err = lowerToLLVM(*model->module))
    return err;
  writer.dump("04-llvm.mlir", *model->module);
  // What the rank reads from its own object rather than from plan.json.
  codegen::addRankConstants(*model->module, parsed->config,
                            runtime::encodePlan(*checked));
  std::string llvmIr;
  Expected<std::string> object = codegen::emitObject(*model->module, &llvmIr);
  if (!object)
    return object.takeError();
  writer.dumpText("05-rank.ll", llvmIr);
  if (Error err = writer.writeRank(*object, manifest->dump(1), planText,
                                   topology::launchJson(*world).dump(1),
                                   model->parameters, zero ? &*zero : nullptr,
                                   world->worldSize(), request.paramWeights))
    return err;
  progress << "ds-compile: wrote " << *request.outputDir << " (bin/rank_0"
           << (world->worldSize() > 1
                   ? " .. rank_" + std::to_string(world->worldSize() - 1)
                   : std::string())
           << ", weights/rank_0"
           << (world->worldSize() > 1
                   ? " .. rank_" + std::to_string(world->worldSize() - 1)
                   : std::string())
           << ".safetensors, plan.json, plan.txt, launch.json)\n";
  return writer.commit();
}

} // namespace

Error runCompile(const CompileRequest &request, llvm::raw_ostream &out,
                 llvm::raw_ostream &log) {
  std::string progressText;
  llvm::raw_string_ostream progress(progressText);
  if (Error err = compileStages(request, out, log, progress))
    return err;
  log << progressText;
  return Error::success();
}

} // namespace dsc::driver
