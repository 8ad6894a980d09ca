//===- PlanToLLVMPass.cpp - the planned step as LLVM calls ----------------===//
//
// Every buffer of a planned step is the arena plus a constant offset, or a
// constant global, so the step lowers to address arithmetic and one direct
// call per kernel: its entry point (kernels/KernelDecls.def) with the
// buffers' addresses and the site's constants (shapes and attributes) as a
// constant global. Copies and zeroing of buffers are runtime calls too
// (dsrt_copy, dsrt_zero), and a scalar the generated code reads or writes
// itself waits for the kernels first (dsrt_host_sync): the arena may be a
// GPU's.
// The training step of each rank (build-optimizer-step's @train_step_r<k>)
// lowers the same way, its optimizer, norm and schedule ops to direct calls
// of the runtime's typed C functions and its collectives to
// dsrt_boundary_collective; the object lists the functions by rank in
// dsc_train_step_table.
//
// One conversion pattern per op (memrefs become bare pointers, tokens the
// i32 index of their collective), with upstream's arith, math, scf and cf
// patterns for the scalars and the micro-step loop.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/plan/KernelCall.h"
#include "dialects/plan/PlanOps.h"
#include "passes/PlanStep.h"
#include "runtime/include/dsrt.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>

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

/// What the patterns share: each call site's index, each function's
/// address array, the LLVM functions' names.
struct LoweringState {
  /// A collective -> its index among the step's collectives (in @step) or
  /// the training step's.
  llvm::DenseMap<Operation *, int32_t> index;
  /// plan.kernel -> its entry point and the globals of its site's constants
  /// and location.
  struct KernelSite {
    std::string symbol, constants, location;
  };
  llvm::DenseMap<Operation *, KernelSite> kernels;
  /// The collectives of the training steps (dsrt_boundary_collective).
  llvm::DenseSet<Operation *> outside;
  /// func.func -> the LLVM function's name and the widest call it makes.
  llvm::DenseMap<Operation *, std::pair<std::string, int64_t>> functions;
  /// LLVM function -> its stack array of buffer addresses.
  llvm::DenseMap<Operation *, Value> addresses;
  /// The runtime functions declared so far (one declaration each, made
  /// before the first function that calls it).
  llvm::StringSet<> declared;
};

bool isCollective(Operation *op) {
  return isa<plan::AllReduceOp, plan::ReduceScatterOp, plan::AllGatherOp>(op);
}

/// Numbers the call sites of `func` (walk order: the order they run in).
void numberCalls(func::FuncOp func, bool inStep, LoweringState &state) {
  int32_t collectives = 0;
  int64_t widest = 1;
  func.walk([&](Operation *op) {
    if (isCollective(op)) {
      state.index[op] = collectives++;
      if (!inStep)
        state.outside.insert(op);
    }
    if (isa<plan::KernelOp>(op) || isCollective(op))
      widest = std::max<int64_t>(widest, op->getNumOperands());
  });
  state.functions[func].second = widest;
}

