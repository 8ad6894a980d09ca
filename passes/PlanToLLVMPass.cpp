//===- PlanToLLVMPass.cpp - the planned step as LLVM calls ----------------===//
//
// Every buffer of a planned step is the arena plus a constant offset, or a
// constant global, so the step lowers to address arithmetic and one runtime
// call per kernel (shapes and attributes travel in the plan's kernel table).
// The optimizer step of each rank (build-optimizer-step's @train_step_r<k>)
// lowers the same way, its optimizer, norm and schedule ops to direct calls
// of the runtime's typed C functions and its collectives to
// dsrt_boundary_collective; the object lists the functions by rank in
// dsc_train_step_table.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "runtime/include/dsrt.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/StringExtras.h"

namespace dsc::passes {
#define GEN_PASS_DEF_CONVERTPLANTOLLVM
#include "passes/Passes.h.inc"
} // namespace dsc::passes

using namespace mlir;

namespace dsc::passes {
namespace {

/// A constant's value as the flat array an LLVM global holds (booleans as
/// bytes, as the kernels read them).
std::pair<Type, Attribute> flatGlobal(memref::GlobalOp global) {
  auto value = cast<DenseElementsAttr>(*global.getInitialValue());
  MemRefType type = global.getType();
  int64_t n = std::max<int64_t>(type.getNumElements(), 1);
  Type element = type.getElementType();
  if (element.isInteger(1)) {
    Type i8 = IntegerType::get(global.getContext(), 8);
    SmallVector<int8_t> bytes;
    for (bool b : value.getValues<bool>())
      bytes.push_back(b);
    if (bytes.size() == 1 && n > 1)
      bytes.assign(n, bytes[0]);
    auto flat = RankedTensorType::get({n}, i8);
    return {LLVM::LLVMArrayType::get(i8, n),
            DenseElementsAttr::get(flat, ArrayRef<int8_t>(bytes))};
  }
  auto flat = RankedTensorType::get({n}, element);
  return {LLVM::LLVMArrayType::get(element, n), value.reshape(flat)};
}

/// Lowers the bodies of @step and the @train_step_r<k> functions.
class BodyLowering {
public:
  BodyLowering(ModuleOp module, llvm::StringMap<LLVM::GlobalOp> &globals)
      : module(module), ctx(module.getContext()), b(ctx), globals(globals),
        ptr(LLVM::LLVMPointerType::get(ctx)), i32(b.getI32Type()),
        i64(b.getI64Type()), f64(b.getF64Type()) {}

  /// `func`'s body into the LLVM function `name(ctx, arena, ...rest)`.
  LogicalResult lower(func::FuncOp func, StringRef name,
                      ArrayRef<Type> restTypes);

private:
  /// The runtime function `name`, declared on first use.
  LLVM::LLVMFuncOp runtimeFunction(StringRef name, Type result,
                                   ArrayRef<Type> args);
  Value call(Location loc, StringRef name, Type result, ValueRange args);
  Value constant(Location loc, Type type, int64_t value) {
    return LLVM::ConstantOp::create(b, loc, type, value);
  }
  Value f64Constant(Location loc, double value) {
    return LLVM::ConstantOp::create(b, loc, f64, b.getF64FloatAttr(value));
  }
  /// The address of `buffer`, lowered already.
  FailureOr<Value> address(Operation *op, Value buffer);
  /// The runtime's typed kernel name for `buffer`'s element type.
  static std::string typed(StringRef name, Value buffer) {
    Type element = cast<MemRefType>(buffer.getType()).getElementType();
    return (name + (element.isF64() ? "_f64" : "_f32")).str();
  }
  static int64_t elements(Value buffer) {
    return cast<MemRefType>(buffer.getType()).getNumElements();
  }
  static int64_t bytes(Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    return type.getNumElements() *
           std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  }
  LogicalResult lowerOp(Operation &op, bool inStep);
  /// An scf.for of constant bounds: a header that compares the counter, the
  /// body, a latch that carries the yielded values back.
  LogicalResult lowerLoop(scf::ForOp loop, bool inStep);

