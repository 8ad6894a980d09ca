//===- GradCheck.cpp - gradients against finite differences ---------------===//
//
// graph-gradcheck FILE.mlir: for every function in FILE (float64 parameters
// tagged graph.param, other data as constants), differentiates it with the
// graph-autodiff pass and compares each parameter's gradient, element by
// element, with central finite differences of the forward function, both
// evaluated by the reference interpreter. A function whose result is not a
// scalar is reduced to one as sum(result * c), with c fixed and non-uniform,
// so every output element matters differently. Prints a line per function
// and `N passed, M failed`.
//
// Parameters are drawn uniformly from [-1, 1], or from [gradcheck.min,
// gradcheck.max] when the argument carries those attributes (e.g. positive
// inputs of sqrt and log).
//
//===----------------------------------------------------------------------===//

#include "test/numeric/GraphInterpreter.h"

#include "dialects/graph/GraphDialect.h"
#include "dialects/graph/GraphOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace dsc;
using numeric::HostTensor;

namespace {

llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                     llvm::cl::desc("<input.mlir>"),
                                     llvm::cl::Required);
llvm::cl::opt<double> epsilon("eps", llvm::cl::desc("finite-difference step"),
                              llvm::cl::init(1e-6));
llvm::cl::opt<double> rtol("rtol", llvm::cl::init(1e-5));
llvm::cl::opt<double> atol("atol", llvm::cl::init(1e-7));

/// Makes `func`'s first result a scalar: sum(result * c) with fixed c.
void reduceToScalar(func::FuncOp func) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value y = ret.getOperand(0);
  auto type = cast<RankedTensorType>(y.getType());
  if (type.getRank() == 0)
    return;
  OpBuilder b(ret);
  std::vector<double> weights;
  for (int64_t i = 0; i < type.getNumElements(); ++i)
    weights.push_back(0.5 + 0.37 * std::fmod(i * 0.618034, 1.0) * (i % 3));
  Location loc = func.getLoc();
  auto c = graph::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, llvm::ArrayRef(weights)));
  Value weighted = graph::MulOp::create(b, loc, y, c);
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  Value loss = graph::ReduceSumOp::create(
      b, loc, weighted, b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false));
  ret->setOperand(0, loss);
  func.setType(
      b.getFunctionType(func.getArgumentTypes(), ret.getOperandTypes()));
}

double lossOf(func::FuncOp func, const std::vector<HostTensor> &args) {
  auto results = numeric::evaluate(func, args);
  if (!results) {
    llvm::errs() << llvm::toString(results.takeError()) << "\n";
    return NAN;
  }
  return (*results)[0].f[0];
}

/// Checks one function; returns the first mismatch, or an empty string.
std::string check(func::FuncOp original, MLIRContext &ctx) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(original.getLoc());
  auto forward = cast<func::FuncOp>(original->clone());
  forward.setName("main");
  module->push_back(forward);
  reduceToScalar(forward);
  auto differentiated = cast<func::FuncOp>(forward->clone());
  differentiated.setName("grad");
  module->push_back(differentiated);

  PassManager pm(&ctx);
  passes::AutodiffOptions options;
  options.funcName = "grad";
  pm.addPass(passes::createAutodiff(options));
  if (failed(pm.run(*module)))
    return "autodiff failed";

  std::mt19937_64 rng(42);
  std::vector<HostTensor> args;
  std::vector<unsigned> params;
  for (BlockArgument arg : forward.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    HostTensor t = HostTensor::zeros(type);
    unsigned i = arg.getArgNumber();
    auto bound = [&](StringRef name, double dflt) {
      auto attr = forward.getArgAttrOfType<FloatAttr>(i, name);
      return attr ? attr.getValueAsDouble() : dflt;
    };
    std::uniform_real_distribution<double> dist(bound("gradcheck.min", -1.0),
                                                bound("gradcheck.max", 1.0));
    for (double &v : t.f)
      v = dist(rng);
    if (forward.getArgAttr(i, "graph.param"))
      params.push_back(i);
    args.push_back(std::move(t));
  }

  // A function may ask for its own step and tolerance (float32 inside).
  auto setting = [&](StringRef name, double dflt) {
    auto attr = forward->getAttrOfType<FloatAttr>(name);
    return attr ? attr.getValueAsDouble() : dflt;
  };
  const double step = setting("gradcheck.eps", epsilon);
  const double relative = setting("gradcheck.rtol", rtol);

  auto analytic = numeric::evaluate(differentiated, args);
  if (!analytic)
    return llvm::toString(analytic.takeError());
  size_t firstGrad = forward.getNumResults();
  for (auto [p, argIndex] : llvm::enumerate(params)) {
    const HostTensor &grad = (*analytic)[firstGrad + p];
    HostTensor &param = args[argIndex];
    for (size_t e = 0; e < param.f.size(); ++e) {
      double saved = param.f[e];
      param.f[e] = saved + step;
      double plus = lossOf(forward, args);
      param.f[e] = saved - step;
      double minus = lossOf(forward, args);
      param.f[e] = saved;
      double numericGrad = (plus - minus) / (2 * step);
      double diff = std::fabs(numericGrad - grad.f[e]);
      if (!(diff <= atol + relative * std::fabs(numericGrad)))
        return "argument " + std::to_string(argIndex) + " element " +
               std::to_string(e) + ": autodiff " + std::to_string(grad.f[e]) +
               ", finite difference " + std::to_string(numericGrad);
    }
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::ParseCommandLineOptions(argc, argv, "graph gradient checks\n");
  MLIRContext ctx;
  ctx.loadDialect<graph::GraphDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(inputFile, &ctx);
  if (!module)
    return 2;
  int passed = 0, failed = 0;
  for (auto func : module->getOps<func::FuncOp>()) {
    std::string problem = check(func, ctx);
    if (problem.empty()) {
      ++passed;
      llvm::outs() << "PASS " << func.getName() << "\n";
    } else {
      ++failed;
      llvm::outs() << "FAIL " << func.getName() << ": " << problem << "\n";
    }
  }
  llvm::outs() << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
