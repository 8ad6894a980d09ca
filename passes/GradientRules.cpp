//===- GradientRules.cpp - adjoints of graph ops --------------------------===//
//
// One rule per differentiable op. Rules compose forward graph ops where the
// derivative is a composition (elementwise, matmul, reductions, data
// movement) and use the dedicated *_grad ops otherwise. Broadcast operands
// get their adjoint summed back to their own shape.
//
//===----------------------------------------------------------------------===//

#include "passes/GradientRules.h"

#include "dialects/graph/GraphOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace dsc::graph;
using llvm::SmallVector;

namespace dsc::passes {

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isFloatTensor(Value v) {
  return isa<FloatType>(typeOf(v).getElementType());
}

/// Builds the graph ops of one rule at the op's location.
class GradBuilder {
public:
  GradBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  template <typename OpTy, typename... Args> Value make(Args &&...args) {
    return OpTy::create(b, loc, std::forward<Args>(args)...)->getResult(0);
  }

  /// A rank-0 constant of `element` type, broadcast by the ops that use it.
  Value scalar(Type element, double value) {
    auto type = RankedTensorType::get({}, element);
    return make<ConstantOp>(DenseElementsAttr::get(
        type, Attribute(b.getFloatAttr(element, value))));
  }

  Value zeros(RankedTensorType type) {
    return make<ConstantOp>(DenseElementsAttr::get(
        type, Attribute(b.getFloatAttr(type.getElementType(), 0.0))));
  }

  Value reshape(Value v, RankedTensorType type) {
    if (v.getType() == type)
      return v;
    return make<ReshapeOp>(type, v);
  }

  Value cast(Value v, Type element) {
    return make<CastOp>(typeOf(v).clone(element), v);
  }

  /// Sums `v` over the axes along which `target` was broadcast to v's shape.
  Value sumToShape(Value v, RankedTensorType target) {
    RankedTensorType vt = typeOf(v);
    if (vt.getShape() == target.getShape())
      return v;
    int64_t lead = vt.getRank() - target.getRank();
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < vt.getRank(); ++i)
      if (i < lead ||
          (target.getDimSize(i - lead) == 1 && vt.getDimSize(i) != 1))
        axes.push_back(i);
    Value summed = axes.empty()
                       ? v
                       : make<ReduceSumOp>(v, b.getDenseI64ArrayAttr(axes),
                                           b.getBoolAttr(true));
    return reshape(summed, target.clone(vt.getElementType()));
  }

  /// Swaps the last two axes.
  Value transposeLast2(Value v) {
    int64_t rank = typeOf(v).getRank();
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 1], perm[rank - 2]);
    return make<TransposeOp>(v, b.getDenseI64ArrayAttr(perm));
  }

  Value add(Value x, Value y) { return make<AddOp>(x, y); }
  Value sub(Value x, Value y) { return make<SubOp>(x, y); }
  Value mul(Value x, Value y) { return make<MulOp>(x, y); }
  Value div(Value x, Value y) { return make<DivOp>(x, y); }
  Value neg(Value x) { return make<NegOp>(x); }
  Value where(Value c, Value x, Value y) { return make<WhereOp>(c, x, y); }

  OpBuilder &b;
  Location loc;
};

