//===- BuildOptimizerStepPass.cpp - the step after the micro-steps -------===//
//
// Everything a training step does once its micro-steps have run becomes
// plan IR: one function per data-parallel rank, @train_step_r<k>, over the same
// arena as @step. The arena grows by what the update needs besides the
// step's buffers (the optimizer states of the elements the rank owns, the
// ZeRO-2/3 gradient accumulator, the collectives' staging buffer, the norm
// and loss scalars), and the function holds, in the order every rank runs
// them: the boundary collectives of @boundary (which it replaces), the mean
// over the ranks and micro-steps, the global norm, clipping, the loss mean,
// the schedule's learning rate, the optimizer update of each owned piece,
// the gathers of the updated params, and the zeroing of the next step's
// gradient sums. 16-bit params (fp16, bf16) are updated through float32
// master copies, from float32 copies of their gradients.
//
// Ranks differ only in the flat range they own (ZeRO's partitions), so each
// rank gets its own function with every offset a constant; the object
// carries them all and a rank runs its own.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/partition/ZeroPartition.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "runtime/include/dsrt.h"
#include "runtime/io/PlanFormat.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"

#include <limits>

namespace dsc::passes {
#define GEN_PASS_DEF_BUILDOPTIMIZERSTEP
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

/// A param of the flat space, with where the step keeps it.
struct Param {
  StringRef name;
  int64_t numel = 0;
  int64_t flat = 0;
  /// Arena byte offsets of its whole buffer and of its gradient, or -1.
  int64_t value = -1;
  int64_t grad = -1;
};

/// A piece of a param inside a flat range: param `p`, from its element
/// `first`, at flat element `flat`, `count` elements.
struct Piece {
  size_t p;
  int64_t first, flat, count;
};

/// A buffer the update adds to the arena.
struct UpdateBuffer {
  std::string attr, name;
  int64_t offset = 0;
  MemRefType type;
};

/// The flat space a collective of @boundary works on (its argument's
/// position is the payload), or none for another op.
std::optional<runtime::CollectivePayload> payloadOf(Operation *op) {
  if (!isa<plan::AllReduceOp, plan::ReduceScatterOp, plan::AllGatherOp>(op))
    return std::nullopt;
  Value buffer = op->getOperand(0);
  if (auto sub = buffer.getDefiningOp<memref::SubViewOp>())
    buffer = sub.getSource();
  auto arg = dyn_cast<BlockArgument>(buffer);
  if (!arg)
    return std::nullopt;
  return static_cast<runtime::CollectivePayload>(arg.getArgNumber());
}

/// The flat range a collective of @boundary works on: its subview of the
/// flat space, or [0, 1) for a scalar.
partition::FlatRange rangeOf(Operation *op) {
  auto sub = op->getOperand(0).getDefiningOp<memref::SubViewOp>();
  if (!sub)
    return {0, 1};
  int64_t begin = sub.getStaticOffsets()[0];
  return {begin, begin + sub.getStaticSizes()[0]};
}

class BuildOptimizerStepPass
    : public impl::BuildOptimizerStepBase<BuildOptimizerStepPass> {
public:
  using BuildOptimizerStepBase::BuildOptimizerStepBase;
  void runOnOperation() override;

private:
  LogicalResult readStep(func::FuncOp step);
  std::vector<Piece> pieces(int64_t lo, int64_t hi) const;
  /// The param that is exactly flat range `r` and has its own buffer: its
  /// gather goes there in place.
  std::optional<size_t> wholeParamAt(partition::FlatRange r) const;
  /// Adds a buffer of `elements` to the end of the arena.
  int64_t addBuffer(StringRef attr, StringRef name, int64_t elements,
                    Type element);
  void buildUpdate(ModuleOp module, func::FuncOp boundary, int64_t rank);

  SmallVector<Param> params;
  Type element;
  int64_t elemBytes = 4;
  /// The optimizer states' element type: the params' (float32, float64),
  /// or float32 for 16-bit params, which then have float32 master copies
  /// and the update float32 gradients.
  Type stateElement;
  int64_t stateBytes = 4;
  bool masterWeights = false;
  int64_t master = -1, masterGrad = -1;
  int64_t total = 0;
  int64_t shard = -1;
  int64_t arenaSize = 0;
  std::vector<partition::FlatRange> partitions;
  SmallVector<UpdateBuffer> added;
  int64_t staging = -1, accumulator = -1, normScalar = -1, lossScalar = -1;
  int64_t lossOffset = -1;
  Type lossType;
  /// The loss adjoint's seed (fp16 loss scaling), or -1.
  int64_t lossScaleOffset = -1;
  Type lossScaleType;
  SmallVector<int64_t, 2> states;
};

LogicalResult BuildOptimizerStepPass::readStep(func::FuncOp step) {
  llvm::StringMap<int64_t> grads;
  for (auto view : step.getOps<memref::ViewOp>()) {
    auto offset = view->getAttrOfType<IntegerAttr>("plan.offset");
    if (!offset)
      continue;
    if (view->hasAttr("plan.param_shard"))
      shard = offset.getInt();
    if (auto name = view->getAttrOfType<StringAttr>("plan.grad"))
      grads[name.getValue()] = offset.getInt();
    if (auto name = view->getAttrOfType<StringAttr>("plan.scalar");
        name && name.getValue() == "loss_scale") {
      lossScaleOffset = offset.getInt();
      lossScaleType = view.getType().getElementType();
    }
    // The loss: the step's first output, as the runtime reads it.
    if (view->hasAttr("plan.output") && lossOffset < 0) {
      lossOffset = offset.getInt();
      lossType = view.getType().getElementType();
    }
  }
  FailureOr<SmallVector<FlatParamInfo>> layout =
      flatParamLayout(step.getBody().front());
  if (failed(layout))
    return failure();
  for (const FlatParamInfo &f : *layout) {
    element = f.type.getElementType();
    Param p{f.name, f.numel, total};
    auto offset = f.buffer ? f.buffer->getAttrOfType<IntegerAttr>("plan.offset")
                           : IntegerAttr();
    auto grad = grads.find(f.name);
    p.value = offset ? offset.getInt() : -1;
    p.grad = grad == grads.end() ? -1 : grad->second;
    total += p.numel;
    params.push_back(p);
  }
  if (element && !element.isF32() && !element.isF64() && !element.isF16() &&
      !element.isBF16())
    return step.emitOpError("the optimizer updates float16, bfloat16, "
                            "float32 and float64 params, not ")
           << element;
  if (!element)
    return success();
  elemBytes = element.getIntOrFloatBitWidth() / 8;
  masterWeights = elemBytes == 2;
  stateElement =
      masterWeights ? Float32Type::get(element.getContext()) : element;
  stateBytes = stateElement.getIntOrFloatBitWidth() / 8;
  return success();
}

std::vector<Piece> BuildOptimizerStepPass::pieces(int64_t lo,
                                                  int64_t hi) const {
  std::vector<Piece> out;
  for (size_t p = 0; p < params.size(); ++p) {
    int64_t begin = std::max(lo, params[p].flat);
    int64_t end = std::min(hi, params[p].flat + params[p].numel);
    if (begin < end)
      out.push_back({p, begin - params[p].flat, begin, end - begin});
  }
  return out;
}

std::optional<size_t>
BuildOptimizerStepPass::wholeParamAt(partition::FlatRange r) const {
  std::vector<Piece> all = pieces(r.begin, r.end);
  if (all.size() == 1 && all[0].first == 0 &&
      all[0].count == params[all[0].p].numel && params[all[0].p].value >= 0)
    return all[0].p;
  return std::nullopt;
}

int64_t BuildOptimizerStepPass::addBuffer(StringRef attr, StringRef name,
                                          int64_t elements, Type type) {
  int64_t offset = arenaSize;
  auto memref = MemRefType::get({std::max<int64_t>(elements, 1)}, type);
  added.push_back({attr.str(), name.str(), offset, memref});
  arenaSize = alignToArena(offset + memref.getNumElements() *
                                        (type.getIntOrFloatBitWidth() / 8));
  return offset;
}

void BuildOptimizerStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  // A pass instance may run on several modules.
  params.clear();
  element = Type();
  elemBytes = 4;
  stateElement = Type();
  stateBytes = 4;
  masterWeights = false;
  master = masterGrad = -1;
  total = 0;
  shard = -1;
  partitions.clear();
  added.clear();
  staging = accumulator = normScalar = lossScalar = -1;
  lossOffset = -1;
  lossType = Type();
  lossScaleOffset = -1;
  states.clear();
  func::FuncOp step = lookupPlannedStep(module);
  if (!step)
    return signalPassFailure();
  auto arenaAttr = step->getAttrOfType<IntegerAttr>("plan.arena_size");
  if (!arenaAttr || step.getNumArguments() != 1) {
    module.emitError("needs the planned @step (run plan-memory first)");
    return signalPassFailure();
  }
  if (optimizer != "adam" && optimizer != "adamw" && optimizer != "sgd" &&
      optimizer != "lamb") {
    module.emitError("unknown optimizer '")
        << optimizer << "'; expected adam, adamw, sgd or lamb";
    return signalPassFailure();
  }
  if (dpSize < 1 || stage < 0 || stage > 3 || gradAccumSteps < 1) {
    module.emitError("dp-size and grad-accum-steps must be >= 1, stage 0-3");
    return signalPassFailure();
  }
  auto boundary = module.lookupSymbol<func::FuncOp>(kBoundaryFunction);
  if ((dpSize > 1) != static_cast<bool>(boundary)) {
    module.emitError(dpSize > 1 ? "needs @boundary for several ranks (run "
                                  "zero-boundary-exchange and "
                                  "convert-shard-to-plan first)"
                                : "has @boundary, but one rank exchanges "
                                  "nothing");
    return signalPassFailure();
  }
  if (failed(readStep(step)))
    return signalPassFailure();
  if (lossScaling != (lossScaleOffset >= 0)) {
    step.emitOpError(lossScaling
                         ? "has no loss scale to write (loss-scaling needs "
                           "graph-autodiff's loss-scale-input)"
                         : "has a loss scale, but loss-scaling is off");
    return signalPassFailure();
  }
  if (params.empty()) {
    module.emitError("has no params to update");
    return signalPassFailure();
  }
  if (lossOffset < 0 || !(lossType.isF32() || lossType.isF64())) {
    step.emitOpError("needs a float32 or float64 loss (its first output)");
    return signalPassFailure();
  }
  // Where the update finds each param and gradient.
  for (const Param &p : params) {
    if (stage <= 1 && p.grad < 0) {
      step.emitOpError("has no gradient buffer of param '") << p.name << "'";
      return signalPassFailure();
    }
    if (stage <= 2 && p.value < 0) {
      step.emitOpError("has no buffer of param '") << p.name << "'";
      return signalPassFailure();
    }
  }
  if (boundary)
    for (Operation &op : boundary.getBody().front())
      if (payloadOf(&op) == runtime::CollectivePayload::Parameters)
        for (const Piece &c : pieces(rangeOf(&op).begin, rangeOf(&op).end))
          if (params[c.p].value < 0) {
            op.emitOpError("gathers param '")
                << params[c.p].name << "', which the step does not hold whole";
            return signalPassFailure();
          }
  arenaSize = alignToArena(arenaAttr.getInt());
  partitions = partition::partitionsOf(total, dpSize);
  int64_t largestPart = 0;
  for (const partition::FlatRange &p : partitions)
    largestPart = std::max(largestPart, p.size());
  const int64_t owned = stage == 0 ? total : largestPart;

