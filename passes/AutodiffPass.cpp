//===- AutodiffPass.cpp - reverse-mode differentiation of the loss --------===//
//
// Walks the function backwards from its loss, asking GradientRules for the
// adjoints of each op's operands and summing the contributions a value gets
// from its several uses. The gradients of the parameters become new results.
//
//===----------------------------------------------------------------------===//

#include "passes/GradientRules.h"
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseSet.h"

namespace dsc::passes {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;
using namespace dsc::graph;

namespace dsc::passes {
namespace {

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

class AutodiffPass : public impl::AutodiffBase<AutodiffPass> {
public:
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>(funcName);
    if (!func) {
      getOperation().emitError("no function @")
          << funcName << " to differentiate";
      return signalPassFailure();
    }
    if (failed(differentiate(func)))
      signalPassFailure();
  }

private:
  FailureOr<unsigned> findLoss(func::FuncOp func);
  LogicalResult differentiate(func::FuncOp func);
};

FailureOr<unsigned> AutodiffPass::findLoss(func::FuncOp func) {
  unsigned index = 0;
  if (!lossName.empty()) {
    auto names = llvm::to_vector(llvm::map_range(
        llvm::seq<unsigned>(0, func.getNumResults()), [&](unsigned i) {
          auto name = func.getResultAttrOfType<StringAttr>(i, "graph.output");
          return name ? name.getValue() : StringRef();
        }));
    auto it = llvm::find(names, lossName);
    if (it == names.end())
      return func.emitError("no result named '") << lossName << "'";
    index = it - names.begin();
  }
  if (func.getNumResults() <= index)
    return func.emitError("has no result to differentiate");
  auto type = dyn_cast<RankedTensorType>(func.getResultTypes()[index]);
  if (!type || !isa<FloatType>(type.getElementType()) ||
      type.getNumElements() != 1)
    return func.emitError("the loss must be a float scalar, got ")
           << func.getResultTypes()[index];
  return index;
}

LogicalResult AutodiffPass::differentiate(func::FuncOp func) {
  FailureOr<unsigned> lossIndex = findLoss(func);
  if (failed(lossIndex))
    return failure();
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // Values that depend on a float parameter: only they need adjoints.
  SmallVector<BlockArgument> params;
  llvm::DenseSet<Value> active;
  for (BlockArgument arg : body.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), "graph.param") &&
        isFloatTensor(arg)) {
      params.push_back(arg);
      active.insert(arg);
    }
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op.getResults())
        if (isFloatTensor(r))
          active.insert(r);
  auto needsGrad = [&](Value v) { return active.contains(v); };

  OpBuilder b(ret);
  llvm::DenseMap<Value, Value> adjoint;
  auto accumulate = [&](Value v, Value grad, Location loc) {
    auto [it, inserted] = adjoint.try_emplace(v, grad);
    if (!inserted)
      it->second = AddOp::create(b, loc, it->second, grad);
  };
  Value loss = ret.getOperand(*lossIndex);
  auto lossType = cast<RankedTensorType>(loss.getType());
  Value seed;
  if (lossScaleInput) {
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, lossType,
                                   b.getDictionaryAttr(b.getNamedAttr(
                                       "graph.loss_scale", b.getUnitAttr())),
                                   func.getLoc())))
      return failure();
    seed = body.getArgument(index);
  } else {
    seed = ConstantOp::create(
        b, func.getLoc(),
        DenseElementsAttr::get(lossType, Attribute(b.getFloatAttr(
                                             lossType.getElementType(), 1.0))));
  }
  adjoint[loss] = seed;

  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(body.without_terminator()))) {
    SmallVector<Value> resultGrads;
    for (Value r : op.getResults())
      resultGrads.push_back(adjoint.lookup(r));
    if (llvm::all_of(resultGrads, [](Value v) { return !v; }))
      continue;
    FailureOr<SmallVector<Value>> grads =
        buildOperandGradients(b, &op, resultGrads, needsGrad);
    if (failed(grads))
      return failure();
    for (auto [operand, grad] : llvm::zip(op.getOperands(), *grads))
      if (grad)
        accumulate(operand, grad, op.getLoc());
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  for (BlockArgument param : params) {
    Value grad = adjoint.lookup(param);
    if (!grad) {
      // The loss does not depend on this parameter.
      auto type = cast<RankedTensorType>(param.getType());
      grad = ConstantOp::create(
          b, func.getLoc(),
          DenseElementsAttr::get(
              type, Attribute(b.getFloatAttr(type.getElementType(), 0.0))));
    }
    results.push_back(grad);
    resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        "graph.grad", func.getArgAttr(param.getArgNumber(), "graph.param"))));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  func.setType(b.getFunctionType(func.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
  // Rules build every operand's adjoint; drop those nothing used.
  IRRewriter rewriter(func.getContext());
  (void)runRegionDCE(rewriter, func.getBody());
  return success();
}

} // namespace
} // namespace dsc::passes