  ModuleOp module;
  MLIRContext *ctx;
  OpBuilder b;
  llvm::StringMap<LLVM::GlobalOp> &globals;
  Type ptr, i32, i64, f64;
  LLVM::LLVMFuncOp current;
  Value context, arena, addresses;
  llvm::DenseMap<Value, Value> lowered;
  int32_t kernelIndex = 0, collectiveIndex = 0;
  llvm::DenseMap<Operation *, int32_t> collectiveIndexOf;
};

LLVM::LLVMFuncOp BodyLowering::runtimeFunction(StringRef name, Type result,
                                               ArrayRef<Type> args) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  // Declared before the function that first calls it.
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(current);
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name,
                                  LLVM::LLVMFunctionType::get(result, args));
}

Value BodyLowering::call(Location loc, StringRef name, Type result,
                         ValueRange args) {
  SmallVector<Type> types(args.getTypes());
  LLVM::LLVMFuncOp f = runtimeFunction(name, result, types);
  auto op = LLVM::CallOp::create(b, loc, f, args);
  return op.getNumResults() ? op.getResult() : Value();
}

FailureOr<Value> BodyLowering::address(Operation *op, Value buffer) {
  if (std::optional<int64_t> index = getConstantIntValue(buffer);
      index && buffer.getType().isIndex())
    return constant(op->getLoc(), i64, *index);
  Value a = lowered.lookup(buffer);
  if (!a) {
    op->emitOpError("uses a buffer that is not planned");
    return failure();
  }
  return a;
}

LogicalResult BodyLowering::lower(func::FuncOp func, StringRef name,
                                  ArrayRef<Type> restTypes) {
  Location loc = func.getLoc();
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> argTypes = {ptr, ptr};
  argTypes.append(restTypes.begin(), restTypes.end());
  auto llvmFunc = LLVM::LLVMFuncOp::create(
      b, loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), argTypes));
  current = llvmFunc;
  Block *entry = llvmFunc.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  context = entry->getArgument(0);
  arena = entry->getArgument(1);
  lowered.clear();
  Block &body = func.getBody().front();
  // Arguments after the arena: pointers for buffers, values for scalars.
  for (unsigned i = 1; i < body.getNumArguments(); ++i)
    lowered[body.getArgument(i)] = entry->getArgument(i + 1);
  const bool inStep = name == "dsc_step";

  // One address array, as large as the widest kernel needs.
  int64_t widest = 1;
  func.walk([&](Operation *op) {
    if (isa<plan::KernelOp, plan::AllReduceOp, plan::ReduceScatterOp,
            plan::AllGatherOp>(op))
      widest = std::max<int64_t>(widest, op->getNumOperands());
  });
  addresses =
      LLVM::AllocaOp::create(b, loc, ptr, ptr, constant(loc, i64, widest), 8);
  collectiveIndex = 0;
  collectiveIndexOf.clear();
  for (Operation &op : body)
    if (failed(lowerOp(op, inStep)))
      return failure();
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