/// The base of the lowering patterns: the enclosing LLVM function's context
/// argument, runtime declarations, typed calls.
template <typename Op> class PlanPattern : public OpConversionPattern<Op> {
public:
  PlanPattern(const TypeConverter &converter, MLIRContext *ctx,
              LoweringState &state)
      : OpConversionPattern<Op>(converter, ctx), state(state) {}

protected:
  static LLVM::LLVMFuncOp function(Operation *op) {
    return op->getParentOfType<LLVM::LLVMFuncOp>();
  }
  static Value context(Operation *op) {
    return function(op).getBody().front().getArgument(0);
  }
  /// Calls the runtime function `name` (declared before the first function
  /// that calls it) with `args`.
  Value call(ConversionPatternRewriter &rewriter, Operation *op, StringRef name,
             Type result, ValueRange args) const {
    SmallVector<Type> types(args.getTypes());
    if (state.declared.insert(name).second) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(function(op));
      LLVM::LLVMFuncOp::create(rewriter, op->getLoc(), name,
                               LLVM::LLVMFunctionType::get(result, types));
    }
    bool isVoid = isa<LLVM::LLVMVoidType>(result);
    auto callOp = LLVM::CallOp::create(rewriter, op->getLoc(),
                                       isVoid ? TypeRange{} : TypeRange{result},
                                       name, args);
    return isVoid ? Value() : callOp.getResult();
  }
  static Value i64Constant(ConversionPatternRewriter &rewriter, Location loc,
                           int64_t value) {
    return LLVM::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                    value);
  }
  static Value f64Constant(ConversionPatternRewriter &rewriter, Location loc,
                           double value) {
    return LLVM::ConstantOp::create(rewriter, loc, rewriter.getF64Type(),
                                    rewriter.getF64FloatAttr(value));
  }
  static Value flag(ConversionPatternRewriter &rewriter, Location loc,
                    bool value) {
    return i64Constant(rewriter, loc, value ? 1 : 0);
  }
  static Type voidType(Operation *op) {
    return LLVM::LLVMVoidType::get(op->getContext());
  }
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
  /// Stores `values` in the function's address array and returns it.
  Value storeAddresses(ConversionPatternRewriter &rewriter, Operation *op,
                       ValueRange values) const {
    Value array = state.addresses.lookup(function(op));
    Type ptr = LLVM::LLVMPointerType::get(op->getContext());
    for (auto [i, value] : llvm::enumerate(values)) {
      Value slot =
          LLVM::GEPOp::create(rewriter, op->getLoc(), ptr, ptr, array,
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, op->getLoc(), value, slot);
    }
    return array;
  }

  LoweringState &state;
};

/// @step -> dsc_step(ctx, arena); @train_step_r<k> -> dsc_train_step_<k>(ctx,
/// arena, report, step). The context comes first; the stack array of
/// buffer addresses is made at the entry.
class FuncLowering : public PlanPattern<func::FuncOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(func::FuncOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto it = state.functions.find(op);
    if (it == state.functions.end())
      return op.emitOpError("is neither @step nor a rank's training step");
    Type ptr = LLVM::LLVMPointerType::get(op.getContext());
    TypeConverter::SignatureConversion signature(op.getNumArguments());
    signature.addInputs(ptr);
    for (auto [i, type] : llvm::enumerate(op.getArgumentTypes()))
      signature.addInputs(i, getTypeConverter()->convertType(type));
    auto llvmFunc = LLVM::LLVMFuncOp::create(
        rewriter, op.getLoc(), it->second.first,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(op.getContext()),
                                    signature.getConvertedTypes()));
    rewriter.inlineRegionBefore(op.getBody(), llvmFunc.getBody(),
                                llvmFunc.end());
    Block *entry = rewriter.applySignatureConversion(
        &llvmFunc.getBody().front(), signature, getTypeConverter());
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(entry);
    state.addresses[llvmFunc] = LLVM::AllocaOp::create(
        rewriter, op.getLoc(), ptr, ptr,
        i64Constant(rewriter, op.getLoc(), it->second.second), 8);
    rewriter.eraseOp(op);
    return success();
  }
};

class ReturnLowering : public PlanPattern<func::ReturnOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(func::ReturnOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, ValueRange{});
    return success();
  }
};

/// A buffer of the arena (plan.offset), or a view into one (a ZeRO bucket's
/// gradients): its byte shift added to the source's address.
class ViewLowering : public PlanPattern<memref::ViewOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(memref::ViewOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto offset = op->getAttrOfType<IntegerAttr>("plan.offset");
    std::optional<int64_t> shift = offset
                                       ? std::optional<int64_t>(offset.getInt())
                                       : getConstantIntValue(op.getByteShift());
    if (!shift)
      return op.emitOpError("is neither planned (plan.offset) nor a constant "
                            "shift of a planned buffer");
    // A GEP's constant index holds only kGEPConstantBitWidth (29) bits,
    // silently wrapped beyond: any larger shift (a 128 MiB arena already
    // has them) is an i64 constant operand.
    const int64_t limit = int64_t(1) << (LLVM::kGEPConstantBitWidth - 1);
    LLVM::GEPArg index =
        *shift > -limit && *shift < limit
            ? LLVM::GEPArg(static_cast<int32_t>(*shift))
            : LLVM::GEPArg(i64Constant(rewriter, op.getLoc(), *shift));
    rewriter.replaceOpWithNewOp<LLVM::GEPOp>(
        op, LLVM::LLVMPointerType::get(op.getContext()), rewriter.getI8Type(),
        adaptor.getSource(), ArrayRef{index});
    return success();
  }
};

