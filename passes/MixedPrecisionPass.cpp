//===- MixedPrecisionPass.cpp - 16-bit params and activations -------------===//
//
// DeepSpeed's fp16 and bf16 modes train a model whose params and
// activations are 16-bit (model.half(), model.bfloat16()), with float32
// master weights in the optimizer. This pass makes the forward graph the
// 16-bit model: every float32 param, frozen initializer, constant and
// activation becomes the 16-bit type, before autodiff, so the gradients are
// 16-bit too. Kernels still compute in float32 and round what they store.
//
// Two places keep float32, as a model built in 16 bits does:
//   - the loss (cross entropy and NLL) reads its logits in float32 and
//     returns a float32 loss, so the loss and its seed (fp16's loss scale)
//     keep their precision; what follows the loss stays float32;
//   - float32 inputs (data) and results keep their types, through casts.
// Constants round to nearest even and saturate to the 16-bit type's finite
// range: a float32 mask of -3.4e38 becomes the 16-bit lowest, as
// torch.finfo(dtype).min would give, not -inf (whose 0 * -inf is NaN).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "llvm/ADT/DenseSet.h"

namespace dsc::passes {
#define GEN_PASS_DEF_MIXEDPRECISION
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

bool isF32Tensor(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.getElementType().isF32();
}

/// `type` with element type `element`.
Type withElement(Type type, Type element) {
  return cast<RankedTensorType>(type).clone(element);
}

/// A float32 constant in `element`, rounded to nearest even and saturated
/// to its finite range (NaN stays NaN, an infinity stays infinite).
FailureOr<ElementsAttr> convertConstant(ElementsAttr value, FloatType element) {
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return failure();
  const llvm::fltSemantics &semantics = element.getFloatSemantics();
  auto convert = [&](APFloat v) {
    bool wasInfinite = v.isInfinity();
    bool losesInfo = false;
    v.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
    if (v.isInfinity() && !wasInfinite)
      v = APFloat::getLargest(semantics, v.isNegative());
    return v;
  };
  auto type = cast<ShapedType>(withElement(dense.getType(), element));
  if (dense.isSplat())
    return ElementsAttr(
        DenseElementsAttr::get(type, convert(dense.getSplatValue<APFloat>())));
  SmallVector<APFloat> values;
  values.reserve(dense.getNumElements());
  for (APFloat v : dense.getValues<APFloat>())
    values.push_back(convert(v));
  return ElementsAttr(DenseElementsAttr::get(type, values));
}

/// The losses read their float operands in float32.
bool isLoss(Operation *op) {
  return isa<graph::SoftmaxCrossEntropyLossOp,
             graph::NegativeLogLikelihoodLossOp>(op);
}

class MixedPrecisionPass : public impl::MixedPrecisionBase<MixedPrecisionPass> {
public:
  using MixedPrecisionBase::MixedPrecisionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal()) {
      module.emitError("no function @") << funcName << " to convert";
      return signalPassFailure();
    }
    Builder b(module.getContext());
    FloatType element;
    if (type == "f16")
      element = b.getF16Type();
    else if (type == "bf16")
      element = b.getBF16Type();
    else {
      module.emitError("mixed-precision type '")
          << type << "': expected f16 or bf16";
      return signalPassFailure();
    }
    if (failed(convert(func, element)))
      signalPassFailure();
  }

private:
  LogicalResult convert(func::FuncOp func, FloatType element);
};

LogicalResult MixedPrecisionPass::convert(func::FuncOp func,
                                          FloatType element) {
  Block &body = func.getBody().front();
  OpBuilder b(func.getContext());
  Type f32 = b.getF32Type();
  // A 16-bit value as float32, or the reverse, through a cast before `at`.
  auto castTo = [&](Value v, Type to, Operation *at) -> Value {
    b.setInsertionPoint(at);
    return graph::CastOp::create(b, v.getLoc(), withElement(v.getType(), to),
                                 v);
  };

  // Params and frozen initializers become 16-bit; float32 data is cast.
  SmallVector<Type> argTypes;
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    if (isF32Tensor(arg.getType())) {
      if (func.getArgAttr(i, "graph.param") ||
          func.getArgAttr(i, "graph.frozen")) {
        arg.setType(withElement(arg.getType(), element));
      } else if (!arg.use_empty()) {
        b.setInsertionPointToStart(&body);
        Value cast = graph::CastOp::create(
            b, arg.getLoc(), withElement(arg.getType(), element), arg);
        arg.replaceAllUsesExcept(cast, cast.getDefiningOp());
      }
    }
    argTypes.push_back(arg.getType());
  }

  // Ops that stay float32: the losses, what follows them, and constants
  // only they use.
  llvm::DenseSet<Operation *> wide;
  for (Operation &op : body.without_terminator())
    if (isLoss(&op) || llvm::any_of(op.getOperands(), [&](Value v) {
          return v.getDefiningOp() && wide.contains(v.getDefiningOp());
        }))
      wide.insert(&op);
  for (Operation &op : body.without_terminator())
    if (isa<graph::ConstantOp>(op) && !op.use_empty() &&
        llvm::all_of(op.getUsers(),
                     [&](Operation *user) { return wide.contains(user); }))
      wide.insert(&op);

  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    if (wide.contains(&op)) {
      for (OpOperand &use : op.getOpOperands()) {
        auto t = dyn_cast<RankedTensorType>(use.get().getType());
        if (t && t.getElementType() == element)
          use.set(castTo(use.get(), f32, &op));
      }
      continue;
    }
    if (auto constant = dyn_cast<graph::ConstantOp>(op)) {
      if (!isF32Tensor(constant.getType()))
        continue;
      FailureOr<ElementsAttr> value =
          convertConstant(constant.getValue(), element);
      if (failed(value))
        return constant.emitOpError("has a float32 value that is not dense; "
                                    "it cannot become ")
               << element;
      constant.setValueAttr(*value);
      constant.getResult().setType(
          cast<RankedTensorType>(value->getShapedType()));
      continue;
    }
    for (Value r : op.getResults())
      if (isF32Tensor(r.getType()))
        r.setType(withElement(r.getType(), element));
  }

  // The results keep their declared types.
  Operation *ret = body.getTerminator();
  for (OpOperand &use : ret->getOpOperands()) {
    Type declared = func.getResultTypes()[use.getOperandNumber()];
    if (use.get().getType() != declared && isF32Tensor(declared))
      use.set(castTo(use.get(), f32, ret));
  }
  func.setType(b.getFunctionType(argTypes, func.getResultTypes()));
  return success();
}

} // namespace
} // namespace dsc::passes
