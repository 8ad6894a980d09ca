//===- CompileDriver.cpp - the ds-compile pipeline ------------------------===//

#include "compiler/driver/CompileDriver.h"

#include "compiler/config/DsConfig.h"
#include "compiler/onnx/OnnxImporter.h"
#include "compiler/topology/Hostfile.h"
#include "compiler/topology/World.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

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
  int64_t elements = 0;
  for (const onnx_import::Parameter &p : model.parameters)
    elements += p.type.getNumElements();
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
      << "ds-compile: graph: " << ops << " ops, " << model.parameters.size()
      << " parameters (" << elements << " elements)\n";
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

/// The stages from the imported graph to the planned rank program: the
/// gradients (training), the kernels on buffers, their placement.
Error buildPlan(mlir::ModuleOp module, bool training) {
  mlir::PassManager pm(module.getContext());
  if (training)
    pm.addPass(passes::createAutodiff());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(passes::createConvertGraphToPlan());
  pm.addNestedPass<mlir::func::FuncOp>(passes::createPlanMemory());
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(
      module.getContext(), [&](mlir::Diagnostic &diag) {
        diagnostics += (diagnostics.empty() ? "" : "; ") + diag.str();
        return mlir::success();
      });
  if (mlir::failed(pm.run(module)))
    return makeError("planning failed: " + diagnostics);
  return Error::success();
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

Error runCompile(const CompileRequest &request, llvm::raw_ostream &out,
                 llvm::raw_ostream &log) {
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
  printSummary(log, *world, *dpSize, *batch, *model);

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
    if (Error err = buildPlan(*model->module, training))
      return err;
    auto step = model->module->lookupSymbol<mlir::func::FuncOp>("step");
    auto arena = step->getAttrOfType<mlir::IntegerAttr>("plan.arena_size");
    auto persistent =
        step->getAttrOfType<mlir::IntegerAttr>("plan.persistent_bytes");
    log << "ds-compile: plan: " << (training ? "training" : "inference")
        << " step, arena " << arena.getInt() << " bytes ("
        << persistent.getInt() << " persistent)\n";
    model->module->print(out);
    out << "\n";
    return Error::success();
  }
  return makeError("code generation (rank executables) is not implemented "
                   "yet; use --emit graph to print the imported graph");
}

} // namespace dsc::driver
