//===- ReferenceTrain.cpp - training on the reference interpreter ---------===//
//
// graph-reference-train MODEL.onnx --data DIR [--prefix P] [--batch B]
//                       [--steps N] [--expect REF.json] [--frozen REGEX]
//
// Imports the model, differentiates its loss (graph-autodiff), and runs N
// AdamW steps on one batch (<graph input>.npy files in DIR), evaluating the
// step with the reference interpreter (in double) and updating with the
// optimizer kernel. With --expect, each loss is compared with the `losses`
// of a PyTorch reference (within --rtol). This checks the importer, the
// gradient rules and the kernels on real models before code generation.
//
//===----------------------------------------------------------------------===//

#include "test/numeric/GraphInterpreter.h"

#include "compiler/onnx/OnnxImporter.h"
#include "kernels/optimizer/Optimizer.h"
#include "passes/Passes.h"
#include "runtime/io/Npy.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace dsc;
using numeric::HostTensor;

namespace {

llvm::cl::opt<std::string> modelPath(llvm::cl::Positional,
                                     llvm::cl::desc("<model.onnx>"),
                                     llvm::cl::Required);
llvm::cl::opt<std::string> dataDir("data", llvm::cl::desc("folder of .npy"),
                                   llvm::cl::Required);
llvm::cl::opt<int> steps("steps", llvm::cl::init(5));
llvm::cl::opt<int> batch("batch",
                         llvm::cl::desc("binds a symbolic first dimension"),
                         llvm::cl::init(0));
llvm::cl::opt<double> lr("lr", llvm::cl::init(1e-3));
llvm::cl::opt<std::string> expectPath("expect",
                                      llvm::cl::desc("reference losses"));
llvm::cl::opt<double> rtol("rtol", llvm::cl::init(1e-4));
llvm::cl::opt<double>
    normRtol("norm-rtol",
             llvm::cl::desc("also compare each step's gradient norm with the "
                            "reference's grad_norms (0: not compared)"),
             llvm::cl::init(0.0));
llvm::cl::opt<std::string>
    prefix("prefix", llvm::cl::desc("input files are DIR/<prefix><name>.npy"));
llvm::cl::opt<std::string>
    frozen("frozen", llvm::cl::desc("regex of parameters not to update"));

int fail(const llvm::Twine &message) {
  llvm::errs() << "graph-reference-train: " << message << "\n";
  return 1;
}

/// A graph input read from DIR/<name>.npy, as the interpreter's host tensor.
llvm::Expected<HostTensor> loadInput(StringRef name, RankedTensorType type) {
  std::string path = (dataDir + "/" + prefix + name + ".npy").str();
  runtime::Expected<runtime::NpyArray> npy = runtime::NpyArray::open(path);
  if (!npy)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   npy.message());
  HostTensor t = HostTensor::zeros(type);
  if (npy->numel() != t.numel())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": wrong number of elements");
  if (npy->dtype() == runtime::DType::I64)
    std::memcpy(t.i.data(), npy->data(), npy->byteSize());
  else if (npy->dtype() == runtime::DType::F32)
    for (int64_t k = 0; k < t.numel(); ++k)
      t.f[k] = static_cast<const float *>(npy->data())[k];
  else
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": expected int64 or float32 data");
  return t;
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::ParseCommandLineOptions(argc, argv, "reference training\n");
  MLIRContext ctx;
  onnx_import::ImportOptions options;
  if (batch > 0)
    options.batchSize = batch;
  auto model = onnx_import::importOnnxFile(ctx, modelPath, options);
  if (!model)
    return fail(llvm::toString(model.takeError()));
  PassManager pm(&ctx);
  pm.addPass(passes::createAutodiff());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(*model->module)))
    return fail("autodiff failed");
  auto main = model->module->lookupSymbol<func::FuncOp>("main");

  std::vector<HostTensor> args;
  // Trained args and their index in model->parameters (frozen ones are
  // loaded but get no gradient).
  std::vector<size_t> paramArgs, paramIndex;
  size_t nextParam = 0;
  for (BlockArgument arg : main.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto type = cast<RankedTensorType>(arg.getType());
    if (auto name = main.getArgAttrOfType<StringAttr>(i, "graph.input")) {
      auto t = loadInput(name.getValue(), type);
      if (!t)
        return fail(llvm::toString(t.takeError()));
      args.push_back(std::move(*t));
      continue;
    }
    const onnx_import::Parameter &p = model->parameters[nextParam++];
    HostTensor t = HostTensor::zeros(type);
    const float *data = reinterpret_cast<const float *>(p.data.data());
    for (int64_t k = 0; k < t.numel(); ++k)
      t.f[k] = data[k];
    if (main.getArgAttr(i, "graph.param")) {
      paramArgs.push_back(args.size());
      paramIndex.push_back(nextParam - 1);
    }
    args.push_back(std::move(t));
  }

  std::vector<double> expected, expectedNorms;
  if (!expectPath.empty()) {
    auto file = llvm::MemoryBuffer::getFile(expectPath);
    if (!file)
      return fail(expectPath + ": cannot read");
    auto json = nlohmann::json::parse((*file)->getBuffer().str(), nullptr,
                                      /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.contains("losses"))
      return fail(expectPath + ": no losses");
    expected = json["losses"].get<std::vector<double>>();
    if (normRtol > 0.0) {
      if (!json.contains("grad_norms"))
        return fail(expectPath + ": --norm-rtol, but no grad_norms");
      expectedNorms = json["grad_norms"].get<std::vector<double>>();
    }
  }

  std::vector<std::vector<double>> m(paramArgs.size()), v(paramArgs.size());
  for (size_t p = 0; p < paramArgs.size(); ++p) {
    m[p].assign(args[paramArgs[p]].f.size(), 0.0);
    v[p].assign(args[paramArgs[p]].f.size(), 0.0);
  }
  kernels::cpu::AdamParams adam;
  adam.lr = lr;
  int mismatches = 0;
  for (int step = 1; step <= steps; ++step) {
    auto results = numeric::evaluate(main, args);
    if (!results)
      return fail(llvm::toString(results.takeError()));
    double loss = (*results)[0].f[0];
    bool stepBad = false;
    llvm::outs() << "step " << step << " loss " << llvm::format("%.7f", loss);
    if (static_cast<size_t>(step) <= expected.size()) {
      double ref = expected[step - 1];
      double rel = std::fabs(loss - ref) / std::fabs(ref);
      bool ok = rel <= rtol;
      stepBad |= !ok;
      llvm::outs() << " reference " << llvm::format("%.7f", ref)
                   << " relative error " << llvm::format("%.2e", rel)
                   << (ok ? "" : " MISMATCH");
    }
    size_t firstGrad = results->size() - paramArgs.size();
    // The global norm of the gradients of every trained param.
    double normSq = 0.0;
    for (size_t p = 0; p < paramArgs.size(); ++p) {
      if (!frozen.empty() &&
          llvm::Regex(frozen).match(model->parameters[paramIndex[p]].name))
        continue;
      for (double g : (*results)[firstGrad + p].f)
        normSq += g * g;
    }
    if (static_cast<size_t>(step) <= expectedNorms.size()) {
      double norm = std::sqrt(normSq), ref = expectedNorms[step - 1];
      double rel = std::fabs(norm - ref) / std::fabs(ref);
      bool ok = rel <= normRtol;
      stepBad |= !ok;
      llvm::outs() << "; grad_norm " << llvm::format("%.7f", norm)
                   << " reference " << llvm::format("%.7f", ref)
                   << " relative error " << llvm::format("%.2e", rel)
                   << (ok ? "" : " MISMATCH");
    }
    mismatches += stepBad;
    llvm::outs() << "\n";
    for (size_t p = 0; p < paramArgs.size(); ++p) {
      if (!frozen.empty() &&
          llvm::Regex(frozen).match(model->parameters[paramIndex[p]].name))
        continue;
      HostTensor &param = args[paramArgs[p]];
      const HostTensor &grad = (*results)[firstGrad + p];
      kernels::cpu::adamStep(param.f.data(), grad.f.data(), m[p].data(),
                             v[p].data(), param.numel(), adam, step);
    }
  }
  int checked = std::min<int>(steps, expected.size());
  llvm::outs() << (checked - mismatches) << " passed, " << mismatches
               << " failed\n";
  return mismatches == 0 ? 0 : 1;
}