LogicalResult BodyLowering::lowerLoop(scf::ForOp loop, bool inStep) {
  Location loc = loop.getLoc();
  FailureOr<Value> lower = address(loop, loop.getLowerBound());
  FailureOr<Value> upper = address(loop, loop.getUpperBound());
  FailureOr<Value> stride = address(loop, loop.getStep());
  SmallVector<Value> init;
  for (Value v : loop.getInitArgs()) {
    FailureOr<Value> a = address(loop, v);
    if (failed(a))
      return failure();
    init.push_back(*a);
  }
  if (failed(lower) || failed(upper) || failed(stride))
    return failure();
  Block *before = b.getInsertionBlock();
  Region *region = before->getParent();
  SmallVector<Type> carried = {i64};
  SmallVector<Location> locs = {loc};
  for (Value v : init) {
    carried.push_back(v.getType());
    locs.push_back(loc);
  }
  Block *header = b.createBlock(region, region->end(), carried, locs);
  Block *body = b.createBlock(region, region->end());
  Block *exit =
      b.createBlock(region, region->end(), ArrayRef<Type>(carried).drop_front(),
                    ArrayRef<Location>(locs).drop_front());
  b.setInsertionPointToEnd(before);
  SmallVector<Value> start = {*lower};
  start.append(init);
  LLVM::BrOp::create(b, loc, start, header);
  b.setInsertionPointToEnd(header);
  Value more = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::slt,
                                    header->getArgument(0), *upper);
  LLVM::CondBrOp::create(b, loc, more, body, ValueRange{}, exit,
                         header->getArguments().drop_front());
  b.setInsertionPointToEnd(body);
  Block &inner = loop.getRegion().front();
  lowered[loop.getInductionVar()] = header->getArgument(0);
  for (auto [arg, value] :
       llvm::zip(loop.getRegionIterArgs(), header->getArguments().drop_front()))
    lowered[arg] = value;
  for (Operation &nested : inner.without_terminator())
    if (failed(lowerOp(nested, inStep)))
      return failure();
  auto yield = cast<scf::YieldOp>(inner.getTerminator());
  SmallVector<Value> next = {
      LLVM::AddOp::create(b, loc, header->getArgument(0), *stride)};
  for (Value v : yield.getOperands()) {
    FailureOr<Value> a = address(yield, v);
    if (failed(a))
      return failure();
    next.push_back(*a);
  }
  LLVM::BrOp::create(b, loc, next, header);
  b.setInsertionPointToEnd(exit);
  for (auto [result, value] :
       llvm::zip(loop.getResults(), exit->getArguments()))
    lowered[result] = value;
  return success();
}