using Grads = SmallVector<Value>;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Grads binaryGrads(GradBuilder &g, Operation *op, Value dy) {
  Value a = op->getOperand(0), b = op->getOperand(1), y = op->getResult(0);
  RankedTensorType at = typeOf(a), bt = typeOf(b);
  Type element = at.getElementType();
  auto both = [&](Value da, Value db) {
    return Grads{da ? g.sumToShape(da, at) : Value(),
                 db ? g.sumToShape(db, bt) : Value()};
  };
  return llvm::TypeSwitch<Operation *, Grads>(op)
      .Case([&](AddOp) { return both(dy, dy); })
      .Case([&](SubOp) { return both(dy, g.neg(dy)); })
      .Case([&](MulOp) { return both(g.mul(dy, b), g.mul(dy, a)); })
      .Case([&](DivOp) {
        // d(a/b)/db = -a/b^2 = -y/b.
        return both(g.div(dy, b), g.neg(g.div(g.mul(dy, y), b)));
      })
      .Case([&](PowOp) {
        Value bMinus1 = g.sub(b, g.scalar(element, 1.0));
        Value da = g.mul(dy, g.mul(b, g.make<PowOp>(a, bMinus1)));
        Value db = g.mul(dy, g.mul(y, g.make<LogOp>(a)));
        return both(da, db);
      })
      .Case<MinOp, MaxOp>([&](Operation *minOrMax) {
        // The larger (max) or smaller (min) side takes the gradient; ties
        // split it evenly, as PyTorch does.
        bool isMax = isa<MaxOp>(minOrMax);
        Value wins = isMax ? g.make<GreaterOp>(a, b) : g.make<LessOp>(a, b);
        Value ties = g.make<EqualOp>(a, b);
        Value share =
            g.add(g.cast(wins, element),
                  g.mul(g.cast(ties, element), g.scalar(element, 0.5)));
        Value da = g.mul(dy, share);
        Value db = g.mul(dy, g.sub(g.scalar(element, 1.0), share));
        return both(da, db);
      });
}

/// The adjoint of a unary elementwise op's input.
Value unaryGrad(GradBuilder &g, Operation *op, Value dy) {
  Value x = op->getOperand(0), y = op->getResult(0);
  Type element = typeOf(x).getElementType();
  auto zero = [&] { return g.scalar(element, 0.0); };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) { return g.neg(dy); })
      .Case([&](AbsOp) {
        Value negative = g.make<LessOp>(x, zero());
        Value positive = g.make<GreaterOp>(x, zero());
        return g.where(negative, g.neg(dy), g.where(positive, dy, zero()));
      })
      .Case([&](SqrtOp) { return g.div(g.mul(dy, g.scalar(element, 0.5)), y); })
      .Case([&](ReciprocalOp) { return g.neg(g.mul(dy, g.mul(y, y))); })
      .Case([&](ExpOp) { return g.mul(dy, y); })
      .Case([&](LogOp) { return g.div(dy, x); })
      .Case([&](TanhOp) {
        return g.mul(dy, g.sub(g.scalar(element, 1.0), g.mul(y, y)));
      })
      .Case([&](SigmoidOp) {
        return g.mul(dy, g.mul(y, g.sub(g.scalar(element, 1.0), y)));
      })
      .Case([&](ReluOp) {
        return g.where(g.make<GreaterOp>(x, zero()), dy, zero());
      })
      .Case([&](ErfOp) {
        // erf'(x) = 2 / sqrt(pi) * exp(-x^2).
        Value e = g.make<ExpOp>(g.neg(g.mul(x, x)));
        return g.mul(dy, g.mul(e, g.scalar(element, 2.0 / std::sqrt(M_PI))));
      })
      .Case([&](GeluOp gelu) {
        return g.make<GeluGradOp>(x, dy, gelu.getApproximateAttr());
      })
      .Case([&](CastOp) { return g.cast(dy, element); })
      .Default([](Operation *) { return Value(); });
}

//===----------------------------------------------------------------------===//
// Contractions and reductions
//===----------------------------------------------------------------------===//