class GetGlobalLowering : public PlanPattern<memref::GetGlobalOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(memref::GetGlobalOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<LLVM::AddressOfOp>(
        op, LLVM::LLVMPointerType::get(op.getContext()), op.getName());
    return success();
  }
};

/// The kernel's entry point: dsrt_k_<kernel>_<types>(ctx, addresses, site,
/// location).
class KernelLowering : public PlanPattern<plan::KernelOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::KernelOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto it = state.kernels.find(op);
    if (it == state.kernels.end())
      return op.emitOpError("is outside the functions being lowered");
    Value array = storeAddresses(rewriter, op, adaptor.getOperands());
    Type ptr = LLVM::LLVMPointerType::get(op.getContext());
    Value constants = LLVM::AddressOfOp::create(rewriter, op.getLoc(), ptr,
                                                it->second.constants);
    Value location = LLVM::AddressOfOp::create(rewriter, op.getLoc(), ptr,
                                               it->second.location);
    call(rewriter, op, it->second.symbol, voidType(op),
         {context(op), array, constants, location});
    rewriter.eraseOp(op);
    return success();
  }
};

/// In the step: dsrt_collective_at(ctx, index, addresses), whose token (an
/// asynchronous gather's) is the index; outside, in place on its buffer:
/// dsrt_boundary_collective(ctx, index, buffer).
template <typename Op> class CollectiveLowering : public PlanPattern<Op> {
public:
  using PlanPattern<Op>::PlanPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    LoweringState &state = this->state;
    const bool outside = state.outside.count(op);
    Value array =
        outside ? Value()
                : this->storeAddresses(rewriter, op, adaptor.getOperands());
    Value index = LLVM::ConstantOp::create(
        rewriter, op.getLoc(), rewriter.getI32Type(), state.index.lookup(op));
    if (outside)
      this->call(rewriter, op, "dsrt_boundary_collective", this->voidType(op),
                 {this->context(op), index, adaptor.getOperands()[0]});
    else
      this->call(rewriter, op, "dsrt_collective_at", this->voidType(op),
                 {this->context(op), index, array});
    if (op->getNumResults())
      rewriter.replaceOp(op, index);
    else
      rewriter.eraseOp(op);
    return success();
  }
};

class WaitLowering : public PlanPattern<plan::WaitOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::WaitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, "dsrt_collective_wait", voidType(op),
         {context(op), adaptor.getToken()});
    rewriter.eraseOp(op);
    return success();
  }
};

/// Element `index` of a 1-D buffer of scalars.
Value scalarSlot(ConversionPatternRewriter &rewriter, Location loc,
                 MemRefType type, Value base, Value index) {
  return LLVM::GEPOp::create(rewriter, loc,
                             LLVM::LLVMPointerType::get(rewriter.getContext()),
                             type.getElementType(), base, ValueRange{index});
}

class LoadLowering : public PlanPattern<memref::LoadOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(memref::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getIndices().size() != 1)
      return op.emitOpError("needs a 1-D buffer");
    call(rewriter, op, "dsrt_host_sync", voidType(op), {context(op)});
    Value slot = scalarSlot(rewriter, op.getLoc(), op.getMemRefType(),
                            adaptor.getMemref(), adaptor.getIndices()[0]);
    rewriter.replaceOpWithNewOp<LLVM::LoadOp>(op, op.getType(), slot);
    return success();
  }
};

class StoreLowering : public PlanPattern<memref::StoreOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(memref::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getIndices().size() != 1)
      return op.emitOpError("needs a 1-D buffer");
    call(rewriter, op, "dsrt_host_sync", voidType(op), {context(op)});
    Value slot = scalarSlot(rewriter, op.getLoc(), op.getMemRefType(),
                            adaptor.getMemref(), adaptor.getIndices()[0]);
    rewriter.replaceOpWithNewOp<LLVM::StoreOp>(op, adaptor.getValue(), slot);
    return success();
  }
};