LogicalResult BodyLowering::lowerOp(Operation &op, bool inStep) {
  Location loc = op.getLoc();
  // Stores the addresses of `op`'s buffers in the address array.
  auto storeAddresses = [&](Operation *op) -> LogicalResult {
    for (auto [i, buffer] : llvm::enumerate(op->getOperands())) {
      FailureOr<Value> a = address(op, buffer);
      if (failed(a))
        return failure();
      Value slot = LLVM::GEPOp::create(b, op->getLoc(), ptr, ptr, addresses,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      LLVM::StoreOp::create(b, op->getLoc(), *a, slot);
    }
    return success();
  };
  // The addresses (or scalar values) of `values`, lowered already.
  auto operands = [&](ValueRange values) -> FailureOr<SmallVector<Value>> {
    SmallVector<Value> out;
    for (Value v : values) {
      FailureOr<Value> a = address(&op, v);
      if (failed(a))
        return failure();
      out.push_back(*a);
    }
    return out;
  };

  if (auto view = dyn_cast<memref::ViewOp>(op)) {
    // A buffer of the arena (plan.offset), or a view into one (a ZeRO
    // bucket's gradients): its byte shift adds to the source's address.
    auto offset = view->getAttrOfType<IntegerAttr>("plan.offset");
    Value base = arena;
    std::optional<int64_t> shift =
        offset ? std::optional<int64_t>(offset.getInt())
               : getConstantIntValue(view.getByteShift());
    if (!offset)
      base = lowered.lookup(view.getSource());
    if (!shift || !base)
      return view.emitOpError("is neither planned (plan.offset) nor a "
                              "constant shift of a planned buffer");
    // A GEP's constant index holds only kGEPConstantBitWidth (29) bits,
    // silently wrapped beyond: any larger shift (a 128 MiB arena already
    // has them) is an i64 constant operand.
    const int64_t limit = int64_t(1) << (LLVM::kGEPConstantBitWidth - 1);
    LLVM::GEPArg index =
        *shift > -limit && *shift < limit
            ? LLVM::GEPArg(static_cast<int32_t>(*shift))
            : LLVM::GEPArg(constant(view.getLoc(), i64, *shift));
    lowered[view.getResult()] = LLVM::GEPOp::create(
        b, view.getLoc(), ptr, b.getI8Type(), base, ArrayRef{index});
    return success();
  }
  if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
    lowered[get.getResult()] =
        LLVM::AddressOfOp::create(b, loc, globals.lookup(get.getName()));
    return success();
  }
  if (auto kernel = dyn_cast<plan::KernelOp>(op)) {
    if (!inStep)
      return op.emitOpError("is a kernel of the plan's table; only @step "
                            "calls those");
    if (failed(storeAddresses(kernel)))
      return failure();
    call(loc, "dsrt_kernel_at", LLVM::LLVMVoidType::get(ctx),
         {context, constant(loc, i32, kernelIndex++), addresses});
    return success();
  }
  if (isa<plan::AllReduceOp, plan::ReduceScatterOp, plan::AllGatherOp>(op)) {
    if (!inStep) {
      // Outside the step every collective works in place on one buffer.
      FailureOr<Value> a = address(&op, op.getOperand(0));
      if (failed(a))
        return failure();
      call(loc, "dsrt_boundary_collective", LLVM::LLVMVoidType::get(ctx),
           {context, constant(loc, i32, collectiveIndex++), *a});
      return success();
    }
    if (failed(storeAddresses(&op)))
      return failure();
    // A later plan.wait on its token refers to this collective.
    collectiveIndexOf[&op] = collectiveIndex;
    call(loc, "dsrt_collective_at", LLVM::LLVMVoidType::get(ctx),
         {context, constant(loc, i32, collectiveIndex++), addresses});
    return success();
  }
  if (auto wait = dyn_cast<plan::WaitOp>(op)) {
    auto it = collectiveIndexOf.find(wait.getCollective());
    if (it == collectiveIndexOf.end())
      return wait.emitOpError("waits for a collective the step has not "
                              "issued");
    call(loc, "dsrt_collective_wait", LLVM::LLVMVoidType::get(ctx),
         {context, constant(loc, i32, it->second)});
    return success();
  }

  // The optimizer step's scalars.
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      lowered[c.getResult()] = f64Constant(loc, f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(c.getValue());
             i && !c.getType().isIndex())
      lowered[c.getResult()] = constant(loc, i64, i.getInt());
    // Index constants (the views' offsets, the loops' bounds) are made
    // where they are used (address()).
    return success();
  }
  if (isa<arith::AddFOp, arith::DivFOp, arith::AddIOp, math::SqrtOp,
          arith::ExtFOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    Value result;
    if (isa<arith::AddFOp>(op))
      result = LLVM::FAddOp::create(b, loc, (*in)[0], (*in)[1]);
    else if (isa<arith::DivFOp>(op))
      result = LLVM::FDivOp::create(b, loc, (*in)[0], (*in)[1]);
    else if (isa<arith::AddIOp>(op))
      result = LLVM::AddOp::create(b, loc, (*in)[0], (*in)[1]);
    else if (isa<arith::ExtFOp>(op))
      result = LLVM::FPExtOp::create(b, loc, f64, (*in)[0]);
    else
      result =
          LLVM::SqrtOp::create(b, loc, (*in)[0], LLVM::FastmathFlagsAttr());
    lowered[op.getResult(0)] = result;
    return success();
  }
  // Element `index` (a constant) of a 1-D buffer of scalars.
  auto scalarSlot = [&](Value buffer, ValueRange indices) -> FailureOr<Value> {
    FailureOr<Value> base = address(&op, buffer);
    std::optional<int64_t> index =
        indices.size() == 1 ? getConstantIntValue(indices[0]) : std::nullopt;
    if (failed(base) || !index)
      return op.emitOpError("needs a planned 1-D buffer and a constant index");
    Type element = cast<MemRefType>(buffer.getType()).getElementType();
    return LLVM::GEPOp::create(b, loc, ptr, element, *base,
                               ArrayRef<LLVM::GEPArg>{(int32_t)*index})
        .getResult();
  };
  if (auto load = dyn_cast<memref::LoadOp>(op)) {
    FailureOr<Value> slot = scalarSlot(load.getMemRef(), load.getIndices());
    if (failed(slot))
      return failure();
    lowered[load.getResult()] =
        LLVM::LoadOp::create(b, loc, load.getType(), *slot);
    return success();
  }
  if (auto store = dyn_cast<memref::StoreOp>(op)) {
    FailureOr<Value> slot = scalarSlot(store.getMemRef(), store.getIndices());
    FailureOr<Value> value = address(&op, store.getValue());
    if (failed(slot) || failed(value))
      return failure();
    LLVM::StoreOp::create(b, loc, *value, *slot);
    return success();
  }
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    FailureOr<SmallVector<Value>> in =
        operands({copy.getSource(), copy.getTarget()});
    if (failed(in))
      return failure();
    LLVM::MemcpyOp::create(b, loc, (*in)[1], (*in)[0],
                           constant(loc, i64, bytes(copy.getSource())),
                           /*isVolatile=*/false);
    return success();
  }
  if (auto zero = dyn_cast<plan::ZeroOp>(op)) {
    FailureOr<Value> a = address(&op, zero.getBuffer());
    if (failed(a))
      return failure();
    LLVM::MemsetOp::create(b, loc, *a, constant(loc, b.getI8Type(), 0),
                           constant(loc, i64, bytes(zero.getBuffer())),
                           /*isVolatile=*/false);
    return success();
  }

  // The optimizer step's kernels: typed calls (dsrt.h).
  Type voidType = LLVM::LLVMVoidType::get(ctx);
  auto flag = [&](bool value) { return constant(loc, i64, value ? 1 : 0); };
  if (auto scale = dyn_cast<plan::ScaleOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    call(loc, typed("dsrt_scale", scale.getBuffer()), voidType,
         {(*in)[0], constant(loc, i64, elements(scale.getBuffer())), (*in)[1]});
    return success();
  }
  if (auto sum = dyn_cast<plan::SumSquaresOp>(op)) {
    FailureOr<Value> a = address(&op, sum.getBuffer());
    if (failed(a))
      return failure();
    lowered[sum.getResult()] =
        call(loc, typed("dsrt_sum_squares", sum.getBuffer()), f64,
             {*a, constant(loc, i64, elements(sum.getBuffer()))});
    return success();
  }
  if (auto clip = dyn_cast<plan::ClipCoefficientOp>(op)) {
    FailureOr<Value> n = address(&op, clip.getNormSquared());
    if (failed(n))
      return failure();
    lowered[clip.getResult()] =
        call(loc, "dsrt_clip_coefficient", f64,
             {*n, f64Constant(loc, clip.getMaxNorm().convertToDouble())});
    return success();
  }
  if (auto schedule = dyn_cast<plan::LrScheduleOp>(op)) {
    FailureOr<Value> step = address(&op, schedule.getStep());
    if (failed(step))
      return failure();
    // The schedule is the object's constant dsc_schedule (declared here,
    // defined with the rank's constants).
    if (!module.lookupSymbol<LLVM::GlobalOp>("dsc_schedule")) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      LLVM::GlobalOp::create(
          b, loc, LLVM::LLVMArrayType::get(i64, sizeof(dsrt_lr_schedule) / 8),
          /*isConstant=*/true, LLVM::Linkage::External, "dsc_schedule",
          Attribute(), /*alignment=*/8);
    }
    Value out =
        LLVM::AllocaOp::create(b, loc, ptr, f64, constant(loc, i64, 3), 8);
    call(loc, "dsrt_lr_at", voidType,
         {LLVM::AddressOfOp::create(b, loc, ptr, "dsc_schedule"),
          f64Constant(loc, schedule.getBaseLr().convertToDouble()),
          f64Constant(loc, schedule.getBaseBeta1().convertToDouble()),
          f64Constant(loc, schedule.getBaseBeta2().convertToDouble()), *step,
          out});
    for (int32_t i = 0; i < 3; ++i) {
      Value slot =
          LLVM::GEPOp::create(b, loc, ptr, f64, out, ArrayRef<LLVM::GEPArg>{i});
      lowered[op.getResult(i)] = LLVM::LoadOp::create(b, loc, f64, slot);
    }
    return success();
  }
  if (auto adam = dyn_cast<plan::AdamOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    auto &v = *in;
    call(loc, typed("dsrt_adam", adam.getParam()), voidType,
         {v[0], v[1], v[2], v[3], constant(loc, i64, elements(adam.getParam())),
          v[4], v[5], v[6], f64Constant(loc, adam.getEps().convertToDouble()),
          f64Constant(loc, adam.getWeightDecay().convertToDouble()),
          flag(adam.getAdamWMode()), flag(adam.getBiasCorrection()), v[7]});
    return success();
  }
  if (auto sgd = dyn_cast<plan::SgdOp>(op)) {
    FailureOr<SmallVector<Value>> in =
        operands({sgd.getParam(), sgd.getGrad(), sgd.getLr(), sgd.getStep()});
    if (failed(in))
      return failure();
    Value buffer = LLVM::ZeroOp::create(b, loc, ptr);
    if (sgd.getMomentumBuffer()) {
      FailureOr<Value> a = address(&op, sgd.getMomentumBuffer());
      if (failed(a))
        return failure();
      buffer = *a;
    }
    auto &v = *in;
    call(loc, typed("dsrt_sgd", sgd.getParam()), voidType,
         {v[0], v[1], buffer, constant(loc, i64, elements(sgd.getParam())),
          v[2], f64Constant(loc, sgd.getMomentum().convertToDouble()),
          f64Constant(loc, sgd.getDampening().convertToDouble()),
          f64Constant(loc, sgd.getWeightDecay().convertToDouble()),
          flag(sgd.getNesterov()), v[3]});
    return success();
  }
  if (auto lamb = dyn_cast<plan::LambOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    auto &v = *in;
    call(loc, typed("dsrt_lamb", lamb.getParam()), voidType,
         {v[0], v[1], v[2], v[3], constant(loc, i64, elements(lamb.getParam())),
          v[4], v[5], v[6], f64Constant(loc, lamb.getEps().convertToDouble()),
          f64Constant(loc, lamb.getWeightDecay().convertToDouble()),
          flag(lamb.getBiasCorrection()),
          f64Constant(loc, lamb.getMaxCoeff().convertToDouble()),
          f64Constant(loc, lamb.getMinCoeff().convertToDouble()), v[7]});
    return success();
  }
  // The micro-steps: the runtime's hooks around a call of the step.
  if (auto begin = dyn_cast<plan::MicroStepOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    call(loc, "dsrt_micro_step", voidType, {context, (*in)[0], (*in)[1]});
    return success();
  }
  if (isa<plan::MicroStepEndOp>(op)) {
    FailureOr<SmallVector<Value>> in = operands(op.getOperands());
    if (failed(in))
      return failure();
    call(loc, "dsrt_micro_step_end", voidType, {context, (*in)[0]});
    return success();
  }
  if (auto stepCall = dyn_cast<func::CallOp>(op)) {
    auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>("dsc_step");
    if (stepCall.getCallee() != "step" || !callee)
      return op.emitOpError("calls @")
             << stepCall.getCallee() << "; only a call of the lowered @step "
             << "is supported";
    LLVM::CallOp::create(b, loc, callee, ValueRange{context, arena});
    return success();
  }
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return lowerLoop(loop, inStep);
  if (isa<func::ReturnOp, plan::GroupOp, scf::YieldOp>(op))
    return success();
  return op.emitOpError("cannot be lowered to LLVM yet");
}