Grads matmulGrads(GradBuilder &g, MatMulOp op, Value dy) {
  Value a = op.getLhs(), b = op.getRhs();
  RankedTensorType at = typeOf(a), bt = typeOf(b);
  // A transposed operand is differentiated as its transpose, whose adjoint
  // is transposed back; canonicalization folds the transposes into flags.
  if (op.getTransposeLhs())
    a = g.transposeLast2(a);
  if (op.getTransposeRhs())
    b = g.transposeLast2(b);
  // Work on the matrix forms NumPy promotes 1-D operands to.
  auto promote = [&](Value v, bool isLhs) {
    RankedTensorType t = typeOf(v);
    if (t.getRank() != 1)
      return v;
    SmallVector<int64_t> shape = isLhs
                                     ? SmallVector<int64_t>{1, t.getDimSize(0)}
                                     : SmallVector<int64_t>{t.getDimSize(0), 1};
    return g.reshape(v, t.clone(shape));
  };
  Value a2 = promote(a, true), b2 = promote(b, false);
  RankedTensorType a2t = typeOf(a2), b2t = typeOf(b2);
  SmallVector<int64_t> batch;
  (void)broadcastShapes(a2t.getShape().drop_back(2),
                        b2t.getShape().drop_back(2), batch);
  batch.push_back(a2t.getDimSize(a2t.getRank() - 2));
  batch.push_back(b2t.getDimSize(b2t.getRank() - 1));
  Value dy2 = g.reshape(dy, typeOf(dy).clone(batch));
  Value da = g.make<MatMulOp>(dy2, g.transposeLast2(b2));
  Value db = g.make<MatMulOp>(g.transposeLast2(a2), dy2);
  da = g.reshape(g.sumToShape(da, a2t), typeOf(a));
  db = g.reshape(g.sumToShape(db, b2t), typeOf(b));
  if (op.getTransposeLhs())
    da = g.transposeLast2(da);
  if (op.getTransposeRhs())
    db = g.transposeLast2(db);
  assert(typeOf(da) == at && typeOf(db) == bt && "adjoint types");
  (void)at;
  (void)bt;
  return {da, db};
}

Grads convGrads(GradBuilder &g, ConvOp op, Value dy) {
  Value x = op.getInput(), w = op.getFilter();
  Value dx = g.make<ConvGradInputOp>(typeOf(x), dy, w, op.getStridesAttr(),
                                     op.getPadsAttr(), op.getDilationsAttr(),
                                     op.getGroupAttr());
  Value dw = g.make<ConvGradFilterOp>(typeOf(w), x, dy, op.getStridesAttr(),
                                      op.getPadsAttr(), op.getDilationsAttr(),
                                      op.getGroupAttr());
  Grads grads{dx, dw};
  if (op.getBias())
    grads.push_back(g.make<ReduceSumOp>(dy, g.b.getDenseI64ArrayAttr({0, 2, 3}),
                                        g.b.getBoolAttr(false)));
  return grads;
}

/// The shape of a reduction's result with the reduced axes kept as 1.
RankedTensorType keptShape(RankedTensorType input, ArrayRef<int64_t> axes,
                           Type element) {
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return RankedTensorType::get(shape, element);
}

Value reduceGrad(GradBuilder &g, Operation *op, ArrayRef<int64_t> axes,
                 Value dy) {
  Value x = op->getOperand(0);
  RankedTensorType xt = typeOf(x);
  Type element = xt.getElementType();
  RankedTensorType kept = keptShape(xt, axes, element);
  Value dyKept = g.reshape(dy, kept);
  if (isa<ReduceSumOp>(op))
    return g.make<ExpandOp>(xt, dyKept);
  if (isa<ReduceMeanOp>(op)) {
    int64_t count = xt.getNumElements() / kept.getNumElements();
    Value scaled = g.mul(dyKept, g.scalar(element, 1.0 / count));
    return g.make<ExpandOp>(xt, scaled);
  }
  // reduce_max: the maxima share the gradient evenly.
  Value yKept = g.reshape(op->getResult(0), kept);
  Value isMax = g.cast(g.make<EqualOp>(x, yKept), element);
  Value count = g.make<ReduceSumOp>(isMax, g.b.getDenseI64ArrayAttr(axes),
                                    g.b.getBoolAttr(true));
  return g.mul(isMax, g.div(dyKept, count));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

Grads concatGrads(GradBuilder &g, ConcatOp op, Value dy) {
  Grads grads;
  int64_t axis = op.getAxis(), offset = 0;
  RankedTensorType yt = typeOf(dy);
  for (Value input : op.getInputs()) {
    int64_t size = typeOf(input).getDimSize(axis);
    SmallVector<int64_t> starts(yt.getRank(), 0), ends(yt.getShape()),
        steps(yt.getRank(), 1);
    starts[axis] = offset;
    ends[axis] = offset + size;
    grads.push_back(g.make<SliceOp>(dy, g.b.getDenseI64ArrayAttr(starts),
                                    g.b.getDenseI64ArrayAttr(ends),
                                    g.b.getDenseI64ArrayAttr(steps)));
    offset += size;
  }
  return grads;
}

Value transposeGrad(GradBuilder &g, TransposeOp op, Value dy) {
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return g.make<TransposeOp>(dy, g.b.getDenseI64ArrayAttr(inverse));
}

} // namespace