class CopyLowering : public PlanPattern<memref::CopyOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(memref::CopyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, "dsrt_copy", voidType(op),
         {context(op), adaptor.getTarget(), adaptor.getSource(),
          i64Constant(rewriter, op.getLoc(), bytes(op.getSource()))});
    rewriter.eraseOp(op);
    return success();
  }
};

class ZeroLowering : public PlanPattern<plan::ZeroOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::ZeroOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, "dsrt_zero", voidType(op),
         {context(op), adaptor.getBuffer(),
          i64Constant(rewriter, op.getLoc(), bytes(op.getBuffer()))});
    rewriter.eraseOp(op);
    return success();
  }
};

class ScaleLowering : public PlanPattern<plan::ScaleOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::ScaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, typed("dsrt_scale", op.getBuffer()), voidType(op),
         {adaptor.getBuffer(),
          i64Constant(rewriter, op.getLoc(), elements(op.getBuffer())),
          adaptor.getFactor()});
    rewriter.eraseOp(op);
    return success();
  }
};

class SumSquaresLowering : public PlanPattern<plan::SumSquaresOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::SumSquaresOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, call(rewriter, op, typed("dsrt_sum_squares", op.getBuffer()),
                 rewriter.getF64Type(),
                 {adaptor.getBuffer(), i64Constant(rewriter, op.getLoc(),
                                                   elements(op.getBuffer()))}));
    return success();
  }
};

class ClipCoefficientLowering : public PlanPattern<plan::ClipCoefficientOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::ClipCoefficientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, call(rewriter, op, "dsrt_clip_coefficient", rewriter.getF64Type(),
                 {adaptor.getNormSquared(),
                  f64Constant(rewriter, op.getLoc(),
                              op.getMaxNorm().convertToDouble())}));
    return success();
  }
};

/// dsrt_lr_at(&dsc_schedule, base lr and betas, step, out[3]). The
/// schedule is the object's constant (declared here, defined with the
/// rank's constants).
class LrScheduleLowering : public PlanPattern<plan::LrScheduleOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::LrScheduleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    Location loc = op.getLoc();
    Type ptr = LLVM::LLVMPointerType::get(op.getContext());
    Type f64 = rewriter.getF64Type();
    if (!module.lookupSymbol<LLVM::GlobalOp>("dsc_schedule")) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      LLVM::GlobalOp::create(
          rewriter, loc,
          LLVM::LLVMArrayType::get(rewriter.getI64Type(),
                                   sizeof(dsrt_lr_schedule) / 8),
          /*isConstant=*/true, LLVM::Linkage::External, "dsc_schedule",
          Attribute(), /*alignment=*/8);
    }
    Value out = LLVM::AllocaOp::create(rewriter, loc, ptr, f64,
                                       i64Constant(rewriter, loc, 3), 8);
    call(rewriter, op, "dsrt_lr_at", voidType(op),
         {LLVM::AddressOfOp::create(rewriter, loc, ptr, "dsc_schedule"),
          f64Constant(rewriter, loc, op.getBaseLr().convertToDouble()),
          f64Constant(rewriter, loc, op.getBaseBeta1().convertToDouble()),
          f64Constant(rewriter, loc, op.getBaseBeta2().convertToDouble()),
          adaptor.getStep(), out});
    SmallVector<Value> results;
    for (int32_t i = 0; i < 3; ++i) {
      Value slot = LLVM::GEPOp::create(rewriter, loc, ptr, f64, out,
                                       ArrayRef<LLVM::GEPArg>{i});
      results.push_back(LLVM::LoadOp::create(rewriter, loc, f64, slot));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

class AdamLowering : public PlanPattern<plan::AdamOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::AdamOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    call(rewriter, op, typed("dsrt_adam", op.getParam()), voidType(op),
         {a.getParam(), a.getGrad(), a.getExpAvg(), a.getExpAvgSq(),
          i64Constant(rewriter, loc, elements(op.getParam())), a.getLr(),
          a.getBeta1(), a.getBeta2(),
          f64Constant(rewriter, loc, op.getEps().convertToDouble()),
          f64Constant(rewriter, loc, op.getWeightDecay().convertToDouble()),
          flag(rewriter, loc, op.getAdamWMode()),
          flag(rewriter, loc, op.getBiasCorrection()), a.getStep()});
    rewriter.eraseOp(op);
    return success();
  }
};