  // The staging buffer: the largest bucket that does not lie contiguously
  // in the arena (gradient buckets of stages 0 and 1; gathers of more than
  // one whole param).
  int64_t stagingElements = 0;
  if (boundary)
    for (Operation &op : boundary.getBody().front()) {
      std::optional<runtime::CollectivePayload> payload = payloadOf(&op);
      if (!payload || (*payload != runtime::CollectivePayload::Gradients &&
                       *payload != runtime::CollectivePayload::Parameters))
        continue;
      partition::FlatRange r = rangeOf(&op);
      if (*payload == runtime::CollectivePayload::Parameters && wholeParamAt(r))
        continue;
      stagingElements = std::max(stagingElements, r.size());
    }
  OpBuilder b(module.getContext());
  Type f64 = b.getF64Type();
  const bool moments = optimizer != "sgd";
  const int64_t numStates = moments ? 2 : momentum != 0.0 ? 1 : 0;
  const char *stateNames[] = {moments ? "exp_avg" : "momentum_buffer",
                              "exp_avg_sq"};
  for (int64_t i = 0; i < numStates; ++i)
    states.push_back(
        addBuffer("plan.optimizer_state", stateNames[i], owned, stateElement));
  // 16-bit params: the float32 params the optimizer updates (a state: the
  // checkpoint keeps it), and the float32 gradients it reads.
  if (masterWeights) {
    master = addBuffer("plan.optimizer_state", runtime::kMasterParamsState,
                       owned, stateElement);
    masterGrad =
        addBuffer("plan.staging", "master_gradients", owned, stateElement);
  }
  if (stage >= 2)
    accumulator =
        addBuffer("plan.accumulator", "gradients", largestPart, element);
  if (stagingElements > 0)
    staging =
        addBuffer("plan.staging", "collectives", stagingElements, element);
  if (dpSize > 1) {
    normScalar = addBuffer("plan.scalar", "grad_norm_squared", 1, f64);
    lossScalar = addBuffer("plan.scalar", "loss", 1, f64);
  }