FailureOr<SmallVector<Value>>
buildOperandGradients(OpBuilder &b, Operation *op, ArrayRef<Value> resultGrads,
                      llvm::function_ref<bool(Value)> needsGrad) {
  GradBuilder g(b, op->getLoc());
  Value dy = resultGrads.empty() ? Value() : resultGrads[0];
  auto unsupported = [&](const Twine &what) -> FailureOr<Grads> {
    return op->emitOpError("has no gradient rule for ") << what;
  };
  FailureOr<Grads> grads =
      llvm::TypeSwitch<Operation *, FailureOr<Grads>>(op)
          .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp>(
              [&](Operation *) { return binaryGrads(g, op, dy); })
          .Case<NegOp, AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, TanhOp,
                SigmoidOp, ReluOp, ErfOp, GeluOp>(
              [&](Operation *) { return Grads{unaryGrad(g, op, dy)}; })
          .Case([&](CastOp cast) -> FailureOr<Grads> {
            if (!isFloatTensor(cast.getInput()))
              return Grads{Value()};
            return Grads{unaryGrad(g, op, dy)};
          })
          .Case([&](WhereOp where) {
            Value zero = g.scalar(typeOf(dy).getElementType(), 0.0);
            Value c = where.getCondition();
            return Grads{
                Value(),
                g.sumToShape(g.where(c, dy, zero), typeOf(where.getLhs())),
                g.sumToShape(g.where(c, zero, dy), typeOf(where.getRhs()))};
          })
          .Case([&](SoftmaxOp s) {
            return Grads{
                g.make<SoftmaxGradOp>(s.getResult(), dy, s.getAxisAttr())};
          })
          .Case([&](LogSoftmaxOp s) {
            return Grads{
                g.make<LogSoftmaxGradOp>(s.getResult(), dy, s.getAxisAttr())};
          })
          .Case([&](LayerNormOp ln) -> FailureOr<Grads> {
            if (resultGrads[1] || resultGrads[2])
              return unsupported("its mean and inv_std_dev results");
            auto grad = LayerNormGradOp::create(
                b, ln.getLoc(), ln.getInput(), ln.getScale(), ln.getMean(),
                ln.getInvStdDev(), dy, ln.getAxisAttr());
            Grads out{grad.getInputGrad(), grad.getScaleGrad()};
            if (ln.getBias())
              out.push_back(grad.getBiasGrad());
            return out;
          })
          .Case([&](SoftmaxCrossEntropyLossOp loss) {
            Value dx;
            if (dy)
              dx = g.make<SoftmaxCrossEntropyLossGradOp>(
                  loss.getLogProb(), loss.getTarget(), dy, loss.getWeight(),
                  loss.getReductionAttr(), loss.getIgnoreIndexAttr());
            if (Value dLogProb = resultGrads[1]) {
              Value viaLogProb = g.make<LogSoftmaxGradOp>(
                  loss.getLogProb(), dLogProb, b.getI64IntegerAttr(1));
              dx = dx ? g.add(dx, viaLogProb) : viaLogProb;
            }
            return Grads{dx, Value(), Value()};
          })
          .Case([&](NegativeLogLikelihoodLossOp loss) {
            return Grads{g.make<NegativeLogLikelihoodLossGradOp>(
                             typeOf(loss.getInput()), loss.getTarget(), dy,
                             loss.getWeight(), loss.getReductionAttr(),
                             loss.getIgnoreIndexAttr()),
                         Value(), Value()};
          })
          .Case([&](DropoutOp d) {
            double keep = 1.0 - d.getRatio().convertToDouble();
            Type element = typeOf(dy).getElementType();
            Value scaled = g.mul(dy, g.scalar(element, 1.0 / keep));
            return Grads{g.where(d.getMask(), scaled, g.scalar(element, 0.0))};
          })
          .Case([&](MatMulOp m) { return matmulGrads(g, m, dy); })
          .Case([&](ConvOp c) { return convGrads(g, c, dy); })
          .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](Operation *r) {
            auto axes = cast<DenseI64ArrayAttr>(r->getAttr("axes"));
            return Grads{reduceGrad(g, r, axes.asArrayRef(), dy)};
          })
          .Case([&](ReshapeOp r) {
            return Grads{g.reshape(dy, typeOf(r.getInput()))};
          })
          .Case([&](TransposeOp t) { return Grads{transposeGrad(g, t, dy)}; })
          .Case([&](SliceOp s) {
            return Grads{g.make<SliceGradOp>(typeOf(s.getInput()), dy,
                                             s.getStartsAttr(), s.getEndsAttr(),
                                             s.getStepsAttr())};
          })
          .Case([&](ConcatOp c) { return concatGrads(g, c, dy); })
          .Case([&](ExpandOp e) {
            return Grads{g.sumToShape(dy, typeOf(e.getInput()))};
          })
          .Case([&](GatherOp gather) {
            return Grads{g.make<GatherGradOp>(typeOf(gather.getInput()),
                                              gather.getIndices(), dy,
                                              gather.getAxisAttr()),
                         Value()};
          })
          .Case([&](GatherElementsOp gather) {
            return Grads{g.make<GatherElementsGradOp>(typeOf(gather.getInput()),
                                                      gather.getIndices(), dy,
                                                      gather.getAxisAttr()),
                         Value()};
          })
          .Case([&](ScatterNDOp scatter) -> FailureOr<Grads> {
            if (needsGrad(scatter.getUpdates()))
              return unsupported("its updates");
            ScatterReduction reduction = scatter.getReduction();
            if (reduction == ScatterReduction::Add)
              return Grads{dy, Value(), Value()};
            if (reduction != ScatterReduction::None)
              return unsupported("reduction '" +
                                 stringifyScatterReduction(reduction) + "'");
            // Overwritten positions do not reach the input.
            Value zeros = g.zeros(typeOf(scatter.getUpdates()));
            return Grads{g.make<ScatterNDOp>(dy, scatter.getIndices(), zeros,
                                             scatter.getReductionAttr()),
                         Value(), Value()};
          })
          .Case([&](PadOp p) -> FailureOr<Grads> {
            return Grads{g.make<PadGradOp>(typeOf(p.getInput()), dy,
                                           p.getPadsAttr(), p.getModeAttr())};
          })
          .Case([&](TriluOp t) {
            return Grads{g.make<TriluOp>(dy, t.getK(), t.getUpperAttr()),
                         Value()};
          })
          .Default([&](Operation *) { return unsupported("this op"); });
  if (failed(grads))
    return failure();
  // Keep only what is asked for; the unused ops are dead and get removed.
  grads->resize(op->getNumOperands());
  for (auto [operand, grad] : llvm::zip(op->getOperands(), *grads))
    if (!needsGrad(operand))
      grad = Value();
  return *grads;
}

} // namespace dsc::passes