/// dsc_train_step_table: the update function of each rank, by rank (one null
/// entry when there is none), and dsc_train_step_count.
void addUpdateTable(ModuleOp module, ArrayRef<std::string> names) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  auto type = LLVM::LLVMArrayType::get(ptr, std::max<size_t>(names.size(), 1));
  auto table = LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                                      LLVM::Linkage::External,
                                      "dsc_train_step_table", Attribute(),
                                      /*alignment=*/8);
  Block *init = b.createBlock(&table.getInitializerRegion());
  b.setInsertionPointToStart(init);
  Value array = LLVM::UndefOp::create(b, loc, type);
  if (names.empty())
    array = LLVM::InsertValueOp::create(
        b, loc, array, LLVM::ZeroOp::create(b, loc, ptr).getResult(),
        ArrayRef<int64_t>{0});
  for (auto [i, name] : llvm::enumerate(names))
    array = LLVM::InsertValueOp::create(
        b, loc, array, LLVM::AddressOfOp::create(b, loc, ptr, name).getResult(),
        ArrayRef<int64_t>{static_cast<int64_t>(i)});
  LLVM::ReturnOp::create(b, loc, array);
  b.setInsertionPointToEnd(module.getBody());
  LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, "dsc_train_step_count",
                         b.getI64IntegerAttr(names.size()), /*alignment=*/8);
}