  // The step shows the new buffers (plan.json lists them), at the end of
  // the arena.
  b.setInsertionPoint(step.getBody().front().getTerminator());
  Value arena = step.getArgument(0);
  for (const UpdateBuffer &u : added) {
    Value offset = arith::ConstantIndexOp::create(b, step.getLoc(), u.offset);
    auto view = memref::ViewOp::create(b, step.getLoc(), u.type, arena, offset,
                                       ValueRange{});
    view->setAttr(u.attr, b.getStringAttr(u.name));
    view->setAttr("plan.persistent", b.getUnitAttr());
    view->setAttr("plan.offset", b.getI64IntegerAttr(u.offset));
  }
  int64_t persistent =
      step->getAttrOfType<IntegerAttr>("plan.persistent_bytes").getInt();
  step->setAttr("plan.persistent_bytes",
                b.getI64IntegerAttr(persistent + arenaSize -
                                    alignToArena(arenaAttr.getInt())));
  step->setAttr("plan.arena_size", b.getI64IntegerAttr(arenaSize));
  // The step's arena argument grows with it.
  auto arenaType = MemRefType::get({arenaSize}, b.getI8Type());
  step.getArgument(0).setType(arenaType);
  step.setType(b.getFunctionType({arenaType}, {}));

  for (int64_t r = 0; r < dpSize; ++r)
    buildUpdate(module, boundary, r);
  if (boundary)
    boundary.erase();
}