class SgdLowering : public PlanPattern<plan::SgdOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::SgdOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value buffer = a.getMomentumBuffer();
    if (!buffer)
      buffer = LLVM::ZeroOp::create(
          rewriter, loc, LLVM::LLVMPointerType::get(op.getContext()));
    call(rewriter, op, typed("dsrt_sgd", op.getParam()), voidType(op),
         {a.getParam(), a.getGrad(), buffer,
          i64Constant(rewriter, loc, elements(op.getParam())), a.getLr(),
          f64Constant(rewriter, loc, op.getMomentum().convertToDouble()),
          f64Constant(rewriter, loc, op.getDampening().convertToDouble()),
          f64Constant(rewriter, loc, op.getWeightDecay().convertToDouble()),
          flag(rewriter, loc, op.getNesterov()), a.getStep()});
    rewriter.eraseOp(op);
    return success();
  }
};

class LambLowering : public PlanPattern<plan::LambOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::LambOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    call(rewriter, op, typed("dsrt_lamb", op.getParam()), voidType(op),
         {a.getParam(), a.getGrad(), a.getExpAvg(), a.getExpAvgSq(),
          i64Constant(rewriter, loc, elements(op.getParam())), a.getLr(),
          a.getBeta1(), a.getBeta2(),
          f64Constant(rewriter, loc, op.getEps().convertToDouble()),
          f64Constant(rewriter, loc, op.getWeightDecay().convertToDouble()),
          flag(rewriter, loc, op.getBiasCorrection()),
          f64Constant(rewriter, loc, op.getMaxCoeff().convertToDouble()),
          f64Constant(rewriter, loc, op.getMinCoeff().convertToDouble()),
          a.getStep()});
    rewriter.eraseOp(op);
    return success();
  }
};

/// The micro-steps: the runtime's hooks around a call of the step.
class MicroStepLowering : public PlanPattern<plan::MicroStepOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::MicroStepOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, "dsrt_micro_step", voidType(op),
         {context(op), adaptor.getStep(), adaptor.getMicro()});
    rewriter.eraseOp(op);
    return success();
  }
};

class MicroStepEndLowering : public PlanPattern<plan::MicroStepEndOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(plan::MicroStepEndOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    call(rewriter, op, "dsrt_micro_step_end", voidType(op),
         {context(op), adaptor.getMicro()});
    rewriter.eraseOp(op);
    return success();
  }
};