class ConvertPlanToLLVMPass
    : public impl::ConvertPlanToLLVMBase<ConvertPlanToLLVMPass> {
public:
  void runOnOperation() override;
};

void ConvertPlanToLLVMPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto step = module.lookupSymbol<func::FuncOp>("step");
  if (!step || step.getNumArguments() != 1 ||
      !step.getArgAttr(0, "plan.arena")) {
    module.emitError("needs @step with its arena argument (run plan-memory "
                     "first)");
    return signalPassFailure();
  }
  if (module.lookupSymbol(kBoundaryFunction)) {
    module.emitError("has @boundary: the exchange outside the step becomes "
                     "the ranks' update functions (run build-optimizer-step "
                     "first)");
    return signalPassFailure();
  }
  OpBuilder b(&getContext());

  // Constants.
  llvm::StringMap<LLVM::GlobalOp> globals;
  for (auto global :
       llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
    auto [type, value] = flatGlobal(global);
    b.setInsertionPoint(global);
    globals[global.getSymName()] = LLVM::GlobalOp::create(
        b, global.getLoc(), type, /*isConstant=*/true, LLVM::Linkage::Internal,
        global.getSymName(), value,
        /*alignment=*/64);
    global.erase();
  }

  BodyLowering lowering(module, globals);
  if (failed(lowering.lower(step, "dsc_step", {})))
    return signalPassFailure();
  // The ranks' update functions, by rank.
  SmallVector<func::FuncOp> updates;
  for (auto func : module.getOps<func::FuncOp>())
    if (auto rank = func->getAttrOfType<IntegerAttr>("plan.train_step_rank")) {
      if (rank.getInt() != static_cast<int64_t>(updates.size())) {
        func.emitOpError("is the update of rank ")
            << rank.getInt() << ", expected rank " << updates.size();
        return signalPassFailure();
      }
      updates.push_back(func);
    }
  SmallVector<std::string> names;
  Type ptr = LLVM::LLVMPointerType::get(&getContext());
  for (func::FuncOp update : updates) {
    names.push_back("dsc_train_step_" + std::to_string(names.size()));
    if (failed(lowering.lower(update, names.back(), {ptr, b.getI64Type()})))
      return signalPassFailure();
  }
  addUpdateTable(module, names);
  step.erase();
  for (func::FuncOp update : updates)
    update.erase();
  // Groups are plan facts (plan.json); the object needs none.
  for (auto group : llvm::make_early_inc_range(module.getOps<plan::GroupOp>()))
    group.erase();
}

} // namespace
} // namespace dsc::passes