void BuildOptimizerStepPass::buildUpdate(ModuleOp module, func::FuncOp boundary,
                                         int64_t rank) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  auto arenaType = MemRefType::get({arenaSize}, b.getI8Type());
  auto reportType = MemRefType::get({DSRT_REPORT_FIELDS}, f64);
  auto func = func::FuncOp::create(
      b, loc, ("train_step_r" + llvm::Twine(rank)).str(),
      b.getFunctionType({arenaType, reportType, i64, i64, f64}, {}));
  func.setArgAttr(0, "plan.arena", b.getUnitAttr());
  func.setArgAttr(1, "plan.report", b.getUnitAttr());
  func.setArgAttr(2, "plan.step", b.getUnitAttr());
  func.setArgAttr(3, "plan.skipped", b.getUnitAttr());
  func.setArgAttr(4, "plan.loss_scale", b.getUnitAttr());
  func->setAttr("plan.train_step_rank", b.getI64IntegerAttr(rank));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value arena = body->getArgument(0), report = body->getArgument(1),
        stepIndex = body->getArgument(2), skipped = body->getArgument(3),
        lossScale = body->getArgument(4);

  // A buffer of `count` elements at arena byte `offset`.
  auto view = [&](int64_t offset, int64_t count, Type type) -> Value {
    Value at = arith::ConstantIndexOp::create(b, loc, offset);
    auto v = memref::ViewOp::create(b, loc, MemRefType::get({count}, type),
                                    arena, at, ValueRange{});
    v->setAttr("plan.offset", b.getI64IntegerAttr(offset));
    return v;
  };
  auto f64Constant = [&](double value) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(value));
  };
  auto reportAt = [&](int64_t i) -> Value {
    return arith::ConstantIndexOp::create(b, loc, i);
  };

  const partition::FlatRange part = partitions[rank];
  const partition::FlatRange owned =
      stage == 0 ? partition::FlatRange{0, total} : part;
  const bool direct = stage <= 1;
  auto gradAt = [&](const Piece &c) {
    return direct ? params[c.p].grad + c.first * elemBytes
                  : accumulator + (c.flat - part.begin) * elemBytes;
  };
  auto paramAt = [&](const Piece &c) {
    return stage == 3 ? shard + (c.flat - part.begin) * elemBytes
                      : params[c.p].value + c.first * elemBytes;
  };
  // What the update reads and writes: the gradients and params, or their
  // float32 copies (16-bit params), and the optimizer states, all of the
  // owned range's piece `c`.
  auto ownedAt = [&](int64_t buffer, const Piece &c) {
    return view(buffer + (c.flat - owned.begin) * stateBytes, c.count,
                stateElement);
  };
  auto updateGrad = [&](const Piece &c) {
    return masterWeights ? ownedAt(masterGrad, c)
                         : view(gradAt(c), c.count, element);
  };
  auto updateParam = [&](const Piece &c) {
    return masterWeights ? ownedAt(master, c)
                         : view(paramAt(c), c.count, element);
  };
  auto convert = [&](Value from, Value to) {
    plan::KernelOp::create(b, loc, b.getStringAttr("cast"), ValueRange{from},
                           ValueRange{to});
  };
  // Copies flat [lo, hi) between the params' or gradients' buffers and the
  // staging buffer (whose first element is flat element `base`).
  auto copyPieces = [&](int64_t lo, int64_t hi, int64_t base, bool fromParams,
                        bool toStaging) {
    for (const Piece &c : pieces(lo, hi)) {
      Value place = view((fromParams ? params[c.p].value : params[c.p].grad) +
                             c.first * elemBytes,
                         c.count, element);
      Value staged =
          view(staging + (c.flat - base) * elemBytes, c.count, element);
      memref::CopyOp::create(b, loc, toStaging ? place : staged,
                             toStaging ? staged : place);
    }
  };
  // @boundary's collective `op`, in place on `buffer` instead of its
  // subview of a flat space; it keeps the payload and flat range it works
  // on (plan.flat, plan.flat_range) for plan.json.
  auto cloneOn = [&](Operation *op, Value buffer,
                     runtime::CollectivePayload payload,
                     partition::FlatRange range) {
    IRMapping map;
    for (Value operand : op->getOperands())
      map.map(operand, buffer);
    Operation *clone = b.clone(*op, map);
    clone->setAttr("plan.flat",
                   b.getStringAttr(runtime::collectivePayloadName(payload)));
    clone->setAttr("plan.flat_range",
                   b.getDenseI64ArrayAttr({range.begin, range.end}));
  };
  // The scalar in `slot` through an all_reduce cloned from @boundary.
  auto reduceScalar = [&](Operation *collective, int64_t slot,
                          runtime::CollectivePayload payload,
                          Value value) -> Value {
    Value buffer = view(slot, 1, b.getF64Type());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    memref::StoreOp::create(b, loc, value, buffer, ValueRange{zero});
    cloneOn(collective, buffer, payload, {0, 1});
    return memref::LoadOp::create(b, loc, buffer, ValueRange{zero});
  };

  // The boundary's collectives by payload, in order.
  SmallVector<Operation *> gradientExchange, paramGathers;
  Operation *normExchange = nullptr, *lossExchange = nullptr;
  if (boundary)
    for (Operation &op : boundary.getBody().front()) {
      std::optional<runtime::CollectivePayload> payload = payloadOf(&op);
      if (!payload)
        continue;
      switch (*payload) {
      case runtime::CollectivePayload::Gradients:
        gradientExchange.push_back(&op);
        break;
      case runtime::CollectivePayload::Parameters:
        paramGathers.push_back(&op);
        break;
      case runtime::CollectivePayload::GradNormSquared:
        normExchange = &op;
        break;
      case runtime::CollectivePayload::Loss:
        lossExchange = &op;
        break;
      }
    }

  // The loss adjoint's seed: this step's loss scale (fp16).
  if (lossScaleOffset >= 0) {
    Value seed = lossScale;
    if (lossScaleType != f64)
      seed = arith::TruncFOp::create(b, loc, lossScaleType, lossScale);
    memref::StoreOp::create(b, loc, seed,
                            view(lossScaleOffset, 1, lossScaleType),
                            ValueRange{reportAt(0)});
  }

  // 0. The micro-steps: each takes its micro-batch (the runtime feeds it),
  // runs the step and adds its loss / GAS, in float64.
  auto stepFunc = module.lookupSymbol<func::FuncOp>("step");
  Value gas = f64Constant(static_cast<double>(gradAccumSteps));
  auto micro = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, gradAccumSteps),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{f64Constant(0.0)},
      [&](OpBuilder &nested, Location at, Value m, ValueRange sum) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(nested.getInsertionBlock());
        plan::MicroStepOp::create(b, at, stepIndex, m);
        func::CallOp::create(b, at, stepFunc, ValueRange{arena});
        Value loss = memref::LoadOp::create(
            b, at, view(lossOffset, 1, lossType),
            ValueRange{arith::ConstantIndexOp::create(b, at, 0)});
        if (!lossType.isF64())
          loss = arith::ExtFOp::create(b, at, b.getF64Type(), loss);
        Value next = arith::AddFOp::create(
            b, at, sum[0], arith::DivFOp::create(b, at, loss, gas));
        plan::MicroStepEndOp::create(b, at, m);
        scf::YieldOp::create(b, at, next);
      });
  Value localLoss = micro.getResult(0);

  // 1. The gradient buckets through the staging buffer: all of the bucket
  // comes back (all_reduce) or this rank's part of it (reduce_scatter).
  for (Operation *op : gradientExchange) {
    partition::FlatRange r = rangeOf(op);
    copyPieces(r.begin, r.end, r.begin, /*fromParams=*/false,
               /*toStaging=*/true);
    cloneOn(op, view(staging, r.size(), element),
            runtime::CollectivePayload::Gradients, r);
    partition::FlatRange back = r;
    if (isa<plan::ReduceScatterOp>(op))
      back = {std::max(r.begin, part.begin), std::min(r.end, part.end)};
    if (back.begin < back.end)
      copyPieces(back.begin, back.end, r.begin, /*fromParams=*/false,
                 /*toStaging=*/false);
  }

  // 16-bit gradients: the update works on float32 copies, so neither the
  // mean nor the unscaling below rounds to 16 bits.
  if (masterWeights)
    for (const Piece &c : pieces(owned.begin, owned.end)) {
      Value grad = view(gradAt(c), c.count, element);
      convert(grad, updateGrad(c));
    }

  // 2. The mean over the ranks (and the micro-steps the step summed); every
  // rank adds its partition's squares to the global norm.
  double mean = 1.0 / static_cast<double>(dpSize);
  if (direct)
    mean /= static_cast<double>(gradAccumSteps);
  if (mean != 1.0 || lossScaling) {
    // The gradients were of the loss times the scale.
    Value factor = f64Constant(mean);
    if (lossScaling)
      factor = arith::DivFOp::create(b, loc, factor, lossScale);
    for (const Piece &c : pieces(owned.begin, owned.end))
      plan::ScaleOp::create(b, loc, updateGrad(c), factor);
  }
  Value normSq = f64Constant(0.0);
  for (const Piece &c : pieces(part.begin, part.end))
    normSq = arith::AddFOp::create(
        b, loc, normSq,
        plan::SumSquaresOp::create(b, loc, b.getF64Type(), updateGrad(c)));
  if (normExchange)
    normSq = reduceScalar(normExchange, normScalar,
                          runtime::CollectivePayload::GradNormSquared, normSq);
  // The schedule's learning rate of the steps taken (skipped ones do not
  // count, as in DeepSpeed).
  Value taken = arith::SubIOp::create(b, loc, stepIndex, skipped);
  auto lr = plan::LrScheduleOp::create(
      b, loc, TypeRange{f64, f64, f64}, taken, b.getF64FloatAttr(this->lr),
      b.getF64FloatAttr(beta1), b.getF64FloatAttr(beta2));
  // fp16's overflow: the global squared norm (summed in float64, where no
  // finite gradient's square overflows) is inf or NaN exactly when some
  // rank's gradient is; every rank then skips clipping and the update.
  Value overflow = f64Constant(0.0);
  scf::IfOp guard;
  // A scaled loss can overflow: loss scaling always checks.
  if (checkOverflow || lossScaling) {
    Value finite = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLT, normSq,
        f64Constant(std::numeric_limits<double>::infinity()));
    overflow = arith::SelectOp::create(b, loc, finite, f64Constant(0.0),
                                       f64Constant(1.0));
    guard = scf::IfOp::create(b, loc, finite, /*withElseRegion=*/false);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
  }
  if (gradientClipping > 0.0) {
    Value coef = plan::ClipCoefficientOp::create(
        b, loc, b.getF64Type(), normSq, b.getF64FloatAttr(gradientClipping));
    for (const Piece &c : pieces(owned.begin, owned.end))
      plan::ScaleOp::create(b, loc, updateGrad(c), coef);
  }

  // The update (below) goes inside the guard, the rest after it.
  OpBuilder::InsertPoint update = b.saveInsertionPoint();
  if (guard)
    b.setInsertionPointAfter(guard);
  memref::StoreOp::create(b, loc, overflow, report,
                          ValueRange{reportAt(DSRT_REPORT_OVERFLOW)});

  // 3. The loss: the mean of the ranks' means over their micro-batches.
  Value loss = localLoss;
  if (lossExchange)
    loss = reduceScalar(lossExchange, lossScalar,
                        runtime::CollectivePayload::Loss, loss);
  loss = arith::DivFOp::create(b, loc, loss,
                               f64Constant(static_cast<double>(dpSize)));
  memref::StoreOp::create(b, loc, loss, report, ValueRange{reportAt(0)});
  memref::StoreOp::create(b, loc, math::SqrtOp::create(b, loc, normSq), report,
                          ValueRange{reportAt(1)});

  // 4. The update of every owned piece (in the guard), at the schedule's
  // learning rate.
  memref::StoreOp::create(b, loc, lr.getLr(), report, ValueRange{reportAt(2)});
  memref::StoreOp::create(b, loc, lr.getBeta1(), report,
                          ValueRange{reportAt(3)});
  memref::StoreOp::create(b, loc, lr.getBeta2(), report,
                          ValueRange{reportAt(4)});
  OpBuilder::InsertPoint after = b.saveInsertionPoint();
  b.restoreInsertionPoint(update);
  Value oneBased = arith::AddIOp::create(
      b, loc, taken, arith::ConstantIntOp::create(b, loc, 1, 64));
  for (const Piece &c : pieces(owned.begin, owned.end)) {
    Value param = updateParam(c);
    Value grad = updateGrad(c);
    SmallVector<Value, 2> state;
    for (int64_t s : states)
      state.push_back(ownedAt(s, c));
    if (optimizer == "sgd") {
      plan::SgdOp::create(
          b, loc, param, grad, state.empty() ? Value() : state[0], lr.getLr(),
          oneBased, b.getF64FloatAttr(momentum), b.getF64FloatAttr(dampening),
          b.getF64FloatAttr(weightDecay), b.getBoolAttr(nesterov));
    } else if (optimizer == "lamb") {
      plan::LambOp::create(
          b, loc, param, grad, state[0], state[1], lr.getLr(), lr.getBeta1(),
          lr.getBeta2(), oneBased, b.getF64FloatAttr(eps),
          b.getF64FloatAttr(weightDecay), b.getBoolAttr(biasCorrection),
          b.getF64FloatAttr(maxCoeff), b.getF64FloatAttr(minCoeff));
    } else {
      plan::AdamOp::create(b, loc, param, grad, state[0], state[1], lr.getLr(),
                           lr.getBeta1(), lr.getBeta2(), oneBased,
                           b.getF64FloatAttr(eps),
                           b.getF64FloatAttr(weightDecay),
                           b.getBoolAttr(optimizer == "adamw" || adamWMode),
                           b.getBoolAttr(biasCorrection));
    }
    // The 16-bit param the next step computes with: the master, rounded.
    if (masterWeights)
      convert(param, view(paramAt(c), c.count, element));
  }

  b.restoreInsertionPoint(after);

  // 5. Every rank gets the updated params it holds whole: this rank's
  // pieces go to their place in the gathered buffer (the param's own when
  // the bucket is one whole param, else staging), then every rank's.
  for (Operation *op : paramGathers) {
    partition::FlatRange r = rangeOf(op);
    std::optional<size_t> single = wholeParamAt(r);
    int64_t out = single ? params[*single].value : staging;
    for (const Piece &c :
         pieces(std::max(r.begin, part.begin), std::min(r.end, part.end)))
      memref::CopyOp::create(
          b, loc, view(paramAt(c), c.count, element),
          view(out + (c.flat - r.begin) * elemBytes, c.count, element));
    cloneOn(op, view(out, r.size(), element),
            runtime::CollectivePayload::Parameters, r);
    if (!single)
      copyPieces(r.begin, r.end, r.begin, /*fromParams=*/true,
                 /*toStaging=*/false);
  }

  // One rank has no gathers: ZeRO-3's whole params take their updated
  // values from its shard here, as the gathers give them to several ranks.
  if (!boundary && stage == 3)
    for (const Piece &c : pieces(part.begin, part.end)) {
      if (params[c.p].value < 0)
        continue;
      // One statement each: the IR's order must not depend on the
      // compiler's order of evaluating arguments.
      Value updated = view(paramAt(c), c.count, element);
      Value whole =
          view(params[c.p].value + c.first * elemBytes, c.count, element);
      memref::CopyOp::create(b, loc, updated, whole);
    }

  // 6. The next step's gradient sums start at zero.
  if (accumulator >= 0 && part.size() > 0)
    plan::ZeroOp::create(b, loc, view(accumulator, part.size(), element));
  if (direct && gradAccumSteps > 1)
    for (const Param &p : params)
      plan::ZeroOp::create(b, loc, view(p.grad, p.numel, element));
  func::ReturnOp::create(b, loc);
}

} // namespace
} // namespace dsc::passes