/// The training step's call of @step: dsc_step(ctx, arena).
class StepCallLowering : public PlanPattern<func::CallOp> {
public:
  using PlanPattern::PlanPattern;
  LogicalResult
  matchAndRewrite(func::CallOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getCallee() != "step" || adaptor.getOperands().size() != 1)
      return op.emitOpError("calls @")
             << op.getCallee() << "; only a call of @step is supported";
    LLVM::CallOp::create(rewriter, op.getLoc(), TypeRange{}, "dsc_step",
                         ValueRange{context(op), adaptor.getOperands()[0]});
    rewriter.eraseOp(op);
    return success();
  }
};

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
  MLIRContext *ctx = &getContext();
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
  OpBuilder b(ctx);

  // Constants.
  for (auto global :
       llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
    auto [type, value] = flatGlobal(global);
    b.setInsertionPoint(global);
    auto constant = LLVM::GlobalOp::create(
        b, global.getLoc(), type, /*isConstant=*/true, LLVM::Linkage::Internal,
        global.getSymName(), value, /*alignment=*/64);
    // Kernels read these: on a GPU the runtime gives the kernels a device
    // copy of the section (the linker's __start_/__stop_ symbols bound it).
    constant.setSectionAttr(b.getStringAttr(DSRT_CONSTANT_SECTION));
    global.erase();
  }
  // Each kernel call site's constants and location, one global per distinct
  // value (sites of the same shapes share theirs).
  LoweringState state;
  {
    std::map<std::vector<int64_t>, std::string> constants;
    llvm::StringMap<std::string> locations;
    b.setInsertionPointToStart(module.getBody());
    WalkResult walk = module.walk([&](plan::KernelOp op) {
      plan::KernelCall call;
      if (std::string problem = plan::resolveKernelCall(op, call);
          !problem.empty()) {
        op.emitOpError(problem);
        return WalkResult::interrupt();
      }
      std::string &site = constants[call.site];
      if (site.empty()) {
        site = "dsc_site_" + std::to_string(constants.size() - 1);
        auto type = RankedTensorType::get(
            {static_cast<int64_t>(call.site.size())}, b.getI64Type());
        LLVM::GlobalOp::create(
            b, op.getLoc(),
            LLVM::LLVMArrayType::get(b.getI64Type(), call.site.size()),
            /*isConstant=*/true, LLVM::Linkage::Internal, site,
            DenseElementsAttr::get(type, ArrayRef<int64_t>(call.site)),
            /*alignment=*/8);
      }
      std::string name;
      if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
        name = loc.getName().str();
      std::string &location = locations[name];
      if (location.empty()) {
        location = "dsc_location_" + std::to_string(locations.size() - 1);
        std::string text = name + '\0';
        LLVM::GlobalOp::create(
            b, op.getLoc(),
            LLVM::LLVMArrayType::get(b.getI8Type(), text.size()),
            /*isConstant=*/true, LLVM::Linkage::Internal, location,
            b.getStringAttr(text), /*alignment=*/1);
      }
      state.kernels[op] = {call.variant->symbol, site, location};
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
  }
  // Groups are plan facts (plan.json); the object needs none.
  for (auto group : llvm::make_early_inc_range(module.getOps<plan::GroupOp>()))
    group.erase();

  // The functions, their names and their call sites' indices.
  state.functions[step].first = "dsc_step";
  numberCalls(step, /*inStep=*/true, state);
  SmallVector<std::string> names;
  for (auto func : module.getOps<func::FuncOp>()) {
    auto rank = func->getAttrOfType<IntegerAttr>("plan.train_step_rank");
    if (!rank)
      continue;
    if (rank.getInt() != static_cast<int64_t>(names.size())) {
      func.emitOpError("is the training step of rank ")
          << rank.getInt() << ", expected rank " << names.size();
      return signalPassFailure();
    }
    names.push_back("dsc_train_step_" + std::to_string(names.size()));
    state.functions[func].first = names.back();
    numberCalls(func, /*inStep=*/false, state);
  }

  // Memrefs are bare pointers (every buffer is the arena plus an offset);
  // a token is the index of its collective.
  LLVMTypeConverter converter(ctx);
  converter.addConversion(
      [&](MemRefType) -> Type { return LLVM::LLVMPointerType::get(ctx); });
  converter.addConversion(
      [&](plan::TokenType) -> Type { return IntegerType::get(ctx, 32); });
  RewritePatternSet patterns(ctx);
  patterns.add<FuncLowering, ReturnLowering, ViewLowering, GetGlobalLowering,
               KernelLowering, CollectiveLowering<plan::AllReduceOp>,
               CollectiveLowering<plan::ReduceScatterOp>,
               CollectiveLowering<plan::AllGatherOp>, WaitLowering,
               LoadLowering, StoreLowering, CopyLowering, ZeroLowering,
               ScaleLowering, SumSquaresLowering, ClipCoefficientLowering,
               LrScheduleLowering, AdamLowering, SgdLowering, LambLowering,
               MicroStepLowering, MicroStepEndLowering, StepCallLowering>(
      converter, ctx, state);
  arith::populateArithToLLVMConversionPatterns(converter, patterns);
  populateMathToLLVMConversionPatterns(converter, patterns);
  populateSCFToControlFlowConversionPatterns(patterns);
  cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
  LLVMConversionTarget target(*ctx);
  target.addLegalOp<ModuleOp>();
  if (failed(applyFullConversion(module, target, std::move(patterns))))
    return signalPassFailure();
  // Constants nothing reads any more (the views' offsets).
  module.walk([](LLVM::ConstantOp c) {
    if (c->use_empty())
      c->erase();
  });
  addUpdateTable(module, names);
}

} // namespace
} // namespace dsc::passes
